/**
 * The one import of `@cedar-policy/cedar-wasm` (its Node entry). The V8 guard is imported first so
 * that its flag is set before Cedar's module is evaluated; see `v8-guard.ts`.
 */
import './v8-guard.js';

export {
  checkParsePolicySet,
  checkParseSchema,
  getCedarVersion,
  policySetTextToParts,
  policyToJson,
  preparsePolicySet,
  preparseSchema,
  schemaToJson,
  schemaToJsonWithResolvedTypes,
  statefulIsAuthorized,
  validate,
} from '@cedar-policy/cedar-wasm/nodejs';

export type {
  AuthorizationAnswer,
  CedarValueJson,
  Context,
  DetailedError,
  EntityJson,
  EntityUidJson,
  SchemaJson,
  TypeAndId,
} from '@cedar-policy/cedar-wasm/nodejs';
