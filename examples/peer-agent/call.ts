import { Role, type AgentCard, type Message, type Task } from '@a2a-js/sdk';
import {
  ClientFactory,
  JsonRpcTransportFactory,
  createAuthenticatingFetchWithRetry,
} from '@a2a-js/sdk/client';

import { PeerError } from './peer-error.js';

/** A skill invocation: the data part `{ skill, ...args }` Warden's agents read. */
export interface SkillCall {
  skill: string;
  args: Record<string, unknown>;
}

/** The last non-2xx answer, kept because the SDK's error drops the `WWW-Authenticate` header. */
interface FailedResponse {
  status: number;
  challenge: string | null;
}

/**
 * Sends `call` to the agent described by `card` over JSON-RPC with the official SDK client,
 * presenting `accessToken` as a Bearer token, and returns the task it answers with. A refusal
 * becomes a `PeerError` naming the HTTP status and the `WWW-Authenticate` challenge.
 */
export async function callSkill(
  card: AgentCard,
  accessToken: string,
  call: SkillCall,
): Promise<Task> {
  const failures: FailedResponse[] = [];
  const client = await createClient(card, accessToken, failures);

  let result: Message | Task;
  try {
    result = await client.sendMessage({
      message: skillMessage(call),
      configuration: undefined,
      metadata: {},
      tenant: '',
    });
  } catch (error) {
    throw new PeerError(describeFailure(error, failures.at(-1)));
  }

  if (!('status' in result)) {
    throw new PeerError('the agent answered with a message, not a task');
  }
  return result;
}

function createClient(card: AgentCard, accessToken: string, failures: FailedResponse[]) {
  const authenticated = createAuthenticatingFetchWithRetry(fetch, {
    headers: async () => ({ authorization: `Bearer ${accessToken}` }),
    // A refused token is reported, not retried: this peer has no other credential to offer.
    shouldRetryWithHeaders: async () => undefined,
  });

  const fetchImpl: typeof fetch = async (input, init) => {
    const response = await authenticated(input, init);
    if (!response.ok) {
      failures.push({
        status: response.status,
        challenge: response.headers.get('www-authenticate'),
      });
    }
    return response;
  };

  const factory = new ClientFactory({
    transports: [new JsonRpcTransportFactory({ fetchImpl })],
    preferredTransports: ['JSONRPC'],
  });
  return factory.createFromAgentCard(card);
}

function skillMessage(call: SkillCall): Message {
  return {
    messageId: crypto.randomUUID(),
    contextId: '',
    taskId: '',
    role: Role.ROLE_USER,
    parts: [
      {
        content: { $case: 'data', value: { skill: call.skill, ...call.args } },
        mediaType: 'application/json',
        filename: '',
        metadata: {},
      },
    ],
    metadata: {},
    extensions: [],
    referenceTaskIds: [],
  };
}

function describeFailure(error: unknown, failure: FailedResponse | undefined): string {
  const message = error instanceof Error ? error.message : String(error);
  if (failure === undefined) {
    return `SendMessage failed: ${message}`;
  }

  // RFC 6750 §3: the challenge names the OAuth error and the scopes wanted, so it says it all.
  const reason = failure.challenge === null ? message : `WWW-Authenticate: ${failure.challenge}`;
  return `SendMessage refused: HTTP ${failure.status} ${reason}`;
}
