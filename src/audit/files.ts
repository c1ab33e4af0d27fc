import { readdirSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { stemOf } from './config.js';

const SEQ_DIGITS = 12;

/**
 * The name a full audit file is rotated to: `audit.jsonl` holding seq 1001.. becomes
 * `audit.000000001001.jsonl`. Zero-padded, so sorting the names sorts the chain.
 */
export function rotatedFileName(activeFile: string, firstSeq: number): string {
  const seq = String(firstSeq).padStart(SEQ_DIGITS, '0');
  return path.join(path.dirname(activeFile), `${stemOf(activeFile)}.${seq}.jsonl`);
}

/** The rotated files of `activeFile`, oldest first (the active file itself not included). */
export function listRotatedFiles(activeFile: string): string[] {
  const dir = path.dirname(activeFile);
  const pattern = new RegExp(`^${escapeRegExp(stemOf(activeFile))}\\.\\d{${SEQ_DIGITS}}\\.jsonl$`);

  return readDirectory(dir)
    .filter((entry) => entry.isFile() && pattern.test(entry.name))
    .map((entry) => entry.name)
    .sort()
    .map((name) => path.join(dir, name));
}

/** Every file of the chain in order: the rotated ones, then the active one. */
export function listChainFiles(activeFile: string): string[] {
  return [...listRotatedFiles(activeFile), activeFile];
}

function readDirectory(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
