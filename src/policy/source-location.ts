import type { DetailedError } from './cedar.js';

/** A place in a source file, 1-based, for messages like `policies/support.cedar:12:5`. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/**
 * The line and column of a Cedar source offset. Cedar reports offsets in UTF-8 bytes, so a comment
 * with an accented letter would shift every later position if they were read as characters.
 */
export function positionAt(text: string, byteOffset: number): SourcePosition {
  const before = Buffer.from(text, 'utf8').subarray(0, byteOffset).toString('utf8');
  const lines = before.split('\n');

  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

/** The UTF-8 byte length of `text`: how far a later part of a file is offset from its start. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * One line per Cedar error: `file:line:column: message (help)`. `baseOffset` is where the text
 * Cedar saw starts within `fileText`, in bytes, when Cedar was given one policy out of a file.
 */
export function describeCedarError(
  error: DetailedError,
  file: string,
  fileText: string,
  baseOffset = 0,
): string {
  const start = error.sourceLocations?.[0]?.start;
  const where =
    start === undefined
      ? file
      : `${file}:${formatPosition(positionAt(fileText, baseOffset + start))}`;
  const label = error.sourceLocations?.[0]?.label;
  const hints = [label, error.help].filter((hint): hint is string => typeof hint === 'string');

  return `${where}: ${error.message}${hints.length > 0 ? ` (${hints.join('; ')})` : ''}`;
}

function formatPosition(position: SourcePosition): string {
  return `${position.line}:${position.column}`;
}
