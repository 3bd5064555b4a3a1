#!/usr/bin/env node
/**
 * The `witplug` command line. A thin layer over the library: each command
 * lives in its own module and registers itself on the program.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode } from './output.js';
import { registerRun } from './run.js';
import { registerCheck } from './check.js';
import { registerInspect } from './inspect.js';
import { registerBench } from './bench.js';
import { registerCache } from './cache.js';
import { VERSION } from '../version.js';

export function buildProgram(): Command {
  const program = new Command('witplug')
    .description('Host WebAssembly component plugins: check them against a WIT contract, inspect them, run them.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerRun(program);
  registerCheck(program);
  registerInspect(program);
  registerBench(program);
  registerCache(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; every other commander error is a usage error.
      process.exitCode = e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
      return;
    }
    throw e;
  }
}

await main(process.argv.slice(2));
