/**
 * `witplug build [<dir>] [--wasi …] [--json]`: a plugin project → a component
 * (src/authoring/build.ts). Steps go to stderr; the component's path is the
 * last line of stdout (`--json`: one object, no steps). Exit 0; 1 when the
 * sources do not build or a toolchain is missing; 2 for usage errors.
 */
import type { Command } from 'commander';
import { buildProject, parseWasiChoice } from '../tools.js';
import { ExitCode, printJson, runCommand } from './output.js';

interface BuildFlags {
  wasi?: string;
  json?: boolean;
}

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('Build a plugin project (witplug.json) into a component; prints its path as the last line.')
    .argument('[dir]', 'the project directory', '.')
    .option('--wasi <choice>', 'WASI interfaces the plugin may import: none, all, or a comma list (wasi:cli/stdout,…); recorded in witplug.json')
    .option('--json', 'print exactly one JSON object: {path, lang, world, wasi, imports, size, ms}')
    .action(async (dir: string, flags: BuildFlags) => {
      await runCommand(flags.json === true, () => build(dir, flags));
    });
}

async function build(dir: string, flags: BuildFlags): Promise<ExitCode> {
  const json = flags.json === true;
  const result = await buildProject(dir, {
    ...(flags.wasi === undefined ? {} : { wasi: parseWasiChoice(flags.wasi) }),
    ...(json ? {} : { onStep: (step: string) => process.stderr.write(`witplug build: ${step}\n`) }),
  });
  if (json) printJson(result);
  else process.stdout.write(`${result.path}\n`);
  return ExitCode.OK;
}
