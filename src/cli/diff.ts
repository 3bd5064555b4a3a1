/**
 * `witplug diff <old> <new>` / `witplug diff <new> --against git:<ref>`:
 * contract review. Exit 0 when nothing breaks the chosen side, 100 when
 * something does (as `buf breaking`), 2 for usage errors (unreadable WIT,
 * parse errors with their position) — which the CI formats also print where
 * a pipeline reads findings (an annotation, a failing JUnit case).
 */
import { Option, type Command } from 'commander';
import {
  readWitTree,
  readWitAgainstRef,
  parseWitTree,
  resolveWitWorld,
  diffWorlds,
  formatDiff,
  formatDiffFailure,
  isBreaking,
  type DiffFormat,
  type DiffSide,
  type WitTree,
} from '../tools.js';
import { WitplugError } from '../index.js';
import { ExitCode, runCommand, usage } from './output.js';

export interface DiffFlags {
  world?: string;
  format: DiffFormat;
  side: DiffSide;
  against?: string;
}

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('Compare two versions of a WIT contract rule by rule: what breaks existing plugins, what breaks hosts.')
    .argument('<old>', 'old WIT file or directory (or the new one with --against)')
    .argument('[new]', 'new WIT file or directory')
    .option('--against <git:ref>', 'compare <old> (then the new contract) with the same path at a git revision, e.g. git:main')
    .option('--world <world>', "world to compare (default: the root package's only world); old=new when it was renamed")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github', 'junit']).default('text'))
    .addOption(new Option('--side <side>', 'whose breakage sets the exit code').choices(['plugins', 'hosts', 'both']).default('both'))
    .action(async (first: string, second: string | undefined, flags: DiffFlags) => {
      await runCommand(flags.format === 'json', () => diff(first, second, flags));
    });
}

/** `--world w` names the world on both sides; `--world old=new` one per side. */
function worlds(flag: string | undefined): [string | undefined, string | undefined] {
  if (flag === undefined || !flag.includes('=')) return [flag, flag];
  const [a, b] = [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)];
  if (!a || !b || b.includes('=')) throw usage(`--world expects <world> or <old>=<new>, found '${flag}'`);
  return [a, b];
}

async function diff(first: string, second: string | undefined, flags: DiffFlags): Promise<ExitCode> {
  const [oldWorld, newWorld] = worlds(flags.world);
  let ctx = { old: first, new: second ?? first, side: flags.side, oldPrefix: undefined as string | undefined };
  try {
    let oldTree: WitTree;
    let newTree: WitTree;
    if (flags.against !== undefined) {
      if (second !== undefined) throw usage('give one WIT path with --against (the new contract), not two');
      const m = /^git:(.+)$/.exec(flags.against);
      if (!m) throw usage(`--against expects git:<ref>, found '${flags.against}'`);
      ctx = { ...ctx, old: `${flags.against}:${first}`, oldPrefix: `${m[1]}:` };
      const trees = await readWitAgainstRef(first, m[1]!);
      ctx = { ...ctx, old: `${trees.oldPrefix}${trees.path}`, new: trees.path };
      oldTree = trees.old;
      newTree = trees.new;
    } else {
      if (second === undefined) throw usage('give the old and the new WIT path, or one path with --against git:<ref>');
      [oldTree, newTree] = await Promise.all([readWitTree(first), readWitTree(second)]);
    }
    const report = diffWorlds(resolveWitWorld(parseWitTree(oldTree), oldWorld), resolveWitWorld(parseWitTree(newTree), newWorld));
    process.stdout.write(formatDiff(report, flags.format, ctx));
    return isBreaking(report, flags.side) ? ExitCode.BREAKING : ExitCode.OK;
  } catch (e) {
    if (e instanceof WitplugError && (flags.format === 'github' || flags.format === 'junit')) {
      const at = e.details as { file?: unknown; line?: unknown; column?: unknown } | undefined;
      const { file, line, column } = at ?? {};
      const pos = typeof file === 'string' && typeof line === 'number' && typeof column === 'number' ? { file, line, column } : {};
      process.stdout.write(formatDiffFailure({ code: e.code, message: e.message, ...pos }, flags.format, ctx));
    }
    throw e;
  }
}
