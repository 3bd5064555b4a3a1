/**
 * jco's transpiler in a replaceable worker thread (transpile-worker.ts), for
 * when the host thread's jco instance has crashed: one job at a time; a job
 * that crashes jco ends the thread (its stderr, where jco prints the panic,
 * becomes the job's message) and the next job starts a fresh one.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { TranspileJob, TranspileReply } from './transpile-worker.js';

/** Outcome of one transpile in the thread; `crashed`: jco trapped (the thread is gone). */
export type ThreadOutcome =
  | { readonly ok: true; readonly files: Record<string, Uint8Array> }
  | { readonly ok: false; readonly message: string; readonly crashed: boolean };

/** The longest one transpile may take in the thread before it is ended (large components take seconds). */
const JOB_TIMEOUT_MS = 300_000;

/** The compiled worker next to this module (tests run from src/, workers always run from dist/). */
function workerUrl(): URL {
  const here = fileURLToPath(import.meta.url);
  const js = here.endsWith('.ts') ? here.replace(/\/src\//, '/dist/').replace(/\.ts$/, '.js') : here;
  return new URL('./transpile-worker.js', `file://${js}`);
}

interface Live {
  readonly worker: Worker;
  /** Set while a job runs: its reply handler, and how the thread ending early fails it. */
  onReply: ((reply: TranspileReply) => void) | null;
  onExit: ((why: string) => void) | null;
}

let live: Live | null = null;
let queue: Promise<unknown> = Promise.resolve();

function start(): Live {
  // No inherited execArgv: the thread runs witplug's own compiled code.
  const worker = new Worker(workerUrl(), { execArgv: [] });
  const l: Live = { worker, onReply: null, onExit: null };
  const gone = (why: string): void => {
    if (live === l) live = null;
    l.onExit?.(why);
  };
  worker.on('message', (reply: TranspileReply) => l.onReply?.(reply));
  worker.on('error', (e) => gone(e.message));
  worker.on('exit', (code) => gone(`the transpiler thread exited (code ${code})`));
  // After the listeners (adding a 'message' listener refs the thread again): an idle
  // thread never keeps the process alive; a running job refs it.
  worker.unref();
  return l;
}

function runOne(job: TranspileJob): Promise<ThreadOutcome> {
  const l = live ?? (live = start());
  return new Promise<ThreadOutcome>((resolve) => {
    const done = (o: ThreadOutcome, retire: boolean): void => {
      clearTimeout(timer);
      l.onReply = null;
      l.onExit = null;
      if (retire) {
        // A crashed jco instance cannot be entered again: the next job gets a fresh thread.
        if (live === l) live = null;
        void l.worker.terminate();
      } else {
        l.worker.unref();
      }
      resolve(o);
    };
    l.onReply = (reply) => {
      if (reply.ok) return done(reply, false);
      const message = reply.crashed ? (panicText(reply.stderr) ?? reply.message) : reply.message;
      done({ ok: false, crashed: reply.crashed, message }, reply.crashed);
    };
    l.onExit = (why) => done({ ok: false, crashed: true, message: why }, true);
    const timer = setTimeout(() => done({ ok: false, crashed: true, message: `jco did not finish within ${JOB_TIMEOUT_MS / 1000} s` }, true), JOB_TIMEOUT_MS);
    l.worker.ref();
    l.worker.postMessage(job);
  });
}
/** Transpiles in the thread, after any job already queued (jobs never share a crashing instance). */
export function transpileInThread(job: TranspileJob): Promise<ThreadOutcome> {
  const run = queue.then(() => runOne(job));
  queue = run.catch(() => undefined);
  return run;
}

/**
 * The lines of a Rust panic report that say what went wrong, e.g.
 * `panicked at crates/…/transpile_bindgen.rs:2987:62: not implemented: utf16 copier`.
 */
export function panicText(stderr: string): string | null {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const at = lines.findIndex((l) => / panicked at /.test(l));
  if (at < 0) return null;
  // Sources of crates from the registry print with the build machine's path: keep the crate's own.
  const where = lines[at]!.replace(/^thread .*? panicked at /, 'panicked at ').replace(/\S*\/registry\/src\/[^/]+\//, '').replace(/:$/, '');
  const what = lines.slice(at + 1).find((l) => !/^(stack backtrace|note:)/.test(l));
  return what ? `${where}: ${what}` : where;
}
