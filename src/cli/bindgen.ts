/**
 * `witplug bindgen c --wit <dir|file> --world <w> -o <dir>`: C bindings for a
 * contract world (src/bindings/c/): `<world>.h` and `<world>.c` written into
 * the directory, their paths printed one per line. Exit 0, or 2 for usage and
 * contract errors (and for a world using what the C generator does not support).
 */
import type { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadContract } from '../index.js';
import { generateCBindings } from '../tools.js';
import { ExitCode, runCommand, usage } from './output.js';

interface BindgenFlags {
  wit: string;
  world: string;
  output: string;
}

const LANGUAGES = ['c'] as const;

export function registerBindgen(program: Command): void {
  program
    .command('bindgen')
    .description('Write guest-side bindings for a WIT world in a plugin language (c: a header and a source file).')
    .argument('<language>', `the plugin's language (${LANGUAGES.join(', ')})`)
    .requiredOption('--wit <dir-or-file>', 'WIT file or directory (with deps/) declaring the contract')
    .requiredOption('--world <world>', 'the world the plugin implements')
    .requiredOption('-o, --output <dir>', 'directory to write the bindings into (created if missing)')
    .action(async (language: string, flags: BindgenFlags) => {
      await runCommand(false, () => bindgen(language, flags));
    });
}

async function bindgen(language: string, flags: BindgenFlags): Promise<ExitCode> {
  if (!(LANGUAGES as readonly string[]).includes(language)) {
    throw usage(`no bindings generator for ${JSON.stringify(language)} (known: ${LANGUAGES.join(', ')})`);
  }
  const { header, source } = generateCBindings(await loadContract(flags.wit, flags.world));
  const written: string[] = [];
  try {
    await mkdir(flags.output, { recursive: true });
    for (const file of [header, source]) {
      const path = join(flags.output, file.name);
      await writeFile(path, file.text);
      written.push(path);
    }
  } catch (e) {
    throw usage(`cannot write into ${flags.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  process.stdout.write(written.map((p) => `${p}\n`).join(''));
  return ExitCode.OK;
}
