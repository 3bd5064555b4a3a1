/**
 * `witplug types --wit <dir|file> --world <w> [-o <file.ts>] [--import-from <module>]`:
 * TypeScript bindings for a contract world (src/bindings/typescript.ts).
 * With `--guest`: the `.d.ts` a componentize-js plugin author codes against
 * (src/bindings/guest-types.ts).
 * Writes to stdout without `-o`. Exit 0, or 2 for usage/contract errors.
 */
import type { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadContract } from '../index.js';
import { generateBindings, generateGuestTypes } from '../tools.js';
import { ExitCode, runCommand, usage } from './output.js';

interface TypesFlags {
  wit: string;
  world: string;
  output?: string;
  importFrom?: string;
  guest?: boolean;
}

export function registerTypes(program: Command): void {
  program
    .command('types')
    .description("Write TypeScript bindings for a WIT world: its types, the plugin's Exports, the host's Imports and a typed loader.")
    .requiredOption('--wit <dir-or-file>', 'WIT file or directory (with deps/) declaring the contract')
    .requiredOption('--world <world>', 'the world to generate bindings for')
    .option('-o, --output <file.ts>', 'write the module here (default: stdout)')
    .option('--import-from <module>', "module the bindings import witplug from (default 'witplug')")
    .option('--guest', "write the plugin author's side instead: a .d.ts of what a componentize-js plugin exports and imports")
    .action(async (flags: TypesFlags) => {
      await runCommand(false, () => types(flags));
    });
}

async function types(flags: TypesFlags): Promise<ExitCode> {
  if (flags.guest === true && flags.importFrom !== undefined) {
    throw usage('--import-from names the host bindings\' witplug import; guest types (--guest) import nothing');
  }
  const contract = await loadContract(flags.wit, flags.world);
  const source = flags.guest === true
    ? generateGuestTypes(contract)
    : generateBindings(contract, flags.importFrom === undefined ? {} : { importFrom: flags.importFrom });
  if (flags.output === undefined) {
    process.stdout.write(source);
    return ExitCode.OK;
  }
  try {
    // `-o src/bindings.ts` in a fresh project: the folder is made, as tsc makes its outDir.
    await mkdir(dirname(flags.output), { recursive: true });
    await writeFile(flags.output, source);
  } catch (e) {
    throw usage(`cannot write ${flags.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return ExitCode.OK;
}
