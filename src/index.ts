/**
 * witplug's public API. Everything a host application uses is exported here
 * and only here (a test snapshots this list).
 */
export { WitplugError, ErrorCodes, isWitplugError } from './errors.js';
export type { ErrorCode, WitplugErrorOptions } from './errors.js';
export { VERSION, BUILD_STAMP } from './version.js';

export type {
  ValType, FuncType, InterfaceType, WorldItem, ComponentShape, ResourceType, NamedType, Field, Case, Param,
} from './component/types.js';
export { decodeComponent } from './component/decode.js';
export { loadContract, clearContractCache } from './contract/load.js';
export type { Contract, LoadContractOptions } from './contract/load.js';

export { admit, admitShape, AdmissionCodes, NoteCodes, ShapeCache } from './admission/index.js';
export type { AdmitOptions, AdmissionCode, AdmissionReport, Note, NoteCode, Problem } from './admission/index.js';
export { addPluginMetadata, findPluginMetadata, METADATA_SECTION } from './admission/plugin-metadata.js';
export type { PluginMetadata } from './admission/plugin-metadata.js';
export { fingerprintInterface, fingerprintFunc, fingerprintValType } from './component/fingerprint.js';

export { CompileCache, defaultCacheDir } from './compile/cache.js';
export type { CacheStats, CompiledArtifact, CompileCacheOptions, CacheIdentity } from './compile/cache.js';
export { DEFAULT_CACHE_MAX_BYTES, scanCache, pruneCache } from './compile/cache-dir.js';
export type { CacheScan, CacheEntryInfo, PruneResult } from './compile/cache-dir.js';

export { loadPlugin, prepare, Plugin, sharedCompileCache } from './runtime/plugin.js';
export type { PreparedPlugin, InstanceOverrides, PluginInstance } from './runtime/plugin.js';
export { PluginResource, DEFAULT_MAX_OUTPUT_BYTES } from './runtime/abi/index.js';
export { bindExports } from './runtime/typed.js';
export { PluginHost } from './runtime/host.js';
export type { PluginHostOptions, HookSpec, OperationSpec, Anchor, AnchorPosition, DispatchKind, FailurePolicy, LoadOptions, PluginInfo, HookStats, HostLogger } from './runtime/host.js';
export type { TypedPlugin, ExportTable } from './runtime/typed.js';
export { generateBindings } from './bindings/typescript.js';
export type { BindingsOptions } from './bindings/typescript.js';
export type { PluginOptions, PluginFunction, LoadInfo } from './runtime/plugin.js';
export { IsolatedPlugin } from './runtime/isolate/isolated-plugin.js';
export { parseGrant, readGrantManifest, isGranted } from './runtime/grant.js';
export type { Grant, Limits, DirectoryGrant } from './runtime/grant.js';
export type { HealthPolicy } from './runtime/health.js';
export type { HostImplementations, HostFunction, LogSink, LogLevel } from './runtime/host-imports.js';
export { fromJson } from './runtime/json-values.js';
