/**
 * Runs a child process without blocking the test worker. vitest's worker
 * talks to the main process over RPC with a 60 s deadline; a worker blocked
 * in spawnSync on a loaded machine misses it and the run fails outside any
 * test, so long child processes are awaited, never waited for synchronously.
 */
import { execFile } from 'node:child_process';

export interface RunResult {
  /** Exit code; null when the process was ended by a signal (a timeout included). */
  code: number | null;
  /** The signal that ended it (SIGTERM after a timeout), else null. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((done) => {
    execFile(cmd, args, { encoding: 'utf8', env: options.env, cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      done({ code, signal: err?.signal ?? null, stdout, stderr: stderr || (code === null ? String(err) : '') });
    });
  });
}
