/** Types for metadata.mjs (the `witplug-metadata` custom section; docs/plugin-metadata.md). */
export declare const METADATA_SECTION_NAME: 'witplug-metadata';
/** One complete custom section (id 0) whose payload is the UTF-8 JSON of `metadata`. */
export declare function encodeMetadataSection(metadata: Record<string, unknown>): Uint8Array;
/** A copy of `componentBytes` with the section appended; throws on a non-component or non-object. */
export declare function appendMetadataSection(componentBytes: Uint8Array, metadata: Record<string, unknown>): Uint8Array;
