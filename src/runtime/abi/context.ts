/**
 * The per-instance state the generated callers use, composed of parts with
 * one job each: the guest's memory (`memory`: views, allocator, codecs,
 * output budget), the handle table (`handles`), and the claims of one
 * call's handle arguments (`claims`). The context itself holds the core
 * exports and the instance's state (ready, busy). One context lives as long
 * as the Plugin; `attach` points it at a fresh core instance after a trap,
 * which invalidates every resource handle of the old one.
 *
 * Generated code receives the parts once, when its factory is bound
 * (index.ts), so a call reads `M.u8` as directly as it read `C.u8`.
 */
import { WitplugError, ErrorCodes } from '../../errors.js';
import { GuestMemory, type Realloc } from './guest-memory.js';
import { HandleTable, type InstanceState } from './handle-table.js';
import { CallClaims } from './call-claims.js';
import { hostResultError } from './abi-errors.js';

export { DEFAULT_MAX_OUTPUT_BYTES, type Realloc } from './guest-memory.js';
export { PluginResource } from './handle-table.js';
export { trap, describe, typeMismatch } from './abi-errors.js';

/** The core exports a context needs; `exports` maps core export names to functions. */
export interface CoreBinding {
  readonly exports: Readonly<Record<string, unknown>>;
  readonly memory: WebAssembly.Memory | undefined;
  readonly realloc: Realloc | undefined;
}

export class AbiContext implements InstanceState {
  /** Core exports of the current instance (generated code indexes them by name). */
  x: Readonly<Record<string, unknown>> = {};
  /** False until attached, and after the instance trapped: the next call re-instantiates. */
  ready = false;
  /**
   * True while the instance runs plugin code on behalf of a call, from before
   * the first `cabi_realloc` of lowering to post-return (and during
   * instantiation and destructors): a host function that calls back into the
   * instance then is refused (REENTRANCE). Owned by whoever set it.
   */
  busy = false;
  readonly memory = new GuestMemory();
  readonly handles: HandleTable;
  readonly claims: CallClaims;
  /** Throws the owner's refusal of a call into the running instance (set by the Plugin). */
  reentered: (hook: string) => never = (hook) => {
    throw new WitplugError(ErrorCodes.REENTRANCE, `${hook}: the instance is already running a call`);
  };
  /** Runs a destructor under the plugin's limits (set by the Plugin). */
  runDestructor: (call: () => unknown) => void = (call) => void call();

  /** `handles`: another context's table to share (ImportContext), else a table of this instance. */
  constructor(handles?: HandleTable) {
    this.handles = handles ?? new HandleTable(this);
    this.claims = new CallClaims(this.handles);
  }

  /** Bytes one call may lift out of the guest in total (strings, lists, nested). */
  get cap(): number {
    return this.memory.cap;
  }

  set cap(bytes: number) {
    this.memory.cap = bytes;
  }

  /** Most live handles the table may hold (RESOURCE_LIMIT beyond). */
  get maxHandles(): number {
    return this.handles.maxHandles;
  }

  set maxHandles(n: number) {
    this.handles.maxHandles = n;
  }

  /** Called when the plugin drops its own handle of a host resource (by resource key). */
  get hostDrops(): Map<string, (value: object) => unknown> {
    return this.handles.hostDrops;
  }

  /** `[resource-drop]R` import of the guest (see HandleTable). */
  resourceDrop(resource: string, handle: number): void {
    this.handles.resourceDrop(resource, handle);
  }

  attach(core: CoreBinding, dtorNames: ReadonlyMap<string, string> = new Map()): void {
    this.x = core.exports;
    this.handles.attach(core.exports, dtorNames);
    this.memory.attach(core.memory, core.realloc);
    // `busy` is left alone: attach runs in the middle of an instantiation that is itself busy.
    this.ready = true;
  }

  /**
   * Forgets the instance for good (Plugin.close): exports, memory views, the
   * handle table and destructors are released, and handles the host still
   * holds become stale (the epoch moves on), so they neither reach the closed
   * instance nor keep its memory alive.
   */
  detach(): void {
    this.ready = false;
    this.busy = false;
    this.x = {};
    this.handles.detach();
    this.memory.detach();
  }

  /** What an import trampoline throws when lowering the host's result failed (see hostResultError). */
  hostResult(e: unknown): unknown {
    return hostResultError(e);
  }
}

/**
 * The context of host-import trampolines whose `canon lower` names another
 * core instance's memory and realloc than the one the exports are lifted
 * from (a command whose exports come from a memoryless adapter): its own
 * memory, and `main`'s handle table, so that a host resource handle means
 * the same to the plugin's exports and imports. The trampolines only pass
 * host resources (the plugin's own never cross a host function on the
 * generated path). Attaching and detaching it leaves `main`'s table alone.
 */
export class ImportContext extends AbiContext {
  constructor(main: AbiContext) {
    super(main.handles);
    this.memory.cap = main.memory.cap;
  }

  override attach(core: CoreBinding): void {
    this.x = core.exports;
    this.memory.attach(core.memory, core.realloc);
    this.ready = true;
  }

  override detach(): void {
    this.ready = false;
    this.busy = false;
    this.x = {};
    this.memory.detach();
  }
}
