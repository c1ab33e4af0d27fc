import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { WardenError } from '../errors.js';

// Far above any entry (parameters and detail are capped at 1 MiB each); a longer "line" means the
// file is not an audit file, and reading on would hold it all in memory (`verify /dev/zero`).
const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** One line of a file. */
export interface FileLine {
  /** The line without its newline. */
  readonly text: string;
  /** 1-based. */
  readonly number: number;
  /** Byte offset of the line's first byte. */
  readonly offset: number;
  /** Byte offset just past the line and its newline: where the next one starts. */
  readonly end: number;
  /** False for a last line with no newline: a write cut short. */
  readonly complete: boolean;
}

/**
 * Reads `file` line by line without holding it whole, from byte `start` (line numbers count from
 * there). A missing, unreadable or non-regular file throws `ERR_AUDIT_FILE` naming it (the CLI
 * prints that, never a stack); a line over 16 MiB throws `ERR_AUDIT_CORRUPT`.
 */
export async function* readLines(file: string, start = 0): AsyncGenerator<FileLine> {
  let carry = Buffer.alloc(0);
  let offset = start;
  let number = 0;

  for await (const chunk of openStream(file, start)) {
    let data = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let newline = data.indexOf(0x0a);
    while (newline !== -1) {
      const end = offset + newline + 1;
      yield {
        text: data.toString('utf8', 0, newline),
        number: ++number,
        offset,
        end,
        complete: true,
      };
      offset = end;
      data = data.subarray(newline + 1);
      newline = data.indexOf(0x0a);
    }
    carry = Buffer.from(data);
    if (carry.length > MAX_LINE_BYTES) throw tooLong(file, number + 1);
  }
  if (carry.length === 0) return;
  const text = carry.toString('utf8');
  yield { text, number: ++number, offset, end: offset + carry.length, complete: false };
}

async function* openStream(file: string, start: number): AsyncGenerator<unknown> {
  try {
    if (!(await stat(file)).isFile()) throw Object.assign(new Error(), { code: 'ENOTFILE' });
    yield* createReadStream(file, { start, highWaterMark: 1 << 20 });
  } catch (cause) {
    throw new WardenError('ERR_AUDIT_FILE', `cannot read audit file ${file}: ${describe(cause)}`, {
      cause,
    });
  }
}

/** A file system error in words, without a stack: `no such file`, `permission denied`... */
export function describe(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? String(error.code) : undefined;
  const known: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    ENOTFILE: 'not a regular file',
  };
  return (code && known[code]) ?? (error instanceof Error ? error.message : String(error));
}

function tooLong(file: string, line: number): WardenError {
  return new WardenError(
    'ERR_AUDIT_CORRUPT',
    `${file}:${line}: malformed: a line longer than 16 MiB; this is not an audit file`,
  );
}
