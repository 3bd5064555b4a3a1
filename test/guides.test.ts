/**
 * The guides cannot rot: every fenced block marked ```sh run in a guide is
 * run, in order, in an empty scratch folder where `npm install witplug` has
 * been stood in for by a link to this checkout (node_modules/witplug and its
 * bin). A block runs under `bash -e -o pipefail`; the folder a block ends in
 * is where the next one starts, as when a reader types them into one shell.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { run } from './helpers/run.js';

const REPO = process.cwd();
const GUIDES = join(REPO, 'docs', 'guides');
/** The guides whose blocks run here. Rust, Go and Python need toolchains CI does not have. */
const RUNNABLE_GUIDES = ['host-app', 'contract-review', 'javascript', 'c', 'wat'] as const;
const BLOCK_TIMEOUT_MS = 300_000;

/** The ```sh run blocks of a guide, in order. */
export function runnableBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh run\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** An empty folder with witplug installed as a reader would have it after the guides' `npm install`. */
function scratchProject(): string {
  mkdirSync(join(REPO, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(REPO, '.cache', 'guide-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'guide-scratch', version: '0.0.0', private: true }, null, 2));
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(REPO, join(dir, 'node_modules', 'witplug'), 'dir');
  // npm links the bin and makes it executable; tsc's output is not, so a shim runs it with node.
  writeFileSync(join(dir, 'node_modules', '.bin', 'witplug'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO, 'dist', 'cli', 'main.js'))} "$@"\n`, { mode: 0o755 });
  // `npm install --save-dev typescript`, which the guides ask for too.
  symlinkSync(join(REPO, 'node_modules', 'typescript'), join(dir, 'node_modules', 'typescript'), 'dir');
  writeFileSync(join(dir, 'node_modules', '.bin', 'tsc'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'))} "$@"\n`, { mode: 0o755 });
  return dir;
}

async function runGuide(name: string): Promise<void> {
  const blocks = runnableBlocks(readFileSync(join(GUIDES, `${name}.md`), 'utf8'));
  expect(blocks.length, `${name}.md has no \`\`\`sh run block`).toBeGreaterThan(0);
  const dir = scratchProject();
  const env = {
    ...process.env,
    PATH: [join(dir, 'node_modules', '.bin'), join(REPO, 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter),
    WITPLUG_CACHE_DIR: join(dir, '.witplug-cache'),
    // Nothing here may reach a registry: every package the guides use is installed already.
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
  };
  const cwdFile = join(dir, '.guide-cwd');
  let cwd = dir;
  for (const [i, block] of blocks.entries()) {
    const script = `${block}\npwd > ${JSON.stringify(cwdFile)}\n`;
    const r = await run('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, env, timeoutMs: BLOCK_TIMEOUT_MS });
    expect(r.code, `${name}.md block ${i + 1} failed (exit ${r.code}, ${r.signal ?? 'no signal'}):\n${block}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`).toBe(0);
    cwd = readFileSync(cwdFile, 'utf8').trim();
  }
}

describe('guides: every `sh run` block runs', () => {
  it('the marker is found only on its own fence line', () => {
    const md = ['```sh run', 'echo a', '```', '```sh', 'echo b', '```', 'text ```sh run inline', '```sh run', 'echo c', 'echo d', '```', ''].join('\n');
    expect(runnableBlocks(md)).toEqual(['echo a\n', 'echo c\necho d\n']);
  });

  it('every guide with a `sh run` block is one this test runs, and the others have none', () => {
    const withBlocks = readdirSync(GUIDES).filter((f) => f.endsWith('.md'))
      .filter((f) => runnableBlocks(readFileSync(join(GUIDES, f), 'utf8')).length > 0)
      .map((f) => f.slice(0, -'.md'.length));
    expect(withBlocks.sort()).toEqual([...RUNNABLE_GUIDES].sort());
  });

  for (const name of RUNNABLE_GUIDES) {
    it(`docs/guides/${name}.md`, async () => {
      await runGuide(name);
    }, 20 * 60_000);
  }
});
