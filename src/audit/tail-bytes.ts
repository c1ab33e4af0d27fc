import { open, writeFile, type FileHandle } from 'node:fs/promises';

const CHUNK = 64 * 1024;

/** A last line cut short by a crash, moved out of a file. */
export interface TornTail {
  /** Where it started in the file, which now ends there. */
  readonly offset: number;
  readonly bytes: number;
  /** The file the bytes were saved to, for inspection. */
  readonly savedTo: string;
}

/**
 * Sets aside what follows the last newline of `file`: a line whose write a crash cut short. Such
 * bytes were never acknowledged (a batch is acknowledged only once written and synced whole), so
 * dropping them loses nothing that was promised; they are saved to `<file>.torn-<time>` and the
 * file is truncated to its last complete line, so the next append starts on a line of its own.
 */
export async function setAsideTornTail(file: string, now: Date): Promise<TornTail | undefined> {
  const handle = await openExisting(file, 'r+');
  if (handle === undefined) return undefined;

  try {
    const size = (await handle.stat()).size;
    const offset = await endOfLastLine(handle, size);
    if (offset === size) return undefined;

    const torn = Buffer.alloc(size - offset);
    await handle.read(torn, 0, torn.length, offset);
    const savedTo = `${file}.torn-${now.toISOString().replace(/[:.]/g, '-')}`;
    await writeFile(savedTo, torn, { mode: 0o600, flush: true });
    await handle.truncate(offset);
    await handle.sync();
    return { offset, bytes: torn.length, savedTo };
  } finally {
    await handle.close();
  }
}

/** The last complete line of `file` (without its newline), or `undefined` if it has none. */
export async function readLastLine(file: string): Promise<string | undefined> {
  const handle = await openExisting(file, 'r');
  if (handle === undefined) return undefined;

  try {
    const end = await endOfLastLine(handle, (await handle.stat()).size);
    if (end === 0) return undefined;

    const start = await endOfLastLine(handle, end - 1);
    const line = Buffer.alloc(end - 1 - start);
    await handle.read(line, 0, line.length, start);
    return line.toString('utf8');
  } finally {
    await handle.close();
  }
}

/** The offset just past the last newline before `limit` (0 when there is none). */
async function endOfLastLine(handle: FileHandle, limit: number): Promise<number> {
  let end = limit;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const chunk = Buffer.alloc(end - start);
    await handle.read(chunk, 0, chunk.length, start);
    const newline = chunk.lastIndexOf(0x0a);
    if (newline !== -1) return start + newline + 1;
    end = start;
  }
  return 0;
}

async function openExisting(file: string, flags: 'r' | 'r+'): Promise<FileHandle | undefined> {
  try {
    return await open(file, flags);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}
