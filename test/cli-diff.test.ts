/** `witplug diff` from the command line: formats, --side, --against git:<ref>, exit codes 0 / 100 / 2. */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, MAIN } from './helpers/cli.js';
import { run, type RunResult } from './helpers/run.js';

const FX = join(process.cwd(), 'test', 'fixtures', 'diff');
const pair = (name: string): [string, string] => [join(FX, name, 'old.wit'), join(FX, name, 'new.wit')];
let witplug: ReturnType<typeof cli>['witplug'];

beforeAll(() => {
  witplug = cli(mkdtempSync(join(tmpdir(), 'witplug-cli-diff-'))).witplug;
});

describe('witplug diff <old> <new>', () => {
  it('exits 100 on a breaking change and names rule, side and file:line:column', async () => {
    const r = await witplug('diff', ...pair('field-added'));
    expect(r.code, r.stderr).toBe(100);
    expect(r.stdout).toContain(`${join(FX, 'field-added', 'new.wit')}:11:11: breaking FIELD_ADDED breaks both`);
    expect(r.stdout).toContain('export fx:diff/hooks > func handle > param r > record req > field deadline-ms');
    expect(r.stdout).toMatch(/1 breaking, 0 dangerous, 0 safe: BREAKING for plugins and hosts/);
  });

  it('exits 0 when nothing changed but docs', async () => {
    const r = await witplug('diff', ...pair('docs-only'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no changes');
  });

  it('says explicitly that a versioned package needs no bump when only docs changed', async () => {
    const r = await witplug('diff', ...pair('version-docs-only'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('version: fx:app stays 0.1.0: nothing a binary carries changed, no bump needed');
    const j = JSON.parse((await witplug('diff', ...pair('version-docs-only'), '--format', 'json')).stdout) as { packages: unknown[] };
    expect(j.packages).toEqual([expect.objectContaining({ package: 'fx:app', change: 'none', needs: 'none', suggested: null, ok: true })]);
  });

  it('a host function added under 0.0.x keeps the version: no bump (0.0.2 would refuse every existing plugin), exit 0 for plugins', async () => {
    const r = await witplug('diff', ...pair('version-host-func-added-0.0.x'), '--side', 'plugins');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('VERSION_BUMP_REQUIRED');
    expect(r.stdout).toContain('version: package fx:app stays 0.0.1: additions only');
    expect(r.stdout).toContain('so no bump needed');
  });

  it('exits 0 for a dangerous-only change', async () => {
    const r = await witplug('diff', ...pair('use-target-changed'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('dangerous USE_TARGET_CHANGED');
  });

  it('--side chooses whose breakage counts: a function added to a host import breaks hosts only', async () => {
    expect((await witplug('diff', ...pair('func-added-to-import'), '--side', 'plugins')).code).toBe(0);
    expect((await witplug('diff', ...pair('func-added-to-import'), '--side', 'hosts')).code).toBe(100);
    expect((await witplug('diff', ...pair('func-added-to-import'))).code).toBe(100);
    expect((await witplug('diff', ...pair('func-added-to-export'), '--side', 'plugins')).code).toBe(100);
    expect((await witplug('diff', ...pair('func-added-to-export'), '--side', 'hosts')).code).toBe(0);
  });

  it('--format json prints one object with the verdicts and every finding', async () => {
    const r = await witplug('diff', ...pair('type-added-with-func-import'), '--format', 'json', '--side', 'plugins');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      breaking: boolean; breaksPlugins: boolean; breaksHosts: boolean; findings: { rule: string; breaks: string; line: number; column: number }[];
    };
    expect(j).toMatchObject({ breaking: false, breaksPlugins: false, breaksHosts: true });
    expect(j.findings.map((f) => [f.rule, f.breaks, f.line, f.column])).toEqual([
      ['FUNC_ADDED', 'hosts', 9, 9],
      ['TYPE_ADDED', 'hosts', 5, 14],
    ]);
  });

  it('--format github prints workflow annotations (errors for what counts, warnings for dangerous)', async () => {
    const r = await witplug('diff', ...pair('param-renamed'), '--format', 'github');
    expect(r.code).toBe(100);
    expect(r.stdout.trim()).toBe(
      `::error file=${join(FX, 'param-renamed', 'new.wit')},line=4,col=19,title=PARAM_RENAMED (breaking%2C breaks both)::import fx:diff/host-api > func log: param msg renamed to message`,
    );
    const w = await witplug('diff', ...pair('type-alias-retargeted-same-structure'), '--format', 'github');
    expect(w.code).toBe(0);
    expect(w.stdout).toMatch(/^::warning file=[^,]+,line=10,col=\d+,title=TYPE_ALIAS_TARGET_CHANGED \(dangerous\)::/);
  });

  it('--format junit prints a test suite with one failure per counted finding', async () => {
    const r = await witplug('diff', ...pair('type-removed-with-func-export'), '--format', 'junit', '--side', 'hosts');
    expect(r.code).toBe(100);
    expect(r.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="witplug diff" tests="2" failures="2">/);
    expect(r.stdout.match(/<failure type="(FUNC|TYPE)_REMOVED"/g)).toHaveLength(2);
    const p = await witplug('diff', ...pair('type-removed-with-func-export'), '--format', 'junit', '--side', 'plugins');
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('failures="0"');
  });

  it('reads directories with deps/ (the gateway contract, v0.1 → v0.2)', async () => {
    const r = await witplug('diff', join(FX, 'gateway-v0.2', 'old'), join(FX, 'gateway-v0.2', 'new'), '--world', 'gateway-plugin');
    expect(r.code, r.stderr).toBe(100);
    expect(r.stdout).toContain('breaking IMPORT_ADDED breaks hosts');
    expect(r.stdout).toContain('breaking PARAM_ADDED breaks both');
  });
});

describe('witplug diff usage errors exit 2', () => {
  it('a parse error names file:line:column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-diff-bad-'));
    writeFileSync(join(dir, 'bad.wit'), 'package a:b;\ninterface i {\n  f: func(x u32);\n}\n');
    const r = await witplug('diff', pair('docs-only')[0], join(dir, 'bad.wit'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error [CONTRACT]: ${join(dir, 'bad.wit')}:3:13: expected ':', found 'u32'`);
    const j = await witplug('diff', pair('docs-only')[0], join(dir, 'bad.wit'), '--format', 'json');
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'CONTRACT' } });
  });

  it('missing paths, one path without --against, bad flags, unknown world', async () => {
    expect((await witplug('diff', '/nonexistent/a.wit', '/nonexistent/b.wit')).code).toBe(2);
    expect((await witplug('diff', pair('docs-only')[0])).code).toBe(2);
    expect((await witplug('diff', ...pair('docs-only'), '--format', 'xml')).code).toBe(2);
    expect((await witplug('diff', ...pair('docs-only'), '--side', 'everyone')).code).toBe(2);
    const w = await witplug('diff', ...pair('docs-only'), '--world', 'nope');
    expect(w.code).toBe(2);
    expect(w.stderr).toContain("world 'nope' not found");
    expect((await witplug('diff', ...pair('docs-only'), '--against', 'git:main')).code).toBe(2);
  });
});

describe('witplug diff <new> --against git:<ref>', () => {
  it('reads the old tree of the same path from git', async () => {
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

    const r = await witplug('diff', wit, '--against', 'git:HEAD', '--format', 'json');
    expect(r.code, r.stderr).toBe(100);
    const j = JSON.parse(r.stdout) as { findings: { rule: string; file: string }[] };
    expect(j.findings.map((f) => f.rule)).toContain('IMPORT_ADDED');
    // Removals point into the old tree as `ref:path`.
    expect(j.findings.length).toBe(11);

    git('add', '.');
    git('commit', '-qm', 'v0.2');
    const same = await witplug('diff', wit, '--against', 'git:HEAD');
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain('no changes');
    expect((await witplug('diff', wit, '--against', 'git:HEAD~1')).code).toBe(100);

    const bad = await witplug('diff', wit, '--against', 'git:no-such-branch');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no-such-branch');
    expect((await witplug('diff', wit, '--against', 'git:--output=x')).code).toBe(2);
  });
});

/** A repository with contracts/wit committed at v1 and a remote-tracking ref origin/main pointing at it. */
function repoWithContract(oldDir: string, newDir: string): { repo: string; git: (...args: string[]) => string } {
  const repo = mkdtempSync(join(tmpdir(), 'witplug-diff-ci-'));
  const git = (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'init.defaultBranch=main', ...args], { cwd: repo, encoding: 'utf8' });
  git('init', '-q');
  mkdirSync(join(repo, 'contracts', 'wit'), { recursive: true });
  cpSync(oldDir, join(repo, 'contracts', 'wit'), { recursive: true });
  git('add', '.');
  git('commit', '-qm', 'v1');
  git('update-ref', 'refs/remotes/origin/main', 'HEAD');
  cpSync(newDir, join(repo, 'contracts', 'wit'), { recursive: true, force: true });
  return { repo, git };
}

/** Runs the CLI from a working directory (the repository or a folder in it). */
function witplugIn(cwd: string, ...args: string[]): Promise<RunResult> {
  return run(process.execPath, [MAIN, ...args], { cwd, timeoutMs: 60_000, env: { ...process.env, WITPLUG_CACHE_DIR: join(tmpdir(), 'witplug-cli-diff-cache') } });
}

describe('witplug diff in CI (--against git:origin/main)', () => {
  // A removal (old tree) and an addition (new tree) in the same run.
  const wit = (text: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-diff-src-'));
    writeFileSync(join(dir, 'api.wit'), text);
    return dir;
  };
  const OLD = wit('package fx:ci@0.1.0;\n\ninterface host {\n  log: func(msg: string);\n  flush: func();\n}\n\nworld plugin {\n  import host;\n}\n');
  const NEW = wit('package fx:ci@0.1.0;\n\ninterface host {\n  log: func(msg: string);\n  now: func() -> u64;\n}\n\nworld plugin {\n  import host;\n}\n');

  it.each([
    ['the repository root', '.', 'contracts/wit'],
    ['a subfolder', 'contracts', 'wit'],
    ['the contract folder itself', 'contracts/wit', '.'],
  ])('--format github from %s names old- and new-tree files relative to the repository root', async (_where, cwd, arg) => {
    const { repo } = repoWithContract(OLD, NEW);
    const r = await witplugIn(join(repo, cwd), 'diff', arg, '--against', 'git:origin/main', '--format', 'github');
    expect(r.code, r.stderr).toBe(100);
    const files = r.stdout.trim().split('\n').map((l) => /^::\w+ file=([^,]+),line=(\d+)/.exec(l)?.slice(1, 3).join(':'));
    // flush removed (old tree, line 5), now added (new tree, line 5), the package left at 0.1.0
    // (new tree, line 1): one root for all.
    expect(files.sort()).toEqual(['contracts/wit/api.wit:1', 'contracts/wit/api.wit:5', 'contracts/wit/api.wit:5']);
    expect(r.stdout).not.toContain('origin/main');
    const junit = await witplugIn(join(repo, cwd), 'diff', arg, '--against', 'git:origin/main', '--format', 'junit');
    expect(junit.stdout.match(/ file="([^"]+)"/g)).toEqual(Array(3).fill(' file="contracts/wit/api.wit"'));
    // Text keeps the ref on old-tree files, so a reader can tell the trees apart.
    const text = await witplugIn(join(repo, cwd), 'diff', arg, '--against', 'git:origin/main');
    expect(text.stdout).toContain('origin/main:contracts/wit/api.wit:5:3: breaking FUNC_REMOVED');
    expect(text.stdout).toContain('\ncontracts/wit/api.wit:5:3: breaking FUNC_ADDED');
  });

  it('a WIT syntax error is a GitHub error annotation at its position, and a JUnit document with one failing case', async () => {
    const { repo } = repoWithContract(OLD, NEW);
    writeFileSync(join(repo, 'contracts', 'wit', 'api.wit'), 'package fx:ci@0.1.0;\n\ninterface host {\n  log: func(msg string);\n}\n');
    const gh = await witplugIn(join(repo, 'contracts'), 'diff', 'wit', '--against', 'git:origin/main', '--format', 'github');
    expect(gh.code).toBe(2);
    expect(gh.stdout).toBe("::error file=contracts/wit/api.wit,line=4,col=17,title=witplug diff%3A CONTRACT::expected ':', found 'string'\n");
    expect(gh.stderr).toContain('error [CONTRACT]');
    const ju = await witplugIn(join(repo, 'contracts'), 'diff', 'wit', '--against', 'git:origin/main', '--format', 'junit');
    expect(ju.code).toBe(2);
    expect(ju.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="witplug diff" tests="1" failures="1">/);
    expect(ju.stdout).toContain('<testcase classname="witplug.diff" name="CONTRACT" file="contracts/wit/api.wit" line="4">');
    expect(ju.stdout.match(/<failure /g)).toHaveLength(1);
    expect(ju.stdout).toContain(`message="expected ':', found 'string'"`);
    expect(ju.stdout.trim().endsWith('</testsuites>')).toBe(true);
  });

  it('a syntax error in the old tree is placed at its repository path too, and two-path runs print annotations as well', async () => {
    const { repo, git } = repoWithContract(OLD, NEW);
    writeFileSync(join(repo, 'contracts', 'wit', 'api.wit'), 'package fx:ci@0.1.0;\ninterface host {\n  f: func(;\n}\n');
    git('commit', '-qam', 'broken');
    git('update-ref', 'refs/remotes/origin/main', 'HEAD');
    cpSync(NEW, join(repo, 'contracts', 'wit'), { recursive: true, force: true });
    const gh = await witplugIn(join(repo, 'contracts'), 'diff', 'wit', '--against', 'git:origin/main', '--format', 'github');
    expect(gh.code).toBe(2);
    expect(gh.stdout).toMatch(/^::error file=contracts\/wit\/api\.wit,line=3,col=11,title=witplug diff%3A CONTRACT::/);
    const dir = mkdtempSync(join(tmpdir(), 'witplug-diff-bad-'));
    writeFileSync(join(dir, 'bad.wit'), 'package a:b;\ninterface i {\n  f: func(x u32);\n}\n');
    const two = await witplug('diff', pair('docs-only')[0], join(dir, 'bad.wit'), '--format', 'github');
    expect(two.code).toBe(2);
    expect(two.stdout).toBe(`::error file=${join(dir, 'bad.wit')},line=3,col=13,title=witplug diff%3A CONTRACT::expected ':', found 'u32'\n`);
  });

  it('a contract folder that did not exist at the ref: a clear message (no raw git text), in every format', async () => {
    const { repo } = repoWithContract(OLD, NEW);
    mkdirSync(join(repo, 'contracts', 'next'));
    cpSync(NEW, join(repo, 'contracts', 'next'), { recursive: true });
    const r = await witplugIn(join(repo, 'contracts'), 'diff', 'next', '--against', 'git:origin/main');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('witplug: error [NOT_FOUND]: contracts/next does not exist at origin/main: it was added after that revision (or moved); compare two paths instead to review it whole\n');
    expect(r.stderr).not.toMatch(/fatal|ls-tree/);
    const gh = await witplugIn(join(repo, 'contracts'), 'diff', 'next', '--against', 'git:origin/main', '--format', 'github');
    expect(gh.stdout).toMatch(/^::error title=witplug diff%3A NOT_FOUND::contracts\/next does not exist at origin\/main/);
    const ju = await witplugIn(join(repo, 'contracts'), 'diff', 'next', '--against', 'git:origin/main', '--format', 'junit');
    expect(ju.stdout).toContain('<failure type="NOT_FOUND"');
    const j = await witplugIn(join(repo, 'contracts'), 'diff', 'next', '--against', 'git:origin/main', '--format', 'json');
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const ref = await witplugIn(join(repo, 'contracts'), 'diff', 'wit', '--against', 'git:origin/nope');
    expect(ref.code).toBe(2);
    expect(ref.stderr).toBe("witplug: error [USAGE]: git revision 'origin/nope' not found (fetch it first, e.g. git fetch origin main)\n");
  });
});

describe('witplug diff --world old=new', () => {
  const H = join(process.cwd(), 'test', 'fixtures', 'diff-history');
  it('compares a renamed world (command in 0.2.2, runner in 0.3.0)', async () => {
    const r = await witplug('diff', join(H, 'cli-0.2.2'), join(H, 'cli-0.3.0'), '--world', 'command=runner', '--format', 'json');
    expect(r.code, r.stderr).toBe(100);
    expect(JSON.parse(r.stdout)).toMatchObject({ world: 'runner', breaksPlugins: true });
    const one = await witplug('diff', join(H, 'cli-0.2.2'), join(H, 'cli-0.3.0'), '--world', 'command');
    expect(one.code).toBe(2);
    expect(one.stderr).toContain("world 'command' not found");
    for (const bad of ['=runner', 'command=', 'a=b=c']) {
      const b = await witplug('diff', join(H, 'cli-0.2.2'), join(H, 'cli-0.3.0'), '--world', bad);
      expect(b.code).toBe(2);
      expect(b.stderr).toContain('--world expects <world> or <old>=<new>');
    }
  });
});

describe('--format json is what docs/diff-rules.md documents', () => {
  type Schema = Map<string, string[]>;
  const doc = readFileSync(join(process.cwd(), 'docs', 'diff-rules.md'), 'utf8');
  /** The `| key | type | meaning |` table under a heading of the JSON section: key → type alternatives. */
  const table = (heading: string): Schema => {
    const body = doc.slice(doc.indexOf(`${heading}\n`) + heading.length).split('\n\n')[1]!;
    const rows = body.split('\n').slice(2);
    expect(rows.length, heading).toBeGreaterThan(0);
    return new Map(rows.map((r) => {
      const cells = r.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim().replace(/^`|`$/g, '').replace(/\\\|/g, '|'));
      return [cells[0]!, cells[1]!.split(' | ')];
    }));
  };
  const schemas = { report: table('### Report'), finding: table('### `finding`'), package: table('### `package`') };

  /** Exactly the documented keys, each value of one of its documented types. */
  const conforms = (value: unknown, schema: Schema, where: string): void => {
    expect(value, where).toBeTypeOf('object');
    const obj = value as Record<string, unknown>;
    expect(Object.keys(obj).sort(), where).toEqual([...schema.keys()].sort());
    for (const [key, types] of schema) {
      const v = obj[key];
      const fits = types.some((t) => {
        if (t === 'string' || t === 'number' || t === 'boolean') return typeof v === t;
        if (t === 'null') return v === null;
        if (t.startsWith('"')) return v === JSON.parse(t);
        if (t === 'finding[]' || t === 'package[]') {
          if (!Array.isArray(v)) return false;
          v.forEach((x, i) => conforms(x, t === 'finding[]' ? schemas.finding : schemas.package, `${where}.${key}[${i}]`));
          return true;
        }
        throw new Error(`undocumented type notation ${t}`);
      });
      expect(fits, `${where}.${key} = ${JSON.stringify(v)} is not ${types.join(' | ')}`).toBe(true);
    }
  };

  it('the documented example has exactly the documented keys and types', () => {
    const example = /### Example[^\n]*\n\n```json\n([\s\S]*?)\n```/.exec(doc);
    expect(example).not.toBeNull();
    const json = JSON.parse(example![1]!) as { findings: unknown[]; packages: unknown[] };
    expect(json.findings.length).toBeGreaterThan(0);
    expect(json.packages.length).toBeGreaterThan(0);
    conforms(json, schemas.report, 'example');
  });

  it('real runs print exactly the documented keys and types (findings and package advice)', async () => {
    const H = join(process.cwd(), 'test', 'fixtures', 'diff-history');
    const runs = [
      await witplug('diff', join(FX, 'gateway-v0.2', 'old'), join(FX, 'gateway-v0.2', 'new'), '--format', 'json'),
      await witplug('diff', join(H, 'cli-0.2.1'), join(H, 'cli-0.2.2-unbumped'), '--format', 'json', '--side', 'plugins'),
      await witplug('diff', ...pair('docs-only'), '--format', 'json'),
      await witplug('diff', ...pair('version-docs-only'), '--format', 'json'),
      await witplug('diff', ...pair('version-host-func-added-0.0.x-bumped'), '--format', 'json'),
      await witplug('diff', ...pair('unused-type-added-to-import'), '--format', 'json'),
    ];
    const seen = { findings: 0, packages: 0 };
    for (const [i, r] of runs.entries()) {
      expect(r.stderr).toBe('');
      const j = JSON.parse(r.stdout) as { findings: unknown[]; packages: unknown[] };
      conforms(j, schemas.report, `run ${i}`);
      seen.findings += j.findings.length;
      seen.packages += j.packages.length;
    }
    expect(seen.findings).toBeGreaterThan(10);
    expect(seen.packages).toBeGreaterThan(2);
  });
});
