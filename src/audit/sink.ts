import { open, type FileHandle } from 'node:fs/promises';

/** An append-only file, as the audit writer uses it. */
export interface AuditSink {
  /** Appends all of `data` (to the page cache: a process crash keeps it, power loss may not). */
  write(data: Buffer): Promise<void>;
  /** `fdatasync`: returns once what was written is on the storage device. */
  sync(): Promise<void>;
  close(): Promise<void>;
  /** Bytes in the file, counting what this sink appended. */
  readonly size: number;
}

/**
 * Opens `file` for appending (`O_APPEND`, created with mode 0600 when absent). Every `write`
 * lands at the end of the file whatever else moved its offset, and loops over short writes.
 */
export async function openFileSink(file: string): Promise<AuditSink> {
  const handle = await open(file, 'a', 0o600);
  let size = (await handle.stat()).size;

  return {
    async write(data) {
      await writeFully(handle, data);
      size += data.length;
    },
    sync: () => handle.datasync(),
    close: () => handle.close(),
    get size() {
      return size;
    },
  };
}

async function writeFully(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

/** `fsync` on a directory, so a created or renamed entry in it survives power loss. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
