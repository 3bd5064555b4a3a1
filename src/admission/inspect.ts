/**
 * What `witplug inspect` shows of a component: every import and export with
 * its full WIT and contract fingerprint, producers, size and the plugin's
 * self-description (docs/plugin-metadata.md).
 */
import type { WorldItem } from '../component/types.js';
import { decodeForAdmission } from './gate.js';
import { findPluginMetadata, type PluginMetadata } from '../component/plugin-metadata.js';
import { printInterfaceBody, printWorldItem } from '../component/wit-print.js';
import { fingerprintItem } from '../component/fingerprint-adapter.js';
import { WitplugError, ErrorCodes } from '../errors.js';

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
export function inspectComponent(bytes: Uint8Array): InspectReport {
  const r = decodeForAdmission(bytes);
  if ('problem' in r) {
    const code = r.problem.code === 'NOT_A_COMPONENT' || r.problem.code === 'UNSUPPORTED' ? r.problem.code : ErrorCodes.MALFORMED;
    throw new WitplugError(code, r.problem.message);
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
