import type { Principal } from '../auth/principal.js';
import type { CedarValueJson, Context, EntityJson } from './cedar.js';
import { ValueMismatch, toCedarRecord } from './context-values.js';
import type { CedarRequest } from './decision.js';
import type { ActionPolicy, EntityRef, EntityResolvers } from './declarations.js';
import { ENTITY_TYPES } from './prelude.js';
import { delegationDepthOf, principalEntities } from './principal-entities.js';
import type { ActionShape, SchemaShape } from './schema-shape.js';
import { timeContext } from './time.js';
import { loadResourceEntities } from './resource-entities.js';

/** A skill or tool call, as the policy layer sees it. */
export interface ActionCall {
  readonly kind: 'skill' | 'tool';
  /** The skill id or tool name: the Cedar action `Action::"<name>"`. */
  readonly name: string;
  /** The validated input (tool) or arguments (skill). */
  readonly input: unknown;
  readonly policy: ActionPolicy<unknown> | undefined;
  readonly principal: Principal;
  readonly taskId: string;
  readonly contextId: string;
}

/** What building a request needs besides the call. */
export interface RequestOptions {
  readonly shape: SchemaShape;
  readonly resolvers: EntityResolvers;
  /** IANA zone of `context.time`. */
  readonly timeZone: string;
  readonly now: Date;
}

/** Why no request could be built: each denies the call. */
export type RequestFailureReason = 'unknown-action' | 'invalid-input' | 'unresolved-entity';

/** A built request, or why there is none (an operator message and one safe for the caller). */
export type BuiltRequest =
  | { readonly ok: true; readonly request: CedarRequest }
  | {
      readonly ok: false;
      readonly reason: RequestFailureReason;
      readonly message: string;
      readonly publicMessage: string;
      readonly cause?: unknown;
    };

/**
 * Builds the Cedar request for a call: the principal and, if any, the user it acts for; the
 * resource from the call's declaration, with its attributes and ancestors from the resolvers; and
 * the context attributes the action's schema declares. Only these entities are sent to Cedar.
 */
export async function buildCedarRequest(
  call: ActionCall,
  options: RequestOptions,
): Promise<BuiltRequest> {
  const action = options.shape.actions.get(call.name);
  if (action === undefined) {
    return failure('unknown-action', `the schema declares no action "${call.name}"`, call);
  }

  let context: Context;
  try {
    context = buildContext(call, action, options);
  } catch (error) {
    if (!(error instanceof ValueMismatch)) throw error;
    return failure(
      'invalid-input',
      error.message,
      call,
      `input does not fit the policy schema: ${error.message}`,
    );
  }

  const resource = await loadResource(call, options);
  if (!resource.ok) return resource;

  const principal = principalEntities(call.principal);
  const request: CedarRequest = {
    principal: principal.uid,
    action: { type: 'Action', id: call.name },
    resource: resource.uid,
    context,
    entities: [...principal.entities, ...resource.entities],
  };
  return { ok: true, request };
}

function buildContext(call: ActionCall, action: ActionShape, options: RequestOptions): Context {
  const context: Record<string, CedarValueJson> = {};
  for (const [name, attribute] of action.context) {
    if (name === 'time') context[name] = { ...timeContext(options.now, options.timeZone) };
    else if (name === 'task') context[name] = { id: call.taskId, contextId: call.contextId };
    else if (name === 'delegationDepth') context[name] = delegationDepthOf(call.principal);
    else if (name === 'input' && attribute.type.kind === 'Record') {
      context[name] = toCedarRecord(inputFields(call), attribute.type.attributes, 'input');
    } else throw new ValueMismatch(`context.${name}: Warden provides no such context attribute`);
  }
  return context;
}

function inputFields(call: ActionCall): Readonly<Record<string, unknown>> {
  if (call.policy?.context !== undefined) return call.policy.context(call.input);

  const input = call.input;
  return typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
}

async function loadResource(
  call: ActionCall,
  options: RequestOptions,
): Promise<
  { ok: true; uid: EntityRef; entities: EntityJson[] } | Extract<BuiltRequest, { ok: false }>
> {
  let uid: EntityRef;
  try {
    uid = call.policy?.resource ? await call.policy.resource(call.input) : defaultResource(call);
  } catch (cause) {
    return failure(
      'unresolved-entity',
      'the resource could not be determined',
      call,
      undefined,
      cause,
    );
  }

  const context = { principal: call.principal, taskId: call.taskId };
  const loaded = await loadResourceEntities(uid, options.resolvers, context);
  if (!loaded.ok) {
    const message = `${loaded.entity.type} "${loaded.entity.id}" could not be loaded`;
    return failure('unresolved-entity', message, call, message, loaded.cause);
  }
  return { ok: true, uid: { type: uid.type, id: uid.id }, entities: loaded.entities };
}

function defaultResource(call: ActionCall): EntityRef {
  return { type: call.kind === 'tool' ? ENTITY_TYPES.tool : ENTITY_TYPES.skill, id: call.name };
}

function failure(
  reason: RequestFailureReason,
  message: string,
  call: ActionCall,
  publicDetail?: string,
  cause?: unknown,
): Extract<BuiltRequest, { ok: false }> {
  const denial = `policy denies ${call.kind} "${call.name}"`;
  const publicMessage = publicDetail ? `${denial}: ${publicDetail}` : denial;
  return {
    ok: false,
    reason,
    message: `${call.kind} "${call.name}": ${message}`,
    publicMessage,
    cause,
  };
}
