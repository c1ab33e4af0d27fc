/**
 * What the load drivers know about a server under test, and what its process reports. A server
 * runs in a child process (`bench/children.ts`); the parent receives its {@link LoadTarget} over
 * IPC and adds {@link LoadTarget.readSample}, which asks the child for a {@link ServerSample}.
 */

/**
 * The audience every Warden server of a run accepts, as replicas behind one public URL would, so
 * that one set of tokens serves them all. A resource indicator (RFC 8707), never dereferenced.
 */
export const BENCH_AUDIENCE = 'https://warden.bench.invalid';

/** The scope the echo agent's card asks for, which every bench token carries. */
export const ECHO_SCOPE = 'echo.invoke';

/**
 * How each request's echo text is chosen. `unique`: a text no request sent before, so every Cedar
 * decision is one the decision cache has never seen. `repeating`: a few fixed texts in turn, so
 * after the first pass the decisions repeat and the cache answers them.
 */
export type EchoTexts = 'unique' | 'repeating';

/** A server under load: where `SendMessage` goes, and how its requests are made. */
export interface LoadTarget {
  /** The row label, e.g. `bare` or `warden-repeat`. */
  readonly name: string;
  /** The JSON-RPC endpoint, e.g. `http://127.0.0.1:8080/a2a/jsonrpc`. */
  readonly url: string;
  /** Sent round-robin, one per request, as `Authorization: Bearer`; empty for no security. */
  readonly bearerTokens: readonly string[];
  readonly echoTexts: EchoTexts;
  /** True when the server wants the bench IdP's tokens; the parent adds them to the target. */
  readonly secured: boolean;
  /** True when the server enforces `policies/echo`: a text saying "forbidden" must be refused. */
  readonly guarded: boolean;
  /** Reads the server process's counters; absent when the server runs in this process. */
  readonly readSample?: () => Promise<ServerSample>;
}

/** A benchmark server that is listening, as the process running it sees it. */
export interface RunningTarget {
  readonly target: LoadTarget;
  /** Warden's cache counters since start; absent for servers without caches. */
  readonly readCaches?: () => CacheCounters;
  close(): Promise<void>;
}

/** Lookups of one cache since the server started. */
export interface HitCounts {
  readonly hits: number;
  readonly misses: number;
}

/** Warden's two caches that a benchmark can make honest or flattering. */
export interface CacheCounters {
  /** The verified-token cache (`Warden.authStats().tokenCache`). */
  readonly token: HitCounts;
  /** The Cedar decision cache (`Warden.policyCacheStats()`). */
  readonly decision: HitCounts;
}

/** A server process's counters at one instant; the drivers subtract two of them. */
export interface ServerSample {
  /** CPU time used since the process started (user + system), in microseconds. */
  readonly cpuUs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** What V8 holds for its heap, used or not: RSS minus this is code, WebAssembly and C++. */
  readonly heapTotalBytes: number;
  /** Memory of C++ objects bound to JS ones (Buffers, WebAssembly memories among them). */
  readonly externalBytes: number;
  readonly caches?: CacheCounters;
}
