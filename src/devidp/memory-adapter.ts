/** More stored artifacts than this and the oldest are dropped: a development IdP, not a store. */
const MAX_ENTRIES = 10_000;

interface Stored {
  payload: object;
  expiresAtMs: number;
}

/**
 * An oidc-provider storage adapter that keeps what the provider saves in memory until it expires,
 * for a development IdP issuing opaque access tokens: introspection finds them here. One store per
 * call, so two IdPs in one process never share tokens. Everything is lost at restart.
 */
export function createMemoryAdapter() {
  const stores = new Map<string, Map<string, Stored>>();

  return class MemoryAdapter {
    private readonly entries: Map<string, Stored>;

    constructor(model: string) {
      this.entries = stores.get(model) ?? new Map<string, Stored>();
      stores.set(model, this.entries);
    }

    async upsert(id: string, payload: object, expiresInSec: number): Promise<void> {
      this.entries.delete(id);
      this.entries.set(id, { payload, expiresAtMs: Date.now() + expiresInSec * 1000 });
      const oldest = this.entries.keys().next();
      if (this.entries.size > MAX_ENTRIES && oldest.done !== true)
        this.entries.delete(oldest.value);
    }

    async find(id: string): Promise<object | undefined> {
      const stored = this.entries.get(id);
      if (stored === undefined || stored.expiresAtMs <= Date.now()) return undefined;
      return stored.payload;
    }

    async findByUserCode(_userCode: string): Promise<undefined> {
      return undefined;
    }

    async findByUid(_uid: string): Promise<undefined> {
      return undefined;
    }

    async consume(_id: string): Promise<void> {}

    async destroy(id: string): Promise<void> {
      this.entries.delete(id);
    }

    async revokeByGrantId(_grantId: string): Promise<void> {}
  };
}
