import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isGranted, parseGrant, readGrantManifest } from '../src/runtime/capabilities/grant.js';

describe('grants', () => {
  it('denies WASI by default and allows the contract host interfaces', () => {
    expect(isGranted(undefined, 'witplug:host/log@0.1.0')).toBe(true);
    expect(isGranted(undefined, 'wasi:clocks/wall-clock@0.2.3')).toBe(false);
    expect(isGranted({}, 'wasi:filesystem/preopens@0.2.3')).toBe(false);
  });

  it('implies WASI interfaces from switches and keeps host interfaces', () => {
    const g = parseGrant({ clocks: true, filesystem: [{ host: '/tmp', guest: '/data' }] });
    expect(isGranted(g, 'wasi:clocks/monotonic-clock@0.2.0')).toBe(true);
    expect(isGranted(g, 'wasi:filesystem/types@0.2.0')).toBe(true);
    expect(isGranted(g, 'wasi:random/random@0.2.0')).toBe(false);
    expect(isGranted(g, 'witplug:host/config@0.1.0')).toBe(true);
  });

  it('an explicit import list is exhaustive, with wildcards', () => {
    const g = parseGrant({ imports: ['witplug:host/log', 'wasi:io/*'] });
    expect(isGranted(g, 'witplug:host/log@0.1.0')).toBe(true);
    expect(isGranted(g, 'witplug:host/config@0.1.0')).toBe(false);
    expect(isGranted(g, 'wasi:io/streams@0.2.0')).toBe(true);
  });

  it('rejects malformed manifests with the field named', async () => {
    expect(() => parseGrant({ clocks: 'yes' })).toThrow(/"clocks" must be a boolean/);
    expect(() => parseGrant({ limits: { fuel: -1 } })).toThrow(/"limits.fuel" must be a positive number/);
    expect(parseGrant({ limits: { maxTableElements: 500 } }).limits).toEqual({ maxTableElements: 500 });
    expect(() => parseGrant({ limits: { maxTableElements: 0 } })).toThrow(/"limits.maxTableElements" must be a positive number/);
    expect(() => parseGrant({ network: true })).toThrow(/"network" must be one of the known fields/);
    expect(() => parseGrant([])).toThrow(/must be an object/);
    const dir = mkdtempSync(join(tmpdir(), 'witplug-grant-'));
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    await expect(readGrantManifest(join(dir, 'bad.json'))).rejects.toMatchObject({ code: 'USAGE' });
    await expect(readGrantManifest(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    writeFileSync(join(dir, 'ok.json'), JSON.stringify({ filesystem: [{ host: 'data', guest: '/data', readonly: false }] }));
    const g = await readGrantManifest(join(dir, 'ok.json'));
    expect(g.filesystem?.[0]).toEqual({ host: join(dir, 'data'), guest: '/data', readonly: false });
  });
});
