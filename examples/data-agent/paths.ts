import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * The canonical path a file operation will act on: relative paths resolve against `baseDir`,
 * `..` segments are folded, and every symlink on the way, the last component included, is
 * followed (`realpath`). For a file that does not exist yet, its directory is made canonical and
 * the name appended. Policy decides on this path, so neither `..` nor a symlink can take a call
 * outside the directory it was allowed in.
 */
export async function canonicalPath(baseDir: string, requested: string): Promise<string> {
  const absolute = path.resolve(baseDir, requested);
  try {
    return await realpath(absolute);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }

  // A dangling symlink must not pass as "a file that does not exist yet".
  if (await isSymlink(absolute)) throw new Error(`${requested} is a symlink to nowhere`);
  return path.join(await realpath(path.dirname(absolute)), path.basename(absolute));
}

/** Which designated directory holds `canonical`, if any: `input`, `output`, or undefined. */
export function zoneOf(
  canonical: string,
  zones: Readonly<Record<string, string>>,
): string | undefined {
  for (const [zone, dir] of Object.entries(zones)) {
    const relative = path.relative(dir, canonical);
    if (relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)) return zone;
  }
  return undefined;
}

async function isSymlink(file: string): Promise<boolean> {
  try {
    return (await lstat(file)).isSymbolicLink();
  } catch {
    return false;
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && Reflect.get(error, 'code') === 'ENOENT';
}
