/**
 * A failure the peer agent reports as one line and exit code 1. Its message never holds a token
 * or a client secret.
 */
export class PeerError extends Error {
  override readonly name = 'PeerError';
}
