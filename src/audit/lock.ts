import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { WardenError } from '../errors.js';
import { describe } from './reader.js';

// Locks this process holds: its own pid in a lock file says nothing (a restarted container often
// gets the same pid), so the process remembers which ones it took.
const held = new Set<string>();

/**
 * Takes `<file>.lock` (holding this process's pid) so that two Warden processes never append to
 * one audit file: their lines would interleave and break the chain. A lock left by a process that
 * no longer runs (after `kill -9`) is taken over. Returns the release function.
 */
export function lockAuditFile(file: string): () => void {
  const lock = `${file}.lock`;
  if (held.has(lock)) throw locked(file, process.pid);

  if (!tryCreate(lock)) {
    const owner = Number(readOwner(lock));
    if (Number.isSafeInteger(owner) && owner !== process.pid && isRunning(owner)) {
      throw locked(file, owner);
    }
    rmSync(lock, { force: true });
    if (!tryCreate(lock)) throw locked(file, Number(readOwner(lock)));
  }

  held.add(lock);
  return () => {
    held.delete(lock);
    rmSync(lock, { force: true });
  };
}

function tryCreate(lock: string): boolean {
  try {
    writeFileSync(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EEXIST') return false;
    throw new WardenError('ERR_AUDIT_FILE', `cannot create lock file ${lock}: ${describe(error)}`, {
      cause: error,
    });
  }
}

function readOwner(lock: string): string {
  try {
    return readFileSync(lock, 'utf8').trim();
  } catch {
    return '';
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

function locked(file: string, pid: number): WardenError {
  return new WardenError(
    'ERR_AUDIT_LOCKED',
    `audit file ${file} is in use by process ${pid}; each Warden process needs its own audit file`,
  );
}
