/** The on-disk cache of built contracts: reused when intact, rebuilt when not. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContract, clearContractCache } from '../src/contract/load.js';
import { fingerprintInterface } from '../src/component/fingerprint.js';
import type { Contract } from '../src/contract/load.js';

function fingerprints(c: Contract): string[] {
  return [...c.shape.imports, ...c.shape.exports].map((i) => (i.kind === 'interface' ? `${i.name}=${fingerprintInterface(i.iface)}` : i.name));
}

describe('contract disk cache', () => {
  it('stores the built world and reuses it in a fresh load', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'witplug-contracts-'));
    clearContractCache();
    const first = await loadContract('wit', 'gateway-plugin', { cacheDir });
    const files = readdirSync(cacheDir);
    expect(files).toHaveLength(1);
    clearContractCache();
    const second = await loadContract('wit', 'gateway-plugin', { cacheDir });
    expect(fingerprints(second)).toEqual(fingerprints(first));
    expect(Buffer.from(second.component!).equals(Buffer.from(first.component!))).toBe(true);
  });

  it('a flipped byte fails the integrity hash: the contract is rebuilt, never misread', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'witplug-contracts-'));
    clearContractCache();
    const good = await loadContract('guests/wat-fixture/calc.wit', 'calc', { cacheDir });
    const file = join(cacheDir, readdirSync(cacheDir)[0]!);
    const bytes = readFileSync(file);
    // Flip a byte inside a name in the component (still decodable, so only the hash can tell).
    const at = bytes.indexOf(Buffer.from('acme:calc/work'), 32);
    expect(at).toBeGreaterThan(32);
    bytes[at + 5]! ^= 0x01;
    writeFileSync(file, bytes);
    clearContractCache();
    const again = await loadContract('guests/wat-fixture/calc.wit', 'calc', { cacheDir });
    expect(fingerprints(again)).toEqual(fingerprints(good));
    expect(readFileSync(file).equals(bytes)).toBe(false); // repaired on disk
  });

  it('cacheDir null never touches the disk', async () => {
    clearContractCache();
    const c = await loadContract('guests/wat-fixture/calc.wit', 'calc', { cacheDir: null });
    expect(c.shape.exports.map((e) => e.name)).toContain('version');
  });
});
