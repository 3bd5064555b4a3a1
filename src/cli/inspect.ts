/**
 * `witplug inspect <plugin.wasm> [--json]`: every import and export with its
 * full WIT, producers, size, per-interface contract fingerprints and the
 * plugin's self-description (docs/plugin-metadata.md).
 */
import type { Command } from 'commander';
import { styleText } from 'node:util';
import type { WorldItem } from '../component/types.js';
import { decodeForAdmission } from '../admission/gate.js';
import { findPluginMetadata, type PluginMetadata } from '../admission/plugin-metadata.js';
import { printInterfaceBody, printWorldItem } from '../component/wit-print.js';
import { fingerprintItem } from '../admission/fingerprint-adapter.js';
import { WitplugError, ErrorCodes } from '../errors.js';
import { ExitCode, printJson, runCommand } from './output.js';
import { readPluginFile } from './check.js';

export interface InspectItem {
  readonly name: string;
  readonly kind: WorldItem['kind'];
  readonly wit: string;
  readonly fingerprint?: string;
}

export interface InspectReport {
  readonly size: number;
  readonly imports: readonly InspectItem[];
  readonly exports: readonly InspectItem[];
  readonly producers: unknown;
  readonly metadata: PluginMetadata | null;
  readonly metadataError?: string;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('Show a plugin component\'s imports and exports as WIT, producers, metadata and contract fingerprints.')
    .argument('<plugin.wasm>', 'the plugin component')
    .option('--json', 'print exactly one JSON object: {size, imports, exports, producers, metadata}')
    .action(async (pluginPath: string, flags: { json?: boolean }) => {
      await runCommand(flags.json === true, async () => {
        const report = inspectBytes(await readPluginFile(pluginPath));
        if (flags.json) printJson(report);
        else process.stdout.write(formatInspect(report, pluginPath, process.stdout.isTTY === true));
        return ExitCode.OK;
      });
    });
}

/** Full WIT of one item: interfaces as `interface name { … }`, others as they read in a world. */
function itemWit(item: WorldItem, direction: 'import' | 'export'): string {
  if (item.kind === 'interface') return [`interface ${item.name} {`, ...printInterfaceBody(item.iface), '}'].join('\n');
  return printWorldItem(item, direction, '');
}

function describe(item: WorldItem, direction: 'import' | 'export'): InspectItem {
  const fp = fingerprintItem(item);
  return { name: item.name, kind: item.kind, wit: itemWit(item, direction), ...(fp ? { fingerprint: fp } : {}) };
}

/** Inspects component bytes; malformed bytes throw a WitplugError (MALFORMED / NOT_A_COMPONENT, exit 1). */
export function inspectBytes(bytes: Uint8Array): InspectReport {
  const r = decodeForAdmission(bytes);
  if ('problem' in r) {
    throw new WitplugError(r.problem.code === 'NOT_A_COMPONENT' ? ErrorCodes.NOT_A_COMPONENT : ErrorCodes.MALFORMED, r.problem.message);
  }
  const { shape, customSections, producers } = r.decoded;
  const meta = findPluginMetadata(customSections);
  return {
    size: bytes.length,
    imports: shape.imports.map((i) => describe(i, 'import')),
    exports: shape.exports.map((e) => describe(e, 'export')),
    producers: producers ?? null,
    metadata: meta.metadata,
    ...(meta.error ? { metadataError: meta.error } : {}),
  };
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
