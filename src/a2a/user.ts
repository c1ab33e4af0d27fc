import type { ServerCallContext, User } from '@a2a-js/sdk/server';
import { ownerKeyOf, type Principal } from '../auth/principal.js';

/**
 * The SDK's `User`, carrying Warden's verified principal. Its `userName` is the owner key, which
 * the SDK's stores use to scope tasks, push configs and event buses: a caller only ever reaches
 * what its own (issuer, agent, user) created.
 */
export class WardenUser implements User {
  readonly ownerKey: string;

  constructor(readonly principal: Principal) {
    this.ownerKey = ownerKeyOf(principal);
  }

  get isAuthenticated(): boolean {
    return true;
  }

  get userName(): string {
    return this.ownerKey;
  }
}

/**
 * The principal behind an SDK call. Every A2A route authenticates before the SDK runs, so a call
 * without one is a wiring fault: fail closed rather than serve an anonymous scope.
 */
export function principalOfCall(context: ServerCallContext): Principal {
  const user = context.user;
  if (!(user instanceof WardenUser)) throw new Error('A2A call reached the SDK unauthenticated');
  return user.principal;
}

/** The SDK `OwnerResolver`: scope every stored object by the caller's owner key. */
export function resolveOwner(context: ServerCallContext): string {
  const user = context.user;
  if (!(user instanceof WardenUser)) throw new Error('A2A call reached the SDK unauthenticated');
  return user.ownerKey;
}
