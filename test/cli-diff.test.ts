/** `witplug diff` from the command line: formats, --side, --against git:<ref>, exit codes 0 / 100 / 2. */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers/cli.js';

const FX = join(process.cwd(), 'test', 'fixtures', 'diff');
const pair = (name: string): [string, string] => [join(FX, name, 'old.wit'), join(FX, name, 'new.wit')];
let witplug: ReturnType<typeof cli>['witplug'];

beforeAll(() => {
  witplug = cli(mkdtempSync(join(tmpdir(), 'witplug-cli-diff-'))).witplug;
});

describe('witplug diff <old> <new>', () => {
  it('exits 100 on a breaking change and names rule, side and file:line:column', () => {
    const r = witplug('diff', ...pair('field-added'));
    expect(r.code, r.stderr).toBe(100);
    expect(r.stdout).toContain(`${join(FX, 'field-added', 'new.wit')}:11:11: breaking FIELD_ADDED breaks both`);
    expect(r.stdout).toContain('export fx:diff/hooks > func handle > param r > record req > field deadline-ms');
    expect(r.stdout).toMatch(/1 breaking, 0 dangerous, 0 safe: BREAKING for plugins and hosts/);
  });

  it('exits 0 when nothing changed but docs', () => {
    const r = witplug('diff', ...pair('docs-only'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no changes');
  });

  it('exits 0 for a dangerous-only change', () => {
    const r = witplug('diff', ...pair('use-target-changed'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('dangerous USE_TARGET_CHANGED');
  });

  it('--side chooses whose breakage counts: a function added to a host import breaks hosts only', () => {
    expect(witplug('diff', ...pair('func-added-to-import'), '--side', 'plugins').code).toBe(0);
    expect(witplug('diff', ...pair('func-added-to-import'), '--side', 'hosts').code).toBe(100);
    expect(witplug('diff', ...pair('func-added-to-import')).code).toBe(100);
    expect(witplug('diff', ...pair('func-added-to-export'), '--side', 'plugins').code).toBe(100);
    expect(witplug('diff', ...pair('func-added-to-export'), '--side', 'hosts').code).toBe(0);
  });

  it('--format json prints one object with the verdicts and every finding', () => {
    const r = witplug('diff', ...pair('type-added-with-func-import'), '--format', 'json', '--side', 'plugins');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { breaking: boolean; breaksPlugins: boolean; breaksHosts: boolean; findings: { rule: string; breaks: string; line: number; column: number }[] };
    expect(j).toMatchObject({ breaking: false, breaksPlugins: false, breaksHosts: true });
    expect(j.findings.map((f) => [f.rule, f.breaks, f.line, f.column])).toEqual([
      ['FUNC_ADDED', 'hosts', 9, 9],
      ['TYPE_ADDED', 'hosts', 5, 14],
    ]);
  });

  it('--format github prints workflow annotations (errors for what counts, warnings for dangerous)', () => {
    const r = witplug('diff', ...pair('param-renamed'), '--format', 'github');
    expect(r.code).toBe(100);
    expect(r.stdout.trim()).toBe(
      `::error file=${join(FX, 'param-renamed', 'new.wit')},line=4,col=19,title=PARAM_RENAMED (breaking%2C breaks both)::import fx:diff/host-api > func log: param msg renamed to message`,
    );
    const w = witplug('diff', ...pair('type-alias-retargeted-same-structure'), '--format', 'github');
    expect(w.code).toBe(0);
    expect(w.stdout).toMatch(/^::warning file=[^,]+,line=10,col=\d+,title=TYPE_ALIAS_TARGET_CHANGED \(dangerous\)::/);
  });

  it('--format junit prints a test suite with one failure per counted finding', () => {
    const r = witplug('diff', ...pair('type-removed-with-func-export'), '--format', 'junit', '--side', 'hosts');
    expect(r.code).toBe(100);
    expect(r.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="witplug diff" tests="2" failures="2">/);
    expect(r.stdout.match(/<failure type="(FUNC|TYPE)_REMOVED"/g)).toHaveLength(2);
    const p = witplug('diff', ...pair('type-removed-with-func-export'), '--format', 'junit', '--side', 'plugins');
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('failures="0"');
  });

  it('reads directories with deps/ (the gateway contract, v0.1 → v0.2)', () => {
    const r = witplug('diff', join(FX, 'gateway-v0.2', 'old'), join(FX, 'gateway-v0.2', 'new'), '--world', 'gateway-plugin');
    expect(r.code, r.stderr).toBe(100);
    expect(r.stdout).toContain('breaking IMPORT_ADDED breaks hosts');
    expect(r.stdout).toContain('breaking PARAM_ADDED breaks both');
  });
});

describe('witplug diff usage errors exit 2', () => {
  it('a parse error names file:line:column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-diff-bad-'));
    writeFileSync(join(dir, 'bad.wit'), 'package a:b;\ninterface i {\n  f: func(x u32);\n}\n');
    const r = witplug('diff', pair('docs-only')[0], join(dir, 'bad.wit'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error [CONTRACT]: ${join(dir, 'bad.wit')}:3:13: expected ':', found 'u32'`);
    const j = witplug('diff', pair('docs-only')[0], join(dir, 'bad.wit'), '--format', 'json');
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'CONTRACT' } });
  });

  it('missing paths, one path without --against, bad flags, unknown world', () => {
    expect(witplug('diff', '/nonexistent/a.wit', '/nonexistent/b.wit').code).toBe(2);
    expect(witplug('diff', pair('docs-only')[0]).code).toBe(2);
    expect(witplug('diff', ...pair('docs-only'), '--format', 'xml').code).toBe(2);
    expect(witplug('diff', ...pair('docs-only'), '--side', 'everyone').code).toBe(2);
    const w = witplug('diff', ...pair('docs-only'), '--world', 'nope');
    expect(w.code).toBe(2);
    expect(w.stderr).toContain("world 'nope' not found");
    expect(witplug('diff', ...pair('docs-only'), '--against', 'git:main').code).toBe(2);
  });
});

describe('witplug diff <new> --against git:<ref>', () => {
  it('reads the old tree of the same path from git', () => {
    const repo = mkdtempSync(join(tmpdir(), 'witplug-diff-git-'));
    const git = (...args: string[]): string =>
      execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'init.defaultBranch=main', ...args], { cwd: repo, encoding: 'utf8' });
    git('init', '-q');
    mkdirSync(join(repo, 'contracts'));
    cpSync(join(FX, 'gateway-v0.2', 'old'), join(repo, 'contracts', 'wit'), { recursive: true });
    git('add', '.');
    git('commit', '-qm', 'v0.1');
    cpSync(join(FX, 'gateway-v0.2', 'new'), join(repo, 'contracts', 'wit'), { recursive: true });
    const wit = join(repo, 'contracts', 'wit');

    const r = witplug('diff', wit, '--against', 'git:HEAD', '--format', 'json');
    expect(r.code, r.stderr).toBe(100);
    const j = JSON.parse(r.stdout) as { findings: { rule: string; file: string }[] };
    expect(j.findings.map((f) => f.rule)).toContain('IMPORT_ADDED');
    // Removals point into the old tree as `ref:path`.
    expect(j.findings.length).toBe(11);

    git('add', '.');
    git('commit', '-qm', 'v0.2');
    const same = witplug('diff', wit, '--against', 'git:HEAD');
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain('no changes');
    expect(witplug('diff', wit, '--against', 'git:HEAD~1').code).toBe(100);

    const bad = witplug('diff', wit, '--against', 'git:no-such-branch');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no-such-branch');
    expect(witplug('diff', wit, '--against', 'git:--output=x').code).toBe(2);
  });
});
