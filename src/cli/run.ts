/** `witplug run`: load one plugin against a contract and call one function. */
import type { Command } from 'commander';
import { loadContract, loadPlugin, terminalProgress, type Grant, type Limits, type ValType } from '../index.js';
import { fromJson, readInput, resolveExport } from '../tools.js';
import { ExitCode, printJson, runCommand, toJson, usage } from './output.js';
import { importHostModule, readGrantFlag } from './host-inputs.js';

export interface RunFlags {
  wit: string;
  world: string;
  call: string;
  args: string;
  json?: boolean;
  fuel?: string;
  timeoutMs?: string;
  maxMemoryMb?: string;
  maxOutputBytes?: string;
  maxHandles?: string;
  maxTableElements?: string;
  maxOpenFiles?: string;
  grant?: string;
  host?: string;
  isolate?: boolean;
}

/** Help text shared by the commands that take them. */
export const GRANT_HELP =
  'capability grant: a plugin manifest as PluginHost.loadDir reads it (imports, config, filesystem, env, clocks, random, limits; ' +
  'priority and anchor are not used); default: no WASI at all';
export const HOST_HELP = "JavaScript module whose default export implements the host app's own interfaces: { '<interface>': { <function>(...args) { … } } }";

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Load a plugin component, check it against a WIT world and call one of its functions.')
    .argument('<plugin.wasm>', 'the plugin component')
    .requiredOption('--wit <dir-or-file>', 'WIT file or directory (with deps/) declaring the contract')
    .requiredOption('--world <world>', 'world in the WIT that the plugin targets')
    .requiredOption('--call <target>', 'function to call: <iface>#<func> (short or fully qualified interface) or a world-level export name')
    .option('--args <json-array>', 'arguments as a JSON array (see README "Values as JSON")', '[]')
    .option('--fuel <n>', 'fuel budget for the call (≈ wasm instructions); FUEL_EXHAUSTED when it runs out; the JSON output reports "fuel" used')
    .option('--timeout-ms <t>', 'wall-clock deadline for the call in ms (TIMEOUT; default 10000, 0: none)')
    .option('--max-memory-mb <m>', 'maximum linear memory in MiB (MEMORY_LIMIT)')
    .option('--max-output-bytes <b>', 'maximum bytes one call may return, all strings/lists together (default 64 MiB; OUTPUT_LIMIT)')
    .option('--max-handles <n>', 'maximum live resource handles per plugin instance (RESOURCE_LIMIT; default 10000)')
    .option('--max-table-elements <n>', 'maximum elements of each table (RESOURCE_LIMIT); default 10000 when any limit is set')
    .option('--max-open-files <n>', 'maximum WASI files, directories and streams a plugin instance holds open (RESOURCE_LIMIT; default 256)')
    .option('--grant <manifest.json>', GRANT_HELP)
    .option('--host <module.js>', HOST_HELP)
    .option('--isolate', 'run the plugin in a worker thread (a deadline overrun terminates it; default deadline 10 s)')
    .option('--json', 'print exactly one JSON object: {"ok":true,"value":…} or {"ok":false,"error":{code,message}}')
    .action(async (pluginPath: string, flags: RunFlags) => {
      await runCommand(flags.json === true, () => run(pluginPath, flags));
    });
}

/** Parses `--args` into witplug values, naming the parameter at fault. */
export function parseArgs(json: string, params: readonly { name: string; type: ValType }[], target: string): unknown[] {
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
  const bytes = await readInput(pluginPath, 'plugin');
  const contract = await loadContract(flags.wit, flags.world);
  // Admission first: a rejected plugin is refused (REJECTED, exit 1) before its
  // exports are looked at, so it can't be "called" even with a bad --call.
  const limits = limitFlags(flags);
  const grant: Grant | undefined = flags.grant ? await readGrantFlag(flags.grant) : undefined;
  const host = flags.host === undefined ? undefined : await importHostModule(flags.host);
  const plugin = await loadPlugin(bytes, {
    name: pluginName(pluginPath),
    contract,
    limits,
    ...(grant ? { grant } : {}),
    ...(host ? { host } : {}),
    ...(flags.isolate ? { isolate: true } : {}),
    // A first compile of a big guest takes seconds: say so on a terminal, never under --json.
    onProgress: flags.json ? undefined : terminalProgress(),
  });
  try {
    const target = resolveExport(plugin.shape, flags.call);
    const args = parseArgs(flags.args, target.type.params, target.target);
    const value = plugin.call(target.target, args);
    const fuel = flags.fuel !== undefined ? { fuel: plugin.lastFuel ?? 0 } : {};
    if (flags.json) printJson({ ok: true, value: value === undefined ? null : value, ...fuel });
    else {
      process.stdout.write(toJson(value === undefined ? null : value, 2) + '\n');
      if (flags.fuel !== undefined) process.stderr.write(`fuel used: ${plugin.lastFuel ?? 0}\n`);
    }
    return ExitCode.OK;
  } finally {
    if ('close' in plugin) await plugin.close();
  }
}

/** The limit flags as Limits; each must be a positive number (USAGE otherwise). */
export function limitFlags(flags: RunFlags): Limits {
  const out: { -readonly [K in keyof Limits]: Limits[K] } = {};
  const num = (flag: string, v: string | undefined, integer: boolean): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw usage(`${flag} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}`);
    }
    return n;
  };
  const fuel = num('--fuel', flags.fuel, true);
  if (fuel !== undefined) out.fuel = fuel;
  // 0: no deadline (the default is DEFAULT_TIMEOUT_MS).
  const timeoutMs = flags.timeoutMs?.trim() === '0' ? 0 : num('--timeout-ms', flags.timeoutMs, false);
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  const mb = num('--max-memory-mb', flags.maxMemoryMb, false);
  if (mb !== undefined) out.maxMemoryMb = mb;
  const ob = num('--max-output-bytes', flags.maxOutputBytes, true);
  if (ob !== undefined) out.maxOutputBytes = ob;
  const mh = num('--max-handles', flags.maxHandles, true);
  if (mh !== undefined) out.maxHandles = mh;
  const te = num('--max-table-elements', flags.maxTableElements, true);
  if (te !== undefined) out.maxTableElements = te;
  const mf = num('--max-open-files', flags.maxOpenFiles, true);
  if (mf !== undefined) out.maxOpenFiles = mf;
  return out;
}

function pluginName(path: string): string {
  return path.replace(/^.*\//, '').replace(/\.wasm$/, '');
}
