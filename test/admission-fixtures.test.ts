import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { admit, admitShape, type Contract } from '../src/admission/gate.js';
import { decodeComponent } from '../src/component/decode.js';
import { ShapeCache } from '../src/component/shape-cache.js';
import { addPluginMetadata, findPluginMetadata } from '../src/component/plugin-metadata.js';
import type { AdmissionReport } from '../src/admission/report.js';
import { CASES } from './fixtures/admission/cases.js';
import { applyEdits, BASE_WIT, buildTypeOnly } from './fixtures/admission/build.js';

let contract: Contract;
let baseBytes: Uint8Array;

beforeAll(async () => {
  baseBytes = await buildTypeOnly(BASE_WIT);
  contract = { shape: decodeComponent(baseBytes).shape };
});

const dump = (r: AdmissionReport): string => JSON.stringify(r, null, 2);

describe('admission fixtures (one WIT edit each, checked against the base contract)', () => {
  it('has at least 40 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(40));

  for (const c of CASES) {
    it(c.name, async () => {
      const bytes = await buildTypeOnly(applyEdits(BASE_WIT, c.edits));
      const options = c.allowedImports ? { allowedImports: new Set(c.allowedImports) } : {};
      const report = admit(bytes, contract, options);
      expect(report.accepted, dump(report)).toBe(c.accepted);
      expect(report.accepted).toBe(report.problems.length === 0);
      if (c.codes) expect([...new Set(report.problems.map((p) => p.code))].sort(), dump(report)).toEqual([...c.codes].sort());
      if (c.minProblems) expect(report.problems.length).toBeGreaterThanOrEqual(c.minProblems);
      if (c.expect) {
        const e = c.expect;
        const hit = report.problems.find((p) => p.code === e.code && p.path.includes(e.path) && (e.message ?? []).every((m) => p.message.includes(m)));
        expect(hit, `no ${e.code} at "${e.path}" with ${JSON.stringify(e.message)} in\n${dump(report)}`).toBeDefined();
      }
      if (c.note) {
        const n = c.note;
        expect(report.notes.some((x) => x.code === n.code && x.path.includes(n.path)), dump(report)).toBe(true);
      }
      // The whole report — every code, full path and whole message — against its reviewed golden copy
      // (test/__snapshots__/): the checks above say what matters, this catches any other change.
      expect(report).toMatchSnapshot();
    });
  }
});

describe('admission of bytes that are not a well-formed component', () => {
  const cases: [string, () => Uint8Array, string][] = [
    ['empty', () => new Uint8Array(0), 'MALFORMED'],
    ['core module', () => Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), 'NOT_A_COMPONENT'],
    ['random bytes', () => Uint8Array.from({ length: 256 }, (_, i) => (i * 7919 + 13) & 0xff), 'MALFORMED'],
    ['truncated component', () => baseBytes.subarray(0, Math.floor(baseBytes.length / 2)), 'MALFORMED'],
    ['component preamble then garbage', () => Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0, 0x07, 0xff, 0xff, 0xff, 0xff, 0x0f]), 'MALFORMED'],
  ];
  for (const [name, bytes, code] of cases) {
    it(`${name} → ${code}`, () => {
      const r = admit(bytes(), contract);
      expect(r.accepted).toBe(false);
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]).toMatchObject({ code, path: '' });
    });
  }
});

describe('gate API', () => {
  it('admitShape on a decoded shape equals admit on bytes', () => {
    expect(admitShape(decodeComponent(baseBytes).shape, contract)).toEqual(admit(baseBytes, contract));
  });

  it('shape cache decodes identical bytes once and stays bounded', async () => {
    const cache = new ShapeCache(2);
    admit(baseBytes, contract, { cache });
    admit(Uint8Array.from(baseBytes), contract, { cache });
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
    const other = await buildTypeOnly(applyEdits(BASE_WIT, [['  export store;\n', '  export store;\n  export extra;\n']]));
    const third = await buildTypeOnly(applyEdits(BASE_WIT, [['    fetch: func(key: string) -> result<string, u32>;\n', '']]));
    admit(other, contract, { cache });
    admit(third, contract, { cache });
    expect(cache.size).toBe(2);
  });

  it('reads plugin metadata from the witplug-metadata custom section', () => {
    const meta = { name: 'rate-limit', version: '1.0.0', description: 'Limits requests', usage: 'configure key "rps"' };
    const withMeta = addPluginMetadata(baseBytes, meta);
    const decoded = decodeComponent(withMeta);
    expect(findPluginMetadata(decoded.customSections)).toEqual({ metadata: meta, error: null });
    expect(admit(withMeta, contract).accepted).toBe(true);
    expect(findPluginMetadata(decodeComponent(baseBytes).customSections).metadata).toBeNull();
    const bad = decodeComponent(addPluginMetadata(baseBytes, { name: 5 } as unknown as { name: string }));
    expect(findPluginMetadata(bad.customSections).error).toMatch(/"name" must be a string/);
  });
});

// Real guests, when built (npm run build:guests): guests/dist/gateway-*.wasm target wit/ world gateway-plugin.
const GUEST_DIR = join(process.cwd(), 'guests', 'dist');
const guests = existsSync(GUEST_DIR) ? readdirSync(GUEST_DIR).filter((f) => f.startsWith('gateway-') && f.endsWith('.wasm')) : [];
describe('real guests against wit/ gateway-plugin', () => {
  it('the guests are built (npm test builds them first)', () => expect(guests.sort()).toEqual(['gateway-c.wasm', 'gateway-js.wasm', 'gateway-wat.wasm']));
  let gateway: Contract;
  beforeAll(async () => {
    const { loadContract } = await import('../src/contract/load.js');
    gateway = await loadContract(join(process.cwd(), 'wit'), 'gateway-plugin');
  });
  for (const g of guests) {
    it(g, () => {
      const report = admit(new Uint8Array(readFileSync(join(GUEST_DIR, g))), gateway);
      const notWasi = report.problems.filter((p) => !(p.code === 'EXTRA_IMPORT' && p.path.startsWith('import wasi:')));
      // JS guests (componentize-js) import wasi:* the contract does not offer: EXTRA_IMPORT until granted.
      expect(notWasi, dump(report)).toEqual([]);
      const wasi = report.problems.filter((p) => p.path.startsWith('import wasi:')).map((p) => p.path.slice('import '.length));
      console.log(`${g}: accepted=${report.accepted}; wasi imports not offered by gateway-plugin: ${wasi.join(', ') || 'none'}`);
    });
  }
});
