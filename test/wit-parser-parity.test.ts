/**
 * witplug's own WIT parser against wasm-tools (through jco, offline) on a
 * corpus written for it (test/fixtures/wit-parity):
 *
 * - valid/: every world of the root package has the same shape on both
 *   routes, or is missing on both (a world behind an inactive feature);
 * - invalid/: wasm-tools rejects each case, and so does witplug, with a
 *   CONTRACT error at the line:column wasm-tools reports for that kind of
 *   error (recorded on each case's first line, since jco drops positions).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseWitTree, readWitTree, resolveWitWorld } from '../src/contract/wit/index.js';
import { isWitplugError } from '../src/errors.js';
import { canonical } from './helpers/shape.js';
import { wasmTools } from './helpers/wasm-tools-oracle.js';

const CORPUS = resolve('test/fixtures/wit-parity');
const cases = (kind: 'valid' | 'invalid'): string[] => readdirSync(join(CORPUS, kind)).sort().map((n) => join(CORPUS, kind, n));

const counts = { worlds: 0, shapesAgree: 0, invalid: 0, bothReject: 0, positionsChecked: 0, positionsAgree: 0 };
const time = { own: 0, jco: 0 };

async function timed<T>(key: keyof typeof time, f: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    time[key] += performance.now() - t0;
  }
}

async function ownWorlds(path: string): Promise<string[]> {
  return [...parseWitTree(await readWitTree(path)).root.worlds.keys()];
}

/** witplug's answer: the canonical shape, or the error. */
async function own(path: string, world: string): Promise<{ ok: true; shape: string } | { ok: false; error: unknown }> {
  try {
    return { ok: true, shape: canonical(resolveWitWorld(parseWitTree(await readWitTree(path)), world).shape) };
  } catch (error) {
    return { ok: false, error };
  }
}

describe('valid WIT: the same shape as wasm-tools, world by world', () => {
  for (const path of cases('valid')) {
    it(basename(path), async () => {
      for (const world of await ownWorlds(path)) {
        counts.worlds++;
        const theirs = await timed('jco', () => wasmTools(path, world));
        const mine = await timed('own', () => own(path, world));
        if (theirs.ok) {
          expect(mine, `${world}: ${mine.ok ? '' : String(mine.error)}`).toMatchObject({ ok: true });
          expect(mine.ok && mine.shape, world).toBe(canonical(theirs.shape));
        } else {
          // The only valid-package failure on wasm-tools' side is a world it cannot see.
          expect(theirs.message, world).toMatch(/World `.*` not found/);
          expect(mine.ok, world).toBe(false);
          if (!mine.ok) expect(String(mine.error), world).toMatch(/world '.*' not found/);
        }
        counts.shapesAgree++;
      }
    });
  }
});

/** `// wasm-tools: error at [file:]line:col` (or `, no position`) on the first line of the case's first file. */
function recordedPosition(path: string): { file: string | null; line: number; column: number } | null {
  const first = statSync(path).isDirectory() ? join(path, readdirSync(path).filter((n) => n.endsWith('.wit')).sort()[0]!) : path;
  const header = readFileSync(first, 'utf8').split('\n')[0]!;
  if (/^\/\/ wasm-tools: error, no position$/.test(header)) return null;
  const m = /^\/\/ wasm-tools: error at (?:([\w.-]+\.wit):)?(\d+):(\d+)$/.exec(header);
  if (!m) throw new Error(`${first}: first line must record where wasm-tools reports the error`);
  return { file: m[1] ?? null, line: Number(m[2]), column: Number(m[3]) };
}

describe('invalid WIT: rejected by both, at the position wasm-tools names', () => {
  for (const path of cases('invalid')) {
    it(basename(path), async () => {
      counts.invalid++;
      const theirs = await timed('jco', () => wasmTools(path, 'w'));
      expect(theirs.ok, 'the corpus case must be invalid for wasm-tools').toBe(false);
      const mine = await timed('own', () => own(path, 'w'));
      expect(mine.ok).toBe(false);
      if (mine.ok) return;
      expect(isWitplugError(mine.error) && mine.error.code, String(mine.error)).toBe('CONTRACT');
      counts.bothReject++;
      const want = recordedPosition(path);
      if (!want || !isWitplugError(mine.error)) return;
      counts.positionsChecked++;
      const at = mine.error.details as { file: string; line: number; column: number };
      expect({ file: want.file === null ? null : basename(at.file), line: at.line, column: at.column }, mine.error.message).toEqual(want);
      counts.positionsAgree++;
    });
  }
});

afterAll(() => {
  // Reported for the record (not asserted: machines differ).
  console.log(
    `wit parity: ${counts.shapesAgree}/${counts.worlds} valid worlds agree; ${counts.bothReject}/${counts.invalid} invalid cases rejected by both, ` +
      `${counts.positionsAgree}/${counts.positionsChecked} at wasm-tools' line:column; time own ${time.own.toFixed(0)} ms, jco ${time.jco.toFixed(0)} ms`,
  );
});
