/**
 * `witplug check <plugin.wasm> --wit <dir-or-file> --world <world> [--grant <manifest.json>] [--json]`:
 * the admission gate from the command line, with `--grant` as loading with
 * that grant runs it. Exit 0 accepted, 1 rejected, 2 usage/contract error.
 */
import type { Command } from 'commander';
import { styleText } from 'node:util';
import { admit, loadContract, type AdmissionReport, type AdmitOptions, type ComponentShape, type Contract, type Grant } from '../index.js';
import { decodeComponent, grantedImports, readInput } from '../tools.js';
import { ExitCode, printJson, runCommand } from './output.js';
import { readGrantFlag } from './host-inputs.js';
import { GRANT_HELP } from './run.js';

export interface CheckFlags {
  wit: string;
  world: string;
  grant?: string;
  json?: boolean;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('Check a plugin component against a WIT world without running it (the admission gate).')
    .argument('<plugin.wasm>', 'the plugin component')
    .requiredOption('--wit <dir-or-file>', 'WIT file or directory (with deps/) declaring the contract')
    .requiredOption('--world <world>', 'world in the WIT that the plugin targets')
    .option('--grant <manifest.json>', `check as \`run --grant\` loads: imports the grant does not cover are refused. ${GRANT_HELP}`)
    .option('--json', 'print exactly one JSON object: {accepted, problems:[{code,path,message}], notes:[…]}')
    .action(async (pluginPath: string, flags: CheckFlags) => {
      await runCommand(flags.json === true, () => check(pluginPath, flags));
    });
}

async function check(pluginPath: string, flags: CheckFlags): Promise<ExitCode> {
  // Contract first: a broken contract is the caller's error (exit 2) whatever the plugin is.
  const bytes = await readInput(pluginPath, 'plugin');
  const contract = await loadContract(flags.wit, flags.world);
  const grant = flags.grant === undefined ? undefined : await readGrantFlag(flags.grant);
  const report = admit(bytes, contract, grant === undefined ? {} : grantOptions(bytes, contract, grant));
  if (flags.json) printJson(report);
  else process.stdout.write(formatReport(report, pluginPath, flags.world, process.stdout.isTTY === true));
  return report.accepted ? ExitCode.OK : ExitCode.FAILED;
}

/**
 * Admission as loading with `grant` runs it: of the contract's imports, only
 * those the grant covers are allowed (the same `grantedImports` the loader
 * uses), so a plugin check accepts is one `run --grant` admits.
 */
function grantOptions(bytes: Uint8Array, contract: Contract, grant: Grant): AdmitOptions {
  return { allowedImports: grantedImports(contract.shape, grant, undefined, pluginShape(bytes)) };
}

/** The plugin's shape when it decodes; admission reports why it does not. */
function pluginShape(bytes: Uint8Array): ComponentShape | undefined {
  try {
    return decodeComponent(bytes).shape;
  } catch {
    return undefined;
  }
}

type Style = Parameters<typeof styleText>[0];

/** The human-readable report; colour only for terminals. */
export function formatReport(report: AdmissionReport, pluginPath: string, world: string, colour: boolean): string {
  const s = (style: Style, text: string): string => (colour ? styleText(style, text) : text);
  const lines: string[] = [];
  const n = report.problems.length;
  lines.push(
    report.accepted
      ? `${s('green', 'accepted')}: ${pluginPath} fits world ${world}`
      : `${s('red', 'rejected')}: ${pluginPath} does not fit world ${world} (${n} problem${n === 1 ? '' : 's'})`,
  );
  for (const p of report.problems) {
    lines.push(`  ${s('red', p.code)} ${s('bold', p.path || '(component)')}`);
    lines.push(`      ${p.message}`);
  }
  if (report.notes.length > 0) {
    lines.push(s('dim', 'notes:'));
    for (const note of report.notes) lines.push(`  ${s('yellow', note.code ?? 'NOTE')} ${note.path}: ${note.message}`);
  }
  return lines.join('\n') + '\n';
}
