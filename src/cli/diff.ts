/**
 * `witplug diff <old> <new>` / `witplug diff <new> --against git:<ref>`:
 * contract review. Exit 0 when nothing breaks the chosen side, 100 when
 * something does (as `buf breaking`), 2 for usage errors (unreadable WIT,
 * parse errors with their position).
 */
import { Option, type Command } from 'commander';
import { readWitTree, readWitTreeAtRef, parseWitTree, resolveWitWorld, diffWorlds, formatDiff, isBreaking, type DiffFormat, type DiffSide } from '../tools.js';
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
    .option('--world <world>', "world to compare (default: the root package's only world)")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github', 'junit']).default('text'))
    .addOption(new Option('--side <side>', 'whose breakage sets the exit code').choices(['plugins', 'hosts', 'both']).default('both'))
    .action(async (first: string, second: string | undefined, flags: DiffFlags) => {
      await runCommand(flags.format === 'json', () => diff(first, second, flags));
    });
}

async function diff(first: string, second: string | undefined, flags: DiffFlags): Promise<ExitCode> {
  let oldTree;
  let newTree;
  let oldName: string;
  let newName: string;
  if (flags.against !== undefined) {
    if (second !== undefined) throw usage('give one WIT path with --against (the new contract), not two');
    const m = /^git:(.+)$/.exec(flags.against);
    if (!m) throw usage(`--against expects git:<ref>, found '${flags.against}'`);
    [oldTree, newTree] = await Promise.all([readWitTreeAtRef(first, m[1]!), readWitTree(first)]);
    oldName = `${flags.against}:${first}`;
    newName = first;
  } else {
    if (second === undefined) throw usage('give the old and the new WIT path, or one path with --against git:<ref>');
    [oldTree, newTree] = await Promise.all([readWitTree(first), readWitTree(second)]);
    oldName = first;
    newName = second;
  }
  const report = diffWorlds(resolveWitWorld(parseWitTree(oldTree), flags.world), resolveWitWorld(parseWitTree(newTree), flags.world));
  process.stdout.write(formatDiff(report, flags.format, { old: oldName, new: newName, side: flags.side }));
  return isBreaking(report, flags.side) ? ExitCode.BREAKING : ExitCode.OK;
}
