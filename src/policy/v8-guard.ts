import v8 from 'node:v8';

/**
 * Turns off TurboFan's inlining of JS-to-Wasm calls before Cedar's wasm module is loaded.
 *
 * Under HTTP load with cedar-wasm in the request path, Node 20 and 22 have died with a V8 fatal
 * error (`unreachable code` in `Deoptimizer::DoComputeBuiltinContinuation`): deoptimizing an
 * optimized frame whose inlined JS-to-Wasm call is on the stack. `--no-turbo-inline-js-wasm-calls`
 * prevents it. Node refuses that flag in `NODE_OPTIONS`, and a command-line flag only protects
 * processes started through one entry point, so the flag is set here, in-process, by the one module
 * that loads Cedar: every process that can evaluate a policy (server, CLI, tests, benchmarks,
 * embedders calling `createWarden`) gets it before any JS-to-Wasm call site is optimized. V8 reads
 * the flag each time it optimizes, and Node leaves flags unfrozen after start-up
 * (`--no-freeze-flags-after-init`), which is what makes this effective (see `docs/policy.md`).
 *
 * The cost is one call through the JS-to-Wasm wrapper per Cedar call, well under a microsecond.
 */
export const JS_WASM_INLINING_FLAG = '--no-turbo-inline-js-wasm-calls';

/**
 * `WARDEN_UNSAFE_JS_WASM_INLINING=1` skips the guard. It exists for `bench/policy.ts --soak
 * --unguarded`, which checks whether the crash still reproduces; a server MUST NOT run with it.
 */
export const UNSAFE_SKIP_ENV = 'WARDEN_UNSAFE_JS_WASM_INLINING';

/** True when this process runs with the guard (always, unless the escape hatch is set). */
export const jsWasmInliningGuarded = process.env[UNSAFE_SKIP_ENV] !== '1';

if (jsWasmInliningGuarded) v8.setFlagsFromString(JS_WASM_INLINING_FLAG);
