import type { Response } from 'express';

/** The A2A binding a request arrived on; decides the shape of an error body (A2A §9.5, §11.6). */
export type A2aBinding = 'jsonrpc' | 'rest';

/**
 * JSON-RPC codes Warden uses for failures A2A leaves to "a JSON-RPC custom error" (A2A §3.3.2).
 * They sit outside both JSON-RPC's reserved range and A2A's -32001..-32099, so a future A2A code
 * cannot collide with them; the HTTP status carries the same meaning for clients that read it.
 */
export const WARDEN_JSONRPC_CODES = {
  UNAUTHENTICATED: -31401,
  PERMISSION_DENIED: -31403,
} as const;

/** A failure to answer in the binding's own error format. */
export interface ProtocolError {
  /** HTTP status. */
  status: number;
  /** JSON-RPC `error.code`. */
  jsonRpcCode: number;
  /** google.rpc.Status `status` for the REST binding, e.g. `UNAUTHENTICATED`. */
  rpcStatus: string;
  /** `google.rpc.ErrorInfo.reason`, UPPER_SNAKE_CASE. */
  reason: string;
  /** Short, caller-safe message; never a token, secret or stack. */
  message: string;
  /** Extra `ErrorInfo.metadata` (string values only, per google.rpc.ErrorInfo). */
  metadata?: Record<string, string>;
}

/**
 * Writes `error` as a JSON-RPC error response (`jsonrpc` binding) or a google.rpc.Status body
 * (`rest` binding). The JSON-RPC `id` is null when the request was rejected before its body was
 * read, as JSON-RPC 2.0 §5 prescribes for an id that could not be determined.
 */
export function sendProtocolError(
  res: Response,
  binding: A2aBinding,
  error: ProtocolError,
  id: string | number | null = null,
): void {
  const detail = {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason: error.reason,
    domain: 'warden',
    metadata: error.metadata ?? {},
  };

  res.status(error.status);
  if (binding === 'jsonrpc') {
    const body = { code: error.jsonRpcCode, message: error.message, data: [detail] };
    res.json({ jsonrpc: '2.0', id, error: body });
    return;
  }

  const body = { code: error.status, status: error.rpcStatus, message: error.message };
  res.json({ error: { ...body, details: [detail] } });
}
