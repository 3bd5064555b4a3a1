/**
 * `witplug new <dir> --lang js|c|wat --wit <path> --world <w> [--wasi …] [--json]`:
 * a plugin project with a stub for every export (src/authoring/scaffold.ts).
 * Exit 0, or 2 for usage/contract errors.
 */
import type { Command } from 'commander';
import { LANGS, isLang, newProject, parseWasiChoice } from '../tools.js';
import { ExitCode, printJson, runCommand, usage } from './output.js';

interface NewFlags {
  lang: string;
  wit: string;
  world: string;
  wasi?: string;
  json?: boolean;
}

export function registerNew(program: Command): void {
  program
    .command('new')
    .description('Write a plugin project for a WIT world: a stub for every export, the WIT, witplug.json and a README.')
    .argument('<dir>', 'directory to create (must be new or empty)')
    .requiredOption('--lang <lang>', `plugin language: ${LANGS.join(', ')}`)
    .requiredOption('--wit <dir-or-file>', 'WIT file or directory (with deps/) declaring the contract')
    .requiredOption('--world <world>', 'the world the plugin targets')
    .option('--wasi <choice>', 'WASI interfaces the plugin may import: none (default), all, or a comma list (wasi:cli/stdout,…)')
    .option('--json', 'print exactly one JSON object: {dir, lang, world, wasi, files}')
    .action(async (dir: string, flags: NewFlags) => {
      await runCommand(flags.json === true, () => create(dir, flags));
    });
}

async function create(dir: string, flags: NewFlags): Promise<ExitCode> {
  if (!isLang(flags.lang)) throw usage(`--lang must be one of ${LANGS.join(', ')}, got ${JSON.stringify(flags.lang)}`);
  const result = await newProject({
    dir, lang: flags.lang, wit: flags.wit, world: flags.world, ...(flags.wasi === undefined ? {} : { wasi: parseWasiChoice(flags.wasi) }),
  });
  const { project } = result;
  if (flags.json) {
    printJson({ dir: result.dir, lang: project.lang, world: project.world, wasi: project.wasi, files: result.files });
  } else {
    process.stdout.write(`created ${result.dir} (${project.lang}, world ${project.world})\n`);
    for (const f of result.files) process.stdout.write(`  ${f}\n`);
    process.stdout.write(`next: witplug build ${dir}\n`);
  }
  return ExitCode.OK;
}
