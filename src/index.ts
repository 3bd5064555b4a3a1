/**
 * witplug's public API for host applications: contracts, admission, loading
 * and calling plugins, many plugins behind a PluginHost, typed bindings'
 * runtime, grants and limits, errors. Exported here and only here (a test
 * snapshots this list). Tooling (inspect, diff, bindings generation, cache
 * administration) is `witplug/tools` (src/tools.ts).
 */
export { WitplugError, ErrorCodes, AdmissionCodes, NoteCodes, isWitplugError } from './errors.js';
export type { ErrorCode, WitplugErrorOptions, WitplugErrorJson, AdmissionCode, NoteCode } from './errors.js';
export { VERSION } from './version.js';

export type {
  ValType, FuncType, InterfaceType, WorldItem, ExternSort, ComponentShape, ResourceType, NamedType, Field, Case, Param,
} from './component/types.js';
export { loadContract, clearContractCache } from './contract/load.js';
export type { Contract, LoadContractOptions } from './contract/load.js';

export { admit } from './admission/index.js';
export type { AdmitOptions, AdmissionReport, Note, Problem } from './admission/index.js';

export { CompileCache, defaultCacheDir } from './compile/cache.js';
export type { CacheStats, CompiledArtifact, CompileCacheOptions, CacheIdentity } from './compile/cache.js';
export { terminalProgress } from './compile/progress.js';
export type { CompileProgress, CompileProgressListener, ProgressStream, TerminalProgressOptions } from './compile/progress.js';

export { loadPlugin, prepare, sharedCompileCache } from './runtime/load/load-plugin.js';
export type { Plugin, PluginOptions, PluginFunction, LoadInfo, PreparedPlugin, InstanceOverrides, PluginInstance } from './runtime/load/load-plugin.js';
export type { IsolatedPlugin } from './runtime/isolate/isolated-plugin.js';
export type { IsolateChoice } from './runtime/host/isolation-choice.js';
export type { PluginResource } from './runtime/abi/index.js';
export { DEFAULT_MAX_OUTPUT_BYTES } from './runtime/abi/index.js';
export { PluginHost } from './runtime/host/plugin-host.js';
export type {
  PluginHostOptions, HookSpec, OperationSpec, Anchor, AnchorPosition, DispatchKind, FailurePolicy, LoadOptions, PluginInfo, HookStats, HostLogger,
  LogKind, PluginHostEvents, PluginHostEvent,
} from './runtime/host/types.js';
export type { HookDispatcher, DispatchResult, Delivered, HookFunctions, UntypedHooks, UntypedDispatcher, TargetFunction } from './runtime/host/hook-types.js';
export type { ManifestPolicy, PolicyRoot } from './runtime/host/manifest.js';
export { HostServices } from './runtime/services/services.js';
export type { HostServicesOptions, PluginServices, ServedHook, CallCount, Rejection, PluginsReport } from './runtime/services/services.js';
export { MemoryKvStore, PluginKv } from './runtime/services/kv.js';
export type { KvStore, KvQuota, KvUsage } from './runtime/services/kv.js';
export { JournalKvStore } from './runtime/services/kv-journal.js';
export { SqliteKvStore, openKvStore, sqliteAvailable } from './runtime/services/kv-sqlite.js';
export type { JournalKvOptions } from './runtime/services/kv-journal.js';
export { PluginMetrics, LATENCY_BUCKETS_US } from './runtime/services/metrics.js';
export type { HookStatsSnapshot, PluginStatsSnapshot } from './runtime/services/metrics.js';
export { jsonLineLogger, recordLogger } from './runtime/services/logger.js';
export type { Logger, LogFn, EventLogger } from './runtime/services/logger.js';
export { watchPluginDir } from './runtime/services/watch.js';
export type { DirWatcher, WatchOptions, WatchEvent, WatchableHost } from './runtime/services/watch.js';
export { bindExports } from './runtime/instance/typed.js';
export type { TypedPlugin, ExportTable } from './runtime/instance/typed.js';
export { parseGrant, readGrantManifest } from './runtime/capabilities/grant.js';
export type { Grant, Limits, DirectoryGrant } from './runtime/capabilities/grant.js';
export type { HealthPolicy } from './runtime/limits/health.js';
export type { HostImplementations, HostFunction, LogSink, LogLevel } from './runtime/capabilities/host-imports.js';
export { asyncHost, currentCaller } from './runtime/capabilities/host-caller.js';
export type { HostCaller } from './runtime/capabilities/host-caller.js';
