import { randomUUID } from 'node:crypto';
import type { LoadTarget } from './target.js';

/** One `SendMessage` request, ready to send. */
export interface EchoRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * The texts `repeating` targets cycle through, the next one after each pass over the tokens. The
 * decision cache then holds agents x texts x 2 (skill and tool) decisions, 800 with the bench's
 * 100 agents: far under its 10,000 entries, so after the first four passes every decision hits.
 */
export const REPEATING_TEXTS = [
  'hello from the Warden benchmark',
  'the same words again',
  'a third text',
  'and a fourth',
] as const;

/**
 * Returns the source of a target's requests: each call gives the next one. Every request carries
 * a fresh `messageId`, as a real peer sends, and the next token round-robin, so a server cannot
 * profit from seeing one caller only. The texts follow `target.echoTexts`. Each source tags its
 * ids and texts with a random prefix, so no two runs against one server send the same text.
 */
export function createEchoRequests(target: LoadTarget): () => EchoRequest {
  const tag = randomUUID().slice(0, 8);
  const tokens = target.bearerTokens;
  let sent = 0;

  return () => {
    const n = sent++;
    const token = tokens[n % Math.max(1, tokens.length)];
    const text =
      target.echoTexts === 'unique'
        ? `echo ${tag}-${n}`
        : REPEATING_TEXTS[Math.floor(n / Math.max(1, tokens.length)) % REPEATING_TEXTS.length];
    return { headers: requestHeaders(token), body: sendMessageBody(`${tag}-${n}`, text ?? '') };
  };
}

/**
 * Sends one `SendMessage` and throws unless the answer is a completed task echoing the text, so a
 * benchmark can never quietly measure how fast a server says no.
 */
export async function assertEchoCompletes(target: LoadTarget): Promise<void> {
  const text = REPEATING_TEXTS[0];
  const { state, body, echoed } = await sendEcho(target, text);

  if (state !== 'TASK_STATE_COMPLETED' || echoed !== text) {
    throw new Error(`${target.name}: SendMessage did not complete: ${body}`);
  }
}

/**
 * For a target that enforces `policies/echo`: throws unless a text saying "forbidden" is refused
 * (the task ends rejected). Proof that the decisions the benchmark pays for are real ones.
 */
export async function assertPolicyRefuses(target: LoadTarget): Promise<void> {
  const { state, body } = await sendEcho(target, 'this text is forbidden');

  if (state !== 'TASK_STATE_REJECTED') {
    throw new Error(`${target.name}: policy did not refuse a "forbidden" text: ${body}`);
  }
}

async function sendEcho(target: LoadTarget, text: string) {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: requestHeaders(target.bearerTokens[0]),
    body: sendMessageBody(randomUUID(), text),
  });
  const body = await response.text();
  const task = response.ok ? readTask(parseJson(body)) : undefined;

  return { state: task?.status?.state, body, echoed: task && readEcho(task) };
}

/** Counts a response body; true when it is a completed task. */
export function checkAnswer(body: string, counts: { jsonRpcErrors: number }): boolean {
  const parsed = parseJson(body);
  if (isRecord(parsed) && parsed['error'] !== undefined) counts.jsonRpcErrors += 1;

  return readTask(parsed)?.status?.state === 'TASK_STATE_COMPLETED';
}

function requestHeaders(token: string | undefined): Record<string, string> {
  const headers = { 'content-type': 'application/json', 'a2a-version': '1.0' };

  return token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` };
}

function sendMessageBody(messageId: string, text: string): string {
  const message = { messageId, role: 'ROLE_USER', parts: [{ data: { skill: 'echo', text } }] };

  return JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message } });
}

interface TaskJson {
  status?: { state?: string };
  artifacts?: { parts?: { data?: Record<string, unknown> }[] }[];
}

function readTask(parsed: unknown): TaskJson | undefined {
  if (!isRecord(parsed) || !isRecord(parsed['result'])) return undefined;

  const task = parsed['result']['task'];
  return isRecord(task) ? (task as TaskJson) : undefined;
}

/** The `echo` value of the task's first artifact's data part. */
function readEcho(task: TaskJson): unknown {
  const parts = task.artifacts?.[0]?.parts ?? [];

  return parts.find((part) => part.data !== undefined)?.data?.['echo'];
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
