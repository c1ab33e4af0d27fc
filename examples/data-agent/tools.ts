import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { defineTool, failSkill } from '../../src/agent/define.js';
import { canonicalPath } from './paths.js';

/** Where the data agent works, and with what. */
export interface DataAgentEnvironment {
  /** Canonical (realpath) directories: files are read under `input`, written under `output`. */
  readonly zones: { readonly input: string; readonly output: string };
  /** Relative paths in requests resolve against this directory. */
  readonly baseDir: string;
  readonly db: Database.Database;
  readonly fetch: typeof fetch;
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The data agent's tools. File tools act on `File::"<canonical path>"`, so policy sees where a
 * call really lands; `query-table` on `Table::"<name>"` with the operation in `context.input`;
 * `fetch-url` on `Endpoint::"<origin>"`.
 */
export function dataTools(env: DataAgentEnvironment) {
  const fileAt = async (path: string) => ({
    type: 'File',
    id: await canonicalPath(env.baseDir, path),
  });

  const readFile = defineTool({
    name: 'read-file',
    description: 'Reads a file',
    input: z.object({ path: z.string().min(1) }),
    policy: { resource: ({ path }) => fileAt(path) },
    run: async ({ path }) => {
      // O_NOFOLLOW: a symlink swapped in after the decision is refused, not followed.
      const handle = await open(
        await canonicalPath(env.baseDir, path),
        constants.O_RDONLY | constants.O_NOFOLLOW,
      );
      try {
        return await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    },
  });

  const writeFile = defineTool({
    name: 'write-file',
    description: 'Writes a file',
    input: z.object({ path: z.string().min(1), content: z.string().max(1_000_000) }),
    policy: { resource: ({ path }) => fileAt(path) },
    run: async ({ path, content }) => {
      const target = await canonicalPath(env.baseDir, path);
      const flags =
        constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
      const handle = await open(target, flags, 0o644);
      try {
        await handle.writeFile(content, 'utf8');
      } finally {
        await handle.close();
      }
      return { path: target, bytes: Buffer.byteLength(content) };
    },
  });

  const queryTable = defineTool({
    name: 'query-table',
    description: 'Queries a table',
    input: z.object({
      table: z.string().regex(TABLE_NAME, 'must be a table name'),
      operation: z.enum(['select', 'insert', 'update', 'delete']),
      limit: z.number().int().min(1).max(1000).default(100),
    }),
    policy: { resource: ({ table }) => ({ type: 'Table', id: table }) },
    run: async ({ table, operation, limit }) => {
      // Only reads are implemented; policy also permits nothing else.
      if (operation !== 'select') failSkill(`operation "${operation}" is not supported`);
      return env.db.prepare(`SELECT * FROM "${table}" LIMIT ?`).all(limit);
    },
  });

  const fetchUrl = defineTool({
    name: 'fetch-url',
    description: 'Fetches a URL',
    input: z.object({ url: z.url() }),
    policy: { resource: ({ url }) => ({ type: 'Endpoint', id: new URL(url).origin }) },
    run: async ({ url }) => {
      const response = await env.fetch(url, { redirect: 'error' });
      return { status: response.status, body: (await response.text()).slice(0, 100_000) };
    },
  });

  return { readFile, writeFile, queryTable, fetchUrl };
}

export type DataTools = ReturnType<typeof dataTools>;
