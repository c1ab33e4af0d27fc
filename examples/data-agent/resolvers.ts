import type { EntityResolvers } from '../../src/agent/define.js';
import { zoneOf } from './paths.js';
import type { DataAgentEnvironment } from './tools.js';

/**
 * What the data agent tells policy (`policies/data`): a file's canonical path and the designated
 * zone (`Zone::"input"` or `Zone::"output"`) it lies in, if any; a table's name, when it exists;
 * an endpoint's scheme and host.
 */
export function dataResolvers(env: DataAgentEnvironment): EntityResolvers {
  return {
    File: (canonical) => {
      const zone = zoneOf(canonical, env.zones);
      return { attrs: { path: canonical }, parents: zone ? [{ type: 'Zone', id: zone }] : [] };
    },
    Table: (name) => {
      const exists = env.db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
        .get(name);
      return exists === undefined ? undefined : { attrs: { name } };
    },
    Endpoint: (origin) => {
      const url = new URL(origin);
      return { attrs: { scheme: url.protocol.replace(/:$/, ''), host: url.hostname } };
    },
  };
}
