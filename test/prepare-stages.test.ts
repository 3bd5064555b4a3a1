/**
 * prepare() decodes before it plans capabilities and admits: bytes that do
 * not decode must still be reported exactly as the gate's own admit()
 * reports them (a bad preamble first, then what the decoder threw), and a
 * plugin that is both rejected and unlinkable is REJECTED, not LINK.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { prepare, loadContract, admit, CompileCache, WitplugError, ErrorCodes, type Contract } from '../src/index.js';
import type { AdmissionReport } from '../src/admission/report.js';

const cache = new CompileCache(null);
const GOOD = readFileSync('guests/dist/gateway-c.wasm');
let contract: Contract;

beforeAll(async () => {
  contract = await loadContract('wit', 'gateway-plugin');
});

const preamble = (layer: number) => new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, layer, 0x00]);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Bytes that fail before or while decoding, each a different way. */
const BAD: Record<string, Uint8Array> = {
  'empty': new Uint8Array(0),
  'no preamble': new TextEncoder().encode('not wasm at all'),
  'a core module': new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]),
  'layer 2': preamble(2),
  'a section running past the end': concat(preamble(1), new Uint8Array([0x01, 0xff, 0xff, 0x03, 0x00])),
  'an unknown section id': concat(preamble(1), new Uint8Array([0x7f, 0x01, 0x00])),
  'a truncated real component': GOOD.subarray(0, Math.floor(GOOD.length / 2)),
};

async function rejection(bytes: Uint8Array): Promise<AdmissionReport> {
  const err = await prepare(bytes, { contract, cache }).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(WitplugError);
  expect((err as WitplugError).code).toBe(ErrorCodes.REJECTED);
  return ((err as WitplugError).details as { report: AdmissionReport }).report;
}

describe('prepare() reports undecodable bytes as the gate does', () => {
  for (const [what, bytes] of Object.entries(BAD)) {
    it(`${what}: REJECTED with admit()'s problem`, async () => {
      const expected = admit(bytes, contract);
      expect(expected.accepted).toBe(false);
      const report = await rejection(bytes);
      expect(report.problems).toEqual(expected.problems);
    });
  }
});

describe('the link check is decided before admission but reported after it', () => {
  it('rejected and unlinkable (a host implementation only for another major version): REJECTED', async () => {
    const narrow = await loadContract('guests/wat-adversarial/wit', 'reader');
    const err = await prepare(GOOD, {
      contract: narrow, cache, host: { 'witplug:host/log@9.0.0': { log: () => undefined } },
    }).then(() => null, (e: unknown) => e as WitplugError);
    expect(err?.code).toBe(ErrorCodes.REJECTED);
  });

  it('admitted but unlinkable: LINK', async () => {
    const err = await prepare(GOOD, { contract, cache, host: { 'witplug:host/log@9.0.0': { log: () => undefined } } }).then(
      () => null,
      (e: unknown) => e as WitplugError,
    );
    expect(err?.code).toBe(ErrorCodes.LINK);
  });
});
