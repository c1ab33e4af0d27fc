/**
 * An oidc-provider storage adapter that stores nothing.
 *
 * The development IdP issues only self-contained JWT access tokens to statically configured
 * clients: no authorization codes, refresh tokens, sessions or grants. Nothing it issues is ever
 * looked up again (oidc-provider refuses to introspect JWT access tokens), so storing them would
 * only grow memory. It also spares the demo oidc-provider's console warning about its in-memory
 * adapter, which reads as if something were misconfigured.
 *
 * Enabling any stateful feature (authorization code flow, refresh tokens, revocation of opaque
 * tokens) needs a real adapter instead; with this one those artifacts would never be found.
 */
export class StatelessAdapter {
  async upsert(_id: string, _payload: object, _expiresInSec: number): Promise<void> {}

  async find(_id: string): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(_userCode: string): Promise<undefined> {
    return undefined;
  }

  async findByUid(_uid: string): Promise<undefined> {
    return undefined;
  }

  async consume(_id: string): Promise<void> {}

  async destroy(_id: string): Promise<void> {}

  async revokeByGrantId(_grantId: string): Promise<void> {}
}
