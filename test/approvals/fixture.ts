import path from 'node:path';
import { startDevIdp, type DevIdp } from '../../src/devidp/index.js';
import {
  ALL_SCOPES,
  REPO,
  clientToken,
  silentLogger,
  startWarden,
  userToken,
  type TestWarden,
} from '../support/harness.js';
import type { AgentDefinition } from '../../src/agent/define.js';

export const OPERATOR_SCOPE = 'warden.approvals';

/** The support agent's policies, as a `policy` configuration section. */
export const SUPPORT_POLICY = {
  schema: path.join(REPO, 'policies/support/schema.cedarschema'),
  files: [path.join(REPO, 'policies/support')],
};

/**
 * A dev IdP for approval tests: peer agents without the operator scope, the operator (role
 * manager), a manager-agent that is both a requester and a manager, and peer-agent-b holding
 * the operator scope without the role.
 */
export async function startApprovalIdp(resource: string): Promise<DevIdp> {
  const scopes = [...ALL_SCOPES, OPERATOR_SCOPE];
  const client = (clientId: string, clientScopes: string[], roles: string[]) => ({
    clientId,
    clientSecret: `${clientId}-secret`,
    scopes: clientScopes,
    roles,
  });
  return startDevIdp({
    port: 0,
    resources: { [resource]: { scopes } },
    clients: [
      client('peer-agent-a', ALL_SCOPES, ['ticket_creator']),
      client('peer-agent-b', scopes, []),
      client('operator', [OPERATOR_SCOPE], ['manager']),
      client('manager-agent', scopes, ['manager']),
    ],
    logger: silentLogger,
  });
}

/** Warden with the support agent and its policies. */
export function startPolicyWarden(options: {
  idp: DevIdp;
  port: number;
  dataDir?: string;
  agent?: AgentDefinition;
  approvals?: Record<string, unknown>;
}): Promise<TestWarden> {
  return startWarden({
    idp: options.idp,
    port: options.port,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.agent ? { agent: options.agent } : {}),
    overrides: {
      policy: SUPPORT_POLICY,
      ...(options.approvals ? { approvals: options.approvals } : {}),
    },
  });
}

/** Tokens of the clients above, for `url`. */
export async function tokensFor(idp: DevIdp, url: string) {
  return {
    peerA: await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url),
    peerB: await clientToken(idp, 'peer-agent-b', [...ALL_SCOPES, OPERATOR_SCOPE], url),
    operator: await clientToken(idp, 'operator', [OPERATOR_SCOPE], url),
    managerAgent: await clientToken(idp, 'manager-agent', [...ALL_SCOPES, OPERATOR_SCOPE], url),
    bobViaA: await userToken(idp, 'peer-agent-a', 'bob', ALL_SCOPES, url),
  };
}

/** A JSON-RPC call to Warden. */
export async function rpc(
  url: string,
  token: string,
  method: string,
  params: Record<string, unknown>,
) {
  const response = await fetch(`${url}/a2a/jsonrpc`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'a2a-version': '1.0',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return { status: response.status, body: (await response.json()) as RpcBody };
}

/** What the tests read of a JSON-RPC answer. */
export interface RpcBody {
  result?: { task?: TaskJson } & TaskJson;
  error?: { code: number; message: string };
}

/** A task as ProtoJSON. */
export interface TaskJson {
  id: string;
  status: {
    state: string;
    message?: { parts: { text?: string; data?: Record<string, unknown> }[] };
  };
  artifacts?: { parts: { text?: string; data?: Record<string, unknown> }[] }[];
}

/** Sends a skill invocation with SendMessage (blocking). */
export async function sendSkill(
  url: string,
  token: string,
  skill: string,
  args: Record<string, unknown>,
) {
  const message = {
    messageId: crypto.randomUUID(),
    role: 'ROLE_USER',
    parts: [{ data: { skill, ...args } }],
  };
  const { body } = await rpc(url, token, 'SendMessage', { message });
  const task = body.result?.task;
  if (task === undefined) throw new Error(`no task: ${JSON.stringify(body)}`);
  return task;
}

/** Polls GetTask until the task leaves `state` (or 10 s pass). */
export async function waitForStateChange(
  url: string,
  token: string,
  id: string,
  state: string,
): Promise<TaskJson> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { body } = await rpc(url, token, 'GetTask', { id });
    const task = body.result as TaskJson | undefined;
    if (task && task.status.state !== state) return task;
    if (Date.now() > deadline) throw new Error(`task ${id} stayed ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The status message's text and data parts. */
export function statusParts(task: TaskJson) {
  const parts = task.status.message?.parts ?? [];
  return {
    text: parts.find((p) => p.text !== undefined)?.text ?? '',
    data: parts.find((p) => p.data)?.data,
  };
}

/** Calls the approvals API. */
export async function approvalsApi(
  url: string,
  token: string,
  pathAndQuery: string,
  body?: unknown,
) {
  const response = await fetch(`${url}/approvals${pathAndQuery}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}
