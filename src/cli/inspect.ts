/**
 * `witplug inspect <plugin.wasm> [--json]`: every import and export with its
 * full WIT, producers, size, per-interface contract fingerprints and the
 * plugin's self-description (docs/plugin-metadata.md).
 */
import type { Command } from 'commander';
import { styleText } from 'node:util';
import { inspectComponent, readInput, type InspectReport } from '../tools.js';
import { ExitCode, printJson, runCommand } from './output.js';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('Show a plugin component\'s imports and exports as WIT, producers, metadata and contract fingerprints.')
    .argument('<plugin.wasm>', 'the plugin component')
    .option('--json', 'print exactly one JSON object: {size, imports, exports, producers, metadata}')
    .action(async (pluginPath: string, flags: { json?: boolean }) => {
      await runCommand(flags.json === true, async () => {
        const report = inspectComponent(await readInput(pluginPath, 'plugin'));
        if (flags.json) printJson(report);
        else process.stdout.write(formatInspect(report, pluginPath, process.stdout.isTTY === true));
        return ExitCode.OK;
      });
    });
}

export function formatInspect(r: InspectReport, path: string, colour: boolean): string {
  const s = (style: Parameters<typeof styleText>[0], t: string): string => (colour ? styleText(style, t) : t);
  const out: string[] = [`${s('bold', path)}: ${r.size} bytes`];
  if (r.metadata) {
    const m = r.metadata;
    out.push(`${s('bold', 'plugin')}: ${m.name ?? '(unnamed)'}${m.version ? ` ${m.version}` : ''}`);
    if (m.description) out.push(`  ${m.description}`);
    if (m.usage) out.push(`  usage: ${m.usage}`);
  } else if (r.metadataError) {
    out.push(`${s('yellow', 'metadata')}: ${r.metadataError}`);
  }
  if (r.producers !== null) out.push(`${s('bold', 'producers')}: ${JSON.stringify(r.producers)}`);
  for (const [title, items] of [['imports', r.imports], ['exports', r.exports]] as const) {
    out.push(s('bold', `${title} (${items.length}):`));
    for (const i of items) {
      out.push(`  ${s('cyan', `${title === 'imports' ? 'import' : 'export'} ${i.name}`)}${i.fingerprint ? s('dim', `  [${i.fingerprint}]`) : ''}`);
      out.push(i.wit.split('\n').map((l) => `    ${l}`).join('\n'));
    }
  }
  return out.join('\n') + '\n';
}
