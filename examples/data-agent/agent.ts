import { mkdirSync, realpathSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { defineAgent, type AgentDefinition } from '../../src/agent/define.js';
import { dataResolvers } from './resolvers.js';
import { dataSkills } from './skills.js';
import { dataTools, type DataAgentEnvironment } from './tools.js';

/** Where the data agent works. */
export interface DataAgentOptions {
  /** Relative request paths resolve here; `in/` and `out/` under it are the designated zones. */
  readonly workDir: string;
  readonly fetch?: typeof fetch;
}

/**
 * The data-processing agent: reads under `in/`, writes under `out/`, queries a sample database
 * and fetches URLs. Its policies (`policies/data`) confine each to what is designated: the zones,
 * the named tables read-only, the allowlisted endpoints, and writes within working hours.
 */
export function createDataAgent(options: DataAgentOptions): AgentDefinition {
  const workDir = prepareWorkDir(options.workDir);
  const env: DataAgentEnvironment = {
    baseDir: workDir,
    zones: { input: path.join(workDir, 'in'), output: path.join(workDir, 'out') },
    db: sampleDatabase(),
    fetch: options.fetch ?? fetch,
  };
  const tools = dataTools(env);
  return defineAgent({
    skills: dataSkills(tools),
    tools: Object.values(tools),
    resolvers: dataResolvers(env),
  });
}

// Zones are compared with canonical paths, so the directories themselves are made canonical.
function prepareWorkDir(workDir: string): string {
  for (const zone of ['in', 'out']) mkdirSync(path.join(workDir, zone), { recursive: true });
  const sample = path.join(workDir, 'in', 'sales.csv');
  if (!existsSync(sample)) writeFileSync(sample, 'region,total\nnorth,1200\nsouth,950\n');
  return realpathSync(workDir);
}

function sampleDatabase(): Database.Database {
  const db = new Database(':memory:');
  db.exec(`
    CREATE TABLE orders (id TEXT PRIMARY KEY, region TEXT, total REAL);
    CREATE TABLE products (id TEXT PRIMARY KEY, name TEXT);
    CREATE TABLE customers (id TEXT PRIMARY KEY, email TEXT);
    INSERT INTO orders VALUES ('o-1', 'north', 120.5), ('o-2', 'south', 80);
    INSERT INTO products VALUES ('p-1', 'Widget');
    INSERT INTO customers VALUES ('c-1', 'someone@example.com');
  `);
  return db;
}

export default createDataAgent({ workDir: process.env['DATA_AGENT_DIR'] ?? 'data/data-agent' });
