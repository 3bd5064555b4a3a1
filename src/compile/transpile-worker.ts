/**
 * A worker thread running jco's transpiler for src/compile/transpiler-thread.ts:
 * once jco has crashed in the host thread (a panic leaves its component
 * instance unusable for the rest of the process), transpiles run here, where a
 * crash ends only this thread. jco prints a panic's message to stderr; here
 * it is captured and returned with the job's outcome.
 */
import { parentPort } from 'node:worker_threads';
import { transpile } from '@bytecodealliance/jco';
import { isJcoCrash } from './transpile.js';

export interface TranspileJob {
  readonly bytes: Uint8Array;
  readonly options: Readonly<Record<string, unknown>>;
}

export type TranspileReply =
  | { readonly ok: true; readonly files: Record<string, Uint8Array> }
  | { readonly ok: false; readonly message: string; readonly crashed: boolean; readonly stderr: string };

const STDERR_KEEP = 16 * 1024;

const port = parentPort;
if (port) {
  port.on('message', (job: TranspileJob) => {
    // This thread runs one job at a time and nothing else: its stderr is jco's.
    let stderr = '';
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array): boolean => {
      if (stderr.length < STDERR_KEEP) stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stderr.write;
    transpile(job.bytes, { ...job.options })
      .then(
        ({ files }): TranspileReply => ({ ok: true, files }),
        (e: unknown): TranspileReply => ({
          ok: false,
          message: e instanceof Error ? e.message : String(e),
          crashed: isJcoCrash(e),
          stderr,
        }),
      )
      .then((reply) => {
        process.stderr.write = write;
        port.postMessage(reply);
      });
  });
}
