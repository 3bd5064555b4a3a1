#!/usr/bin/env node
/**
 * The `witplug` command line. A thin layer over the library: each command
 * lives in its own module and registers itself on the program.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, failureJson, printJson, usage } from './output.js';
import { registerRun } from './run.js';
import { registerCheck } from './check.js';
import { registerInspect } from './inspect.js';
import { registerBench } from './bench.js';
import { registerTypes } from './types.js';
import { registerBindgen } from './bindgen.js';
import { registerDiff } from './diff.js';
import { registerCache } from './cache.js';
import { registerNew } from './new.js';
import { registerBuild } from './build.js';
import { VERSION } from '../index.js';

export function buildProgram(): Command {
  const program = new Command('witplug')
    .description('Host WebAssembly component plugins: check them against a WIT contract, inspect them, run them.')
    .version(VERSION, '-V, --version')
    // Commander's own error lines are replaced by witplug's documented one-line / JSON failure (main()).
    .configureOutput({ outputError: () => {} })
    .exitOverride();
  registerRun(program);
  registerCheck(program);
  registerInspect(program);
  registerBench(program);
  registerTypes(program);
  registerBindgen(program);
  registerDiff(program);
  registerCache(program);
  registerNew(program);
  registerBuild(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; every other commander error is a usage error,
      // reported like any other failure: one line with its code, or one JSON object.
      if (e.exitCode !== 0 && e.code !== 'commander.help') reportUsageError(e.message, argv);
      process.exitCode = e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
      return;
    }
    throw e;
  }
}

function reportUsageError(commanderMessage: string, argv: readonly string[]): void {
  const err = usage(`${commanderMessage.replace(/^error: /, '')} (run with --help for usage)`);
  if (argv.includes('--json')) printJson(failureJson(err));
  else process.stderr.write(`witplug: error [${err.code}]: ${err.message}\n`);
}

await main(process.argv.slice(2));
