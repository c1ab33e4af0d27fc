import { parseArgs } from 'node:util';
import { serveForParent } from './children.js';

/**
 * The entry point of a bench child process: `serve.js --serve NAME [--issuer URL]`, forked by
 * `children.ts`. Kept apart from `run.ts` so that a server's process loads only what that server
 * needs: not autocannon, the dev IdP or the micro-benchmarks, whose memory would otherwise count
 * in the server's RSS.
 */
const { values } = parseArgs({
  options: { serve: { type: 'string' }, issuer: { type: 'string' } },
});

if (values.serve === undefined) {
  process.stderr.write('bench/serve: --serve NAME is required (run by bench/run.ts)\n');
  process.exitCode = 2;
} else {
  process.exitCode = await serveForParent(values.serve, { issuer: values.issuer });
}
