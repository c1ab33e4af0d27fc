import { Message } from '@a2a-js/sdk';
import type { Request } from 'express';
import type { A2aBinding } from '../http/protocol-error.js';
import type { SkillDefinition } from '../agent/define.js';
import { readSkillRequest, type SkillRequest } from '../agent/invocation.js';

const SEND_METHODS = new Set(['SendMessage', 'SendStreamingMessage']);
const REST_SEND = /\/message:(send|stream)$/;

/**
 * The message of a SendMessage or SendStreamingMessage request, in the SDK's own form, or
 * `undefined` for any other operation or for a body the SDK will reject itself. Reading it with
 * the SDK's `Message.fromJSON` means Warden checks exactly the message the SDK will run.
 */
export function readSentMessage(req: Request, binding: A2aBinding): Message | undefined {
  if (!sentMessages.has(req)) sentMessages.set(req, parseSentMessage(req, binding) ?? null);
  return sentMessages.get(req) ?? undefined;
}

/**
 * The skill a SendMessage request asks for, read once per request: the DPoP requirement, the rate
 * limiter and the skill gate all ask, and each would otherwise parse the message again.
 */
export function readRequestedSkill(
  req: Request,
  binding: A2aBinding,
  skills: ReadonlyMap<string, SkillDefinition>,
): SkillRequest {
  const known = requestedSkills.get(req);
  if (known !== undefined) return known;

  const message = readSentMessage(req, binding);
  const request: SkillRequest = message ? readSkillRequest(message, skills) : { kind: 'none' };
  requestedSkills.set(req, request);
  return request;
}

// Per request, dropped with it. `null` records "no message", so a miss is not parsed again.
const sentMessages = new WeakMap<Request, Message | null>();
const requestedSkills = new WeakMap<Request, SkillRequest>();

function parseSentMessage(req: Request, binding: A2aBinding): Message | undefined {
  const body: unknown = req.body;
  if (!isRecord(body)) return undefined;

  const raw = binding === 'jsonrpc' ? jsonRpcMessage(body) : restMessage(req, body);
  if (!isRecord(raw)) return undefined;

  try {
    return Message.fromJSON(raw);
  } catch {
    return undefined;
  }
}

/** The JSON-RPC request id, when the body has a usable one; errors echo it. */
export function jsonRpcIdOf(req: Request): string | number | null {
  const body: unknown = req.body;
  const id = isRecord(body) ? body['id'] : undefined;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

function jsonRpcMessage(body: Record<string, unknown>): unknown {
  const method = body['method'];
  const params = body['params'];
  if (typeof method !== 'string' || !SEND_METHODS.has(method) || !isRecord(params))
    return undefined;
  return params['message'];
}

function restMessage(req: Request, body: Record<string, unknown>): unknown {
  return req.method === 'POST' && REST_SEND.test(req.path) ? body['message'] : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
