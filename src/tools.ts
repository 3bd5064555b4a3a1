/**
 * witplug's tooling API: what the `witplug` CLI is built from (inspect,
 * check, diff, bindings, cache administration, JSON values), for tools of
 * your own. Host applications need only the main entry point (`witplug`);
 * this is `witplug/tools`. The CLI imports nothing else from the library.
 */
export { decodeComponent } from './component/decode.js';
export { printWorldItem, printInterfaceBody } from './component/wit-print.js';
export { fingerprintInterface, fingerprintFunc, fingerprintValType } from './component/fingerprint.js';
export { admitShape } from './admission/gate.js';
export type { AdmitShapeOptions } from './admission/gate.js';
export { inspectComponent } from './admission/inspect.js';
export type { InspectItem, InspectReport } from './admission/inspect.js';
export { addPluginMetadata, findPluginMetadata, METADATA_SECTION } from './component/plugin-metadata.js';
export type { PluginMetadata } from './component/plugin-metadata.js';

export { parseWit, loadWitWorld, readWitTree, readWitTreeAtRef, parseWitTree, resolveWitWorld } from './contract/wit/index.js';
export type { WitTree, ParsedWit, ResolvedWorld } from './contract/wit/index.js';
export { diffWorlds } from './diff/diff.js';
export type { DiffReport, DiffFinding, Severity } from './diff/rules.js';
export type { PackageBump } from './diff/bump.js';
export { formatReport as formatDiff, formatFailure as formatDiffFailure, isBreaking } from './diff/format.js';
export type { DiffFormat, DiffSide, DiffFailure } from './diff/format.js';
export { readWitAgainstRef } from './diff/git.js';
export type { TreesAtRef } from './diff/git.js';
export { generateBindings } from './bindings/typescript.js';
export type { BindingsOptions } from './bindings/typescript.js';
export { generateGuestTypes } from './bindings/guest-types.js';
export { generateCBindings } from './bindings/c/index.js';
export type { CBindings } from './bindings/c/index.js';

export { DEFAULT_CACHE_MAX_BYTES, cacheMaxBytes, directoryProblem, parseByteCount, pruneCache, scanCache } from './util/cache-dir.js';
export type { CacheScan, CacheEntryInfo, PruneResult } from './util/cache-dir.js';
export { readInput } from './util/read-bytes.js';

export { resolveExport } from './runtime/link/exports.js';
export type { ResolvedExport } from './runtime/link/exports.js';
export { fromJson } from './runtime/abi/json-values.js';
export { jcoFunction } from './runtime/instance/plugin.js';
export { timeCalls } from './util/measure.js';
export type { Timing } from './util/measure.js';
export { isGranted } from './runtime/capabilities/grant.js';

export { newProject } from './authoring/scaffold.js';
export type { NewProjectOptions, NewProjectResult } from './authoring/scaffold.js';
export { buildProject } from './authoring/build.js';
export type { BuildProjectOptions, BuildProjectResult } from './authoring/build.js';
export { LANGS, PROJECT_FILE, isLang, parseWasiChoice, readProject } from './authoring/project.js';
export type { Lang, Project, WasiChoice } from './authoring/project.js';
export { grantedImports } from './runtime/capabilities/grant-imports.js';
export { readManifest as readPluginManifest } from './runtime/host/manifest.js';
export type { ManifestRequest } from './runtime/host/manifest.js';
