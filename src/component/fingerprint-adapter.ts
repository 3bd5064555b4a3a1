/**
 * Adapter over src/component/fingerprint.ts: one contract fingerprint per
 * world item (interfaces only; equal types ⇔ equal fingerprint).
 */
import type { WorldItem } from './types.js';
import { fingerprintInterface } from './fingerprint.js';

export function fingerprintItem(item: WorldItem): string | undefined {
  return item.kind === 'interface' ? fingerprintInterface(item.iface) : undefined;
}
