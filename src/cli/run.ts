/** `witplug run`: load one plugin against a contract and call one function. */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { loadContract } from '../contract/load.js';
import { loadPlugin } from '../runtime/plugin.js';
import { resolveExport } from '../runtime/exports.js';
import { fromJson } from '../runtime/json-values.js';
import { WitplugError, ErrorCodes } from '../errors.js';
import { ExitCode, printJson, runCommand, toJson, usage } from './output.js';

export interface RunFlags {
  wit: string;
  world: string;
  call: string;
  args: string;
  json?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Load a plugin component, check it against a WIT world and call one of its functions.')
    .argument('<plugin.wasm>', 'the plugin component')
    .requiredOption('--wit <dir-or-file>', 'WIT file or directory (with deps/) declaring the contract')
    .requiredOption('--world <world>', 'world in the WIT that the plugin targets')
    .requiredOption('--call <target>', 'function to call: <iface>#<func> (short or fully qualified interface) or a world-level export name')
    .option('--args <json-array>', 'arguments as a JSON array (see README "Values as JSON")', '[]')
    .option('--json', 'print exactly one JSON object: {"ok":true,"value":…} or {"ok":false,"error":{code,message}}')
    .action(async (pluginPath: string, flags: RunFlags) => {
      await runCommand(flags.json === true, () => run(pluginPath, flags));
    });
}

/** Parses `--args` into witplug values, naming the parameter at fault. */
export function parseArgs(json: string, params: readonly { name: string; type: import('../component/types.js').ValType }[], target: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw usage(`--args is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw usage(`--args must be a JSON array of ${params.length} argument(s), got ${typeof parsed}`);
  if (parsed.length !== params.length) {
    throw usage(`${target} takes ${params.length} argument(s) (${params.map((p) => p.name).join(', ') || 'none'}), --args has ${parsed.length}`);
  }
  return params.map((p, i) => fromJson(p.type, parsed[i], `param ${p.name}`));
}

async function run(pluginPath: string, flags: RunFlags): Promise<ExitCode> {
  const bytes = await readInput(pluginPath);
  const contract = await loadContract(flags.wit, flags.world);
  // Admission first: a rejected plugin is refused (REJECTED, exit 1) before its
  // exports are looked at, so it can't be "called" even with a bad --call.
  const plugin = await loadPlugin(bytes, { name: pluginName(pluginPath), contract });
  const target = resolveExport(plugin.shape, flags.call);
  const args = parseArgs(flags.args, target.type.params, target.target);
  const value = plugin.call(target.target, args);
  if (flags.json) printJson({ ok: true, value: value === undefined ? null : value });
  else process.stdout.write(toJson(value === undefined ? null : value, 2) + '\n');
  return ExitCode.OK;
}

export async function readInput(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WitplugError(code === 'ENOENT' ? ErrorCodes.NOT_FOUND : ErrorCodes.USAGE, `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

function pluginName(path: string): string {
  return path.replace(/^.*\//, '').replace(/\.wasm$/, '');
}
