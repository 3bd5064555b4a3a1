/**
 * A plugin's self-description: custom section `witplug-metadata` holding a
 * UTF-8 JSON object (docs/plugin-metadata.md). Optional; never affects admission.
 */
import { appendCustomSection } from '../util/custom-section.js';

export const METADATA_SECTION = 'witplug-metadata';

export interface PluginMetadata {
  readonly name?: string;
  readonly version?: string;
  readonly description?: string;
  readonly usage?: string;
  /** Any further fields, kept as written. */
  readonly [key: string]: unknown;
}

const STRING_FIELDS = ['name', 'version', 'description', 'usage'] as const;
/** Custom sections are untrusted input: cap what we parse. */
const MAX_BYTES = 64 * 1024;

export type MetadataResult = { readonly metadata: PluginMetadata | null; readonly error: string | null };

/** Parses the section payload; a bad section is reported, never thrown. */
export function parsePluginMetadata(data: Uint8Array): MetadataResult {
  if (data.length > MAX_BYTES) return { metadata: null, error: `${METADATA_SECTION} is ${data.length} bytes, over the ${MAX_BYTES}-byte limit` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return { metadata: null, error: `${METADATA_SECTION} is not valid UTF-8` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { metadata: null, error: `${METADATA_SECTION} is not valid JSON: ${(e as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { metadata: null, error: `${METADATA_SECTION} must be a JSON object` };
  }
  const obj = value as Record<string, unknown>;
  for (const f of STRING_FIELDS) {
    if (f in obj && typeof obj[f] !== 'string') return { metadata: null, error: `${METADATA_SECTION}: "${f}" must be a string` };
  }
  return { metadata: obj as PluginMetadata, error: null };
}

/** Finds and parses the metadata section among a component's custom sections (the last one wins). */
export function findPluginMetadata(sections: readonly { name: string; data: Uint8Array }[]): MetadataResult {
  const s = sections.filter((c) => c.name === METADATA_SECTION).at(-1);
  return s ? parsePluginMetadata(s.data) : { metadata: null, error: null };
}

/**
 * Returns `component` with a `witplug-metadata` custom section appended.
 * Custom sections may appear anywhere in a component, so appending is valid
 * and leaves every other byte unchanged.
 */
export function addPluginMetadata(component: Uint8Array, metadata: PluginMetadata): Uint8Array {
  return appendCustomSection(component, METADATA_SECTION, new TextEncoder().encode(JSON.stringify(metadata)));
}
