import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { REPO } from '../support/harness.js';

/** A `warden serve` started by a test in its own process, with what it wrote so far. */
export interface WardenProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code once the process ended and its output was read. */
  readonly exit: Promise<number | null>;
}

/** Writes `config` as YAML into `dir` and starts `warden serve` on it, through the real CLI. */
export function spawnWarden(dir: string, config: Record<string, unknown>): WardenProcess {
  const file = path.join(dir, 'warden.yaml');
  writeFileSync(file, stringify(config));

  // tsx runs the sources, so no build is needed first.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', file],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exit = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  exit.catch(() => undefined);

  const running: WardenProcess = { child, stdout: '', stderr: '', exit };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (running.stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (running.stderr += chunk));
  return running;
}

/** Resolves once the process logged `listening`; rejects when it exits first or on timeout. */
export async function waitUntilListening(running: WardenProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!running.stdout.includes('"message":"listening"')) {
    if (running.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`warden did not start:\n${running.stdout}\n${running.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Stops the process and waits for it to end. */
export async function stopWarden(running: WardenProcess): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill('SIGTERM');
  }
  await running.exit;
}
