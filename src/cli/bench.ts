/**
 * `witplug bench`: per-call cost of one function through witplug's call path
 * and, in the same process, through jco's generated bindings; plus cold
 * (transpile) and warm (cache hit) load times.
 */
import type { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompileCache, loadContract, loadPlugin, terminalProgress } from '../index.js';
import { jcoFunction, resolveExport, timeCalls } from '../tools.js';
import { ExitCode, printJson, runCommand, usage } from './output.js';
import { GRANT_HELP, HOST_HELP, parseArgs } from './run.js';
import { importHostModule, readGrantFlag } from './host-inputs.js';
import { readInput } from '../tools.js';

interface BenchFlags {
  wit: string;
  world: string;
  call: string;
  args: string;
  iterations?: string;
  grant?: string;
  host?: string;
  json?: boolean;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('Time calls of one plugin function through witplug and through jco\'s generated bindings, and cold/warm load.')
    .argument('<plugin.wasm>', 'the plugin component')
    .requiredOption('--wit <dir-or-file>', 'WIT file or directory declaring the contract')
    .requiredOption('--world <world>', 'world in the WIT that the plugin targets')
    .requiredOption('--call <target>', 'function to time: <iface>#<func> or a world-level export name')
    .option('--args <json-array>', 'arguments as a JSON array', '[]')
    .option('--iterations <n>', 'calls to time (default: enough for ≥ 1 s)')
    .option('--grant <manifest.json>', GRANT_HELP)
    .option('--host <module.js>', HOST_HELP)
    .option('--json', 'print one JSON object: {"ok":true,"iterations","nsPerCall","jcoNsPerCall","loadMs":{"cold","warm"}}')
    .action(async (pluginPath: string, flags: BenchFlags) => {
      await runCommand(flags.json === true, () => bench(pluginPath, flags));
    });
}

async function bench(pluginPath: string, flags: BenchFlags): Promise<ExitCode> {
  let iterations: number | undefined;
  if (flags.iterations !== undefined) {
    iterations = Number(flags.iterations);
    if (!Number.isSafeInteger(iterations) || iterations < 1) throw usage(`--iterations must be a positive integer, got "${flags.iterations}"`);
  }
  const bytes = await readInput(pluginPath, 'plugin');
  const contract = await loadContract(flags.wit, flags.world);
  const grant = flags.grant === undefined ? undefined : await readGrantFlag(flags.grant);
  const host = flags.host === undefined ? undefined : await importHostModule(flags.host);
  const options = { contract, ...(grant ? { grant } : {}), ...(host ? { host } : {}) };

  const cacheDir = mkdtempSync(join(tmpdir(), 'witplug-bench-'));
  try {
    const cache = new CompileCache(cacheDir);
    const name = pluginPath.replace(/^.*\//, '').replace(/\.wasm$/, '');
    const silent = () => {};
    // The cold load comes first, as in `witplug run`: admission refuses a plugin
    // that does not fit (REJECTED) before its exports or --args are looked at.
    const coldStart = performance.now();
    await loadPlugin(bytes, { ...options, name, cache, log: silent, onProgress: flags.json ? undefined : terminalProgress() });
    const cold = performance.now() - coldStart;
    const warmStart = performance.now();
    const plugin = await loadPlugin(bytes, { ...options, name, cache, log: silent });
    const warm = performance.now() - warmStart;
    const target = resolveExport(plugin.shape, flags.call);
    const args = parseArgs(flags.args, target.type.params, target.target);

    const fast = plugin.fn(target.target);
    const viaJco = jcoFunction(plugin, target.target);
    fast(...args); // surface a failing call as the documented error before timing
    const ours = timeCalls(fixedArity(fast, args), iterations);
    const theirs = timeCalls(fixedArity(viaJco, args), iterations ?? Math.max(1000, Math.min(ours.iterations, 200_000)), 1000);
    const result = {
      ok: true,
      iterations: ours.iterations,
      nsPerCall: round(ours.nsPerCall),
      jcoNsPerCall: round(theirs.nsPerCall),
      loadMs: { cold: round(cold), warm: round(warm) },
    };
    if (flags.json) printJson(result);
    else {
      process.stdout.write(
        `${target.target}: ${result.nsPerCall} ns/call via witplug, ${result.jcoNsPerCall} ns/call via jco ` +
          `(${(result.jcoNsPerCall / result.nsPerCall).toFixed(1)}× faster), ${result.iterations} iterations\n` +
          `load: cold ${result.loadMs.cold} ms, warm ${result.loadMs.warm} ms\n`,
      );
    }
    return ExitCode.OK;
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * A zero-argument closure calling `f` with `args`, without a spread for up
 * to four arguments: a spread call costs ~10 ns, which would be most of a
 * small call's figure (npm run bench calls the same way).
 */
function fixedArity(f: (...a: unknown[]) => unknown, args: readonly unknown[]): () => unknown {
  const [a, b, c, d] = args;
  switch (args.length) {
    case 0: return () => f();
    case 1: return () => f(a);
    case 2: return () => f(a, b);
    case 3: return () => f(a, b, c);
    case 4: return () => f(a, b, c, d);
    default: return () => f(...args);
  }
}
