/**
 * Robustness: ≥10,000 seeded mutations of real (type-only) components.
 * Every input must yield a report (never an exception), quickly.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { admit, type Contract } from '../src/admission/gate.js';
import { decodeComponent } from '../src/component/decode.js';
import { AdmissionCodes } from '../src/admission/report.js';
import { addPluginMetadata } from '../src/component/plugin-metadata.js';
import { applyEdits, BASE_WIT, buildTypeOnly } from './fixtures/admission/build.js';
import { rng } from './helpers/rng.js';

const CASES = 10_000;
const SEED = 0x5eed_2026;

type Mutator = (src: Uint8Array, r: () => number) => Uint8Array;
const int = (r: () => number, n: number): number => Math.floor(r() * n);

const MUTATORS: Record<string, Mutator> = {
  flipBits(src, r) {
    const out = Uint8Array.from(src);
    for (let i = 1 + int(r, 8); i > 0; i--) out[int(r, out.length)]! ^= 1 << int(r, 8);
    return out;
  },
  setByte(src, r) {
    const out = Uint8Array.from(src);
    for (let i = 1 + int(r, 4); i > 0; i--) out[8 + int(r, out.length - 8)] = [0, 0xff, 0x7f, 0x80, int(r, 256)][int(r, 5)]!;
    return out;
  },
  truncate(src, r) {
    return src.slice(0, int(r, src.length));
  },
  deleteRange(src, r) {
    const at = int(r, src.length);
    const len = 1 + int(r, 64);
    return Uint8Array.from([...src.subarray(0, at), ...src.subarray(at + len)]);
  },
  insertBytes(src, r) {
    const at = int(r, src.length);
    const ins = Array.from({ length: 1 + int(r, 16) }, () => int(r, 256));
    return Uint8Array.from([...src.subarray(0, at), ...ins, ...src.subarray(at)]);
  },
  duplicateRange(src, r) {
    const at = 8 + int(r, src.length - 8);
    const len = 1 + int(r, 128);
    return Uint8Array.from([...src.subarray(0, at), ...src.subarray(at, at + len), ...src.subarray(at)]);
  },
  hugeLeb(src, r) {
    // Overwrite a spot with a maximal LEB128 (a huge count/size) — the classic allocation bomb.
    const out = Uint8Array.from(src);
    const at = 8 + int(r, out.length - 13);
    out.set([0xff, 0xff, 0xff, 0xff, 0x0f], at);
    return out;
  },
  randomBody(src, r) {
    return Uint8Array.from([...src.subarray(0, 8), ...Array.from({ length: int(r, 512) }, () => int(r, 256))]);
  },
  asCoreModule(src, r) {
    // A component's body under a core-module preamble (layer 0): NOT_A_COMPONENT, never a crash.
    const out = Uint8Array.from(src);
    out.set([1, 0, 0, 0], 4);
    return r() < 0.5 ? out : out.subarray(0, int(r, out.length));
  },
  random(_src, r) {
    return Uint8Array.from({ length: int(r, 256) }, () => int(r, 256));
  },
};

let contract: Contract;
let seeds: Uint8Array[];

beforeAll(async () => {
  const base = await buildTypeOnly(BASE_WIT);
  contract = { shape: decodeComponent(base).shape };
  seeds = [
    base,
    addPluginMetadata(base, { name: 'fuzz', version: '0.0.1' }),
    await buildTypeOnly(applyEdits(BASE_WIT, [['deadline-ms: u32', 'deadline-ms: u64']])),
    await buildTypeOnly(applyEdits(BASE_WIT, [['  export store;\n', '  export store;\n  export extra;\n']])),
    // Small real guests with code (core modules, canon lowerings), when built.
    ...['gateway-wat.wasm', 'gateway-c.wasm']
      .map((f) => join(process.cwd(), 'guests', 'dist', f))
      .filter((p) => existsSync(p))
      .map((p) => new Uint8Array(readFileSync(p))),
  ];
});

describe('admission robustness', () => {
  it(`${CASES} seeded mutations each yield a report in < 1 s`, () => {
    const r = rng(SEED);
    const names = Object.keys(MUTATORS);
    const codes = new Set<string>(Object.values(AdmissionCodes));
    const stats: Record<string, number> = {};
    let maxMs = 0;
    let maxCase = '';
    let totalMs = 0;
    let accepted = 0;
    for (let i = 0; i < CASES; i++) {
      const seed = seeds[i % seeds.length]!;
      const m = names[int(r, names.length)]!;
      const input = MUTATORS[m]!(seed, r);
      const t0 = performance.now();
      let report;
      try {
        report = admit(input, contract);
      } catch (e) {
        throw new Error(`case ${i} (${m}) threw: ${(e as Error).stack}`, { cause: e });
      }
      const ms = performance.now() - t0;
      totalMs += ms;
      if (ms > maxMs) [maxMs, maxCase] = [ms, `${i}:${m}`];
      expect(typeof report.accepted).toBe('boolean');
      expect(report.accepted).toBe(report.problems.length === 0);
      for (const p of report.problems) {
        if (!codes.has(p.code) || typeof p.path !== 'string' || typeof p.message !== 'string') throw new Error(`case ${i} (${m}): bad problem ${JSON.stringify(p)}`);
        if (p.message.startsWith('internal error')) throw new Error(`case ${i} (${m}): ${p.message}`);
      }
      if (report.accepted) accepted++;
      const key = report.accepted ? 'accepted' : report.problems[0]!.code;
      stats[key] = (stats[key] ?? 0) + 1;
      expect(ms, `case ${i} (${m})`).toBeLessThan(1000);
    }
    // Every outcome kind the gate can produce for bytes is exercised.
    for (const k of ['accepted', 'MALFORMED', 'NOT_A_COMPONENT']) expect(stats[k], k).toBeGreaterThan(0);
    const summary = { cases: CASES, seedInputs: seeds.length, seed: SEED, maxMs: +maxMs.toFixed(2), maxCase, meanMs: +(totalMs / CASES).toFixed(3), accepted };
    console.log(JSON.stringify({ ...summary, outcomes: stats }));
  }, 120_000);
});
