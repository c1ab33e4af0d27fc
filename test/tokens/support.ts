import { request as httpRequest } from 'node:http';
import request from 'supertest';
import type { AgentDefinition } from '../../src/agent/define.js';

/** A JSON-RPC `ListTasks` body: an operation that needs authentication and nothing else. */
export const LIST_TASKS = { jsonrpc: '2.0', id: 1, method: 'ListTasks', params: {} };

/** A JSON-RPC SendMessage invoking `skill` with `args`. */
export function skillMessage(skill: string, args: Record<string, unknown>) {
  const message = {
    messageId: crypto.randomUUID(),
    role: 'ROLE_USER',
    parts: [{ data: { skill, ...args }, mediaType: 'application/json' }],
  };
  return { jsonrpc: '2.0', id: 2, method: 'SendMessage', params: { message } };
}

/** POSTs a JSON-RPC body to Warden with an `Authorization` header of the given scheme. */
export function callWarden(
  url: string,
  token: string | undefined,
  body: object = LIST_TASKS,
  scheme: 'Bearer' | 'DPoP' = 'Bearer',
) {
  const call = request(url).post('/a2a/jsonrpc').set('A2A-Version', '1.0').send(body);
  return token === undefined ? call : call.set('Authorization', `${scheme} ${token}`);
}

/** The support agent, counting how many times any of its skills ran. */
export function countingAgent(agent: AgentDefinition): { agent: AgentDefinition; runs(): number } {
  let runs = 0;
  const skills = agent.skills.map((skill) => ({
    ...skill,
    run: (args: unknown, context: Parameters<typeof skill.run>[1]) => {
      runs += 1;
      return skill.run(args, context);
    },
  }));
  return { agent: { ...agent, skills }, runs: () => runs };
}

/** What {@link rawPost} got back, or the socket error when the server hung up first. */
export interface RawResponse {
  status: number | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  error: string | undefined;
}

/**
 * POSTs `body` with headers set exactly as given, repeated names included (supertest would merge
 * or replace them): for duplicate `Authorization` headers and oversized ones.
 */
export function rawPost(url: string, headers: Record<string, string | string[]>, body: object) {
  const payload = JSON.stringify(body);
  return new Promise<RawResponse>((resolve) => {
    const req = httpRequest(`${url}/a2a/jsonrpc`, { method: 'POST' }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: text, error: undefined }),
      );
    });
    req.on('error', (error) =>
      resolve({ status: undefined, headers: {}, body: '', error: String(error) }),
    );
    req.setHeader('content-type', 'application/json');
    req.setHeader('a2a-version', '1.0');
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    req.end(payload);
  });
}
