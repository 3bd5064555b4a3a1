import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AdmissionCodes, ErrorCodes, NoteCodes, WitplugError, allCodes } from '../src/errors.js';
import { cli } from './helpers/cli.js';
import { tmpdir } from 'node:os';

describe('one registry of codes (src/errors.ts)', () => {
  it('every code is its own name, and a code shared by two groups is one string', () => {
    for (const group of [ErrorCodes, AdmissionCodes, NoteCodes]) {
      for (const [key, value] of Object.entries(group)) expect(value).toBe(key);
    }
    expect(ErrorCodes.MALFORMED).toBe(AdmissionCodes.MALFORMED);
    expect(ErrorCodes.NOT_A_COMPONENT).toBe(AdmissionCodes.NOT_A_COMPONENT);
    const notes = new Set<string>(Object.values(NoteCodes));
    expect(Object.values(ErrorCodes).filter((c) => notes.has(c))).toEqual([]);
  });

  it('no module outside src/errors.ts defines a code of its own', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && p !== join('src', 'errors.ts')) {
          const src = readFileSync(p, 'utf8');
          // A code table of its own (string literals passed to WitplugError are typed ErrorCode by tsc).
          if (/(const|let|enum) \w*(Error|Admission|Note|Problem|Fault)Codes?\b/.test(src)) offenders.push(p);
        }
      }
    };
    walk('src');
    expect(offenders).toEqual([]);
  });

  it('docs/errors.md documents every code', () => {
    const doc = readFileSync('docs/errors.md', 'utf8');
    expect([...allCodes].filter((c) => !doc.includes(`| \`${c}\` |`))).toEqual([]);
  });

  it('toJSON keeps plugin, function and path', () => {
    const e = new WitplugError(ErrorCodes.TYPE_MISMATCH, 'expected u16, found 70000', { plugin: 'p', hook: 'filter#check', path: 'param status' });
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: 'TYPE_MISMATCH', message: 'expected u16, found 70000', plugin: 'p', function: 'filter#check', path: 'param status' });
    expect(JSON.parse(JSON.stringify(new WitplugError(ErrorCodes.USAGE, 'x')))).toEqual({ code: 'USAGE', message: 'x' });
  });
});

describe('CLI usage errors are documented failures', () => {
  const { witplug, json } = cli(mkdtempSync(join(tmpdir(), 'witplug-usage-')));

  it('an unknown flag or a missing required option: one line with the code, exit 2', async () => {
    for (const args of [['run', 'x.wasm', '--bogus'], ['check', 'x.wasm'], ['nosuch']]) {
      const r = await witplug(...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^witplug: error \[USAGE\]: /);
    }
  });

  it('with --json: exactly one failure object on stdout, exit 2', async () => {
    const r = await json('run', 'x.wasm', '--wit', 'wit', '--world', 'w', '--call', 'a#b', '--bogus');
    expect(r.code).toBe(2);
    expect(r.json).toEqual({ ok: false, error: { code: 'USAGE', message: expect.stringContaining('--bogus') } });
    const missing = await json('check', 'x.wasm');
    expect(missing.code).toBe(2);
    expect(missing.json).toEqual({ ok: false, error: { code: 'USAGE', message: expect.stringContaining("'--wit") } });
  });
});
