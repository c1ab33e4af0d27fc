import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBenchIdp, type BenchTokens } from './bench-idp.js';
import { spawnServers, type ChildServer, type ServerName } from './children.js';
import { assertEchoCompletes, assertPolicyRefuses } from './echo-requests.js';
import type { LoadTarget } from './target.js';

/** The servers of a run, each in its child process, and the bench IdP in this one. */
export interface StartedServers {
  /** In the order asked for, Warden's with the bench tokens. */
  readonly targets: LoadTarget[];
  readonly children: ChildServer[];
  readonly tokens: BenchTokens;
  /** From the IdP's start until every server answered its checks, in ms. */
  readonly startMs: number;
  /** Lets the servers finish the tasks in flight, then stops them and the IdP. */
  close(): Promise<void>;
}

/**
 * autocannon drops its connections at the end of a run with requests still in flight; the servers
 * go on executing those tasks. Warden's `close()` does not wait for the SDK's background event
 * processing, so closing at once makes that work fail against a closed store (noise on stderr,
 * not in the figures). A short pause lets it finish first.
 */
const SETTLE_MS = 1000;

/**
 * Starts the bench IdP, then the named servers (forking `script`, `bench/serve.ts`, with `--serve
 * NAME --issuer URL`) while it mints the tokens, and checks that each server
 * completes an echo and, when it enforces the echo policy, refuses a forbidden one.
 */
export async function startServers(
  names: readonly ServerName[],
  script: string,
  tokenTtlSec: number,
): Promise<StartedServers> {
  const started = performance.now();
  const idp = await startBenchIdp(tokenTtlSec);
  const args = (name: string) => ['--serve', name, '--issuer', idp.issuer];

  let children: ChildServer[] = [];
  try {
    // Settled, not raced: a failed mint must not leave the spawned servers running.
    const [minted, spawned] = await Promise.allSettled([
      idp.mint(),
      spawnServers(names, script, args),
    ]);
    if (spawned.status === 'fulfilled') children = spawned.value;
    if (minted.status === 'rejected') throw minted.reason;
    if (spawned.status === 'rejected') throw spawned.reason;

    const tokens = minted.value;
    const targets = children.map(({ target }) =>
      target.secured ? { ...target, bearerTokens: tokens.tokens } : target,
    );
    for (const target of targets) await assertWorks(target);

    const close = async () => {
      await sleep(SETTLE_MS);
      await stopAll(children, idp);
    };
    return { targets, children, tokens, startMs: performance.now() - started, close };
  } catch (error) {
    await stopAll(children, idp);
    throw error;
  }
}

async function assertWorks(target: LoadTarget): Promise<void> {
  await assertEchoCompletes(target);
  if (target.guarded) await assertPolicyRefuses(target);
}

async function stopAll(children: readonly ChildServer[], idp: { close(): Promise<void> }) {
  await Promise.all(children.map((child) => child.close()));
  await idp.close();
}
