/** Runs the built `witplug` CLI (dist/cli/main.js) in a child process, with its own cache dir. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { run } from './run.js';

export const MAIN = join(process.cwd(), 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliJsonResult {
  code: number | null;
  json: Record<string, unknown>;
  stderr: string;
}

export function cli(cacheDir: string): {
  witplug: (...args: string[]) => Promise<CliResult>;
  /** Runs `<command> … --json` and parses the one JSON object it must print. */
  json: (command: string, ...args: string[]) => Promise<CliJsonResult>;
} {
  const witplug = (...args: string[]): Promise<CliResult> => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} missing: run npx tsc -p tsconfig.json`);
    return run(process.execPath, [MAIN, ...args], { env: { ...process.env, WITPLUG_CACHE_DIR: cacheDir }, timeoutMs: 60_000 });
  };
  const json = async (command: string, ...args: string[]): Promise<CliJsonResult> => {
    const r = await witplug(command, ...args, '--json');
    const lines = r.stdout.trim().split('\n');
    expect(lines, `stdout: ${r.stdout} stderr: ${r.stderr}`).toHaveLength(1);
    return { code: r.code, json: JSON.parse(lines[0]!) as Record<string, unknown>, stderr: r.stderr };
  };
  return { witplug, json };
}
