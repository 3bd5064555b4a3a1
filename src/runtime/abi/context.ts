/**
 * The per-instance state the generated callers use: the guest's memory and
 * allocator, the string/byte codecs, the output cap and the handle table of
 * the resources the plugin exports. One context lives as long as the
 * Plugin; `attach` points it at a fresh core instance after a trap, which
 * invalidates every resource handle of the old one.
 *
 * Helpers here assume their input was validated by the generated code (the
 * type checks are inlined there so a failing path string is only built on
 * failure); what they check is what the guest hands back (CanonicalABI
 * traps: bounds, alignment, UTF-8, code points, handles).
 */
import { isAscii } from 'node:buffer';
import { WitplugError, ErrorCodes } from '../../errors.js';

export type CoreFunction = (...args: never[]) => unknown;
export type Realloc = (oldPtr: number, oldSize: number, align: number, newSize: number) => number;

/** The core exports a context needs; `exports` maps core export names to functions. */
export interface CoreBinding {
  readonly exports: Readonly<Record<string, unknown>>;
  readonly memory: WebAssembly.Memory | undefined;
  readonly realloc: Realloc | undefined;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const EMPTY = new Uint8Array(0);
/** Zero-length views shared by every context until it attaches to a memory (an ArrayBuffer per instance is measurable when instantiating many). */
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));
const EMPTY_BUFFER = Buffer.alloc(0);

/**
 * Output cap when the plugin's limits set none: what one call may lift out
 * of the guest in total (strings, lists, nested). Without a cap, a guest
 * returning many references to one large block makes the host materialise
 * gigabytes and die (V8 heap OOM), so there is always one.
 */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Short strings are encoded/decoded in JS: cheaper than a native call below this length. */
const SHORT_STRING = 32;

/**
 * One handle of the instance's table. `rep` is the plugin's representation
 * for resources the plugin exports, and the host's own object for resources
 * the host provides.
 */
interface TableEntry {
  rep: unknown;
  own: boolean;
  resource: string;
}

/**
 * A resource the plugin exported and handed to the host (`own<R>`). Pass it
 * back as `borrow<R>`/`own<R>` arguments; `drop()` runs the plugin's
 * destructor. It belongs to the instance that created it: after a trap the
 * plugin is re-instantiated and old handles are refused.
 */
export class PluginResource {
  readonly resource: string;
  readonly #context: AbiContext;
  readonly #rep: number;
  readonly #epoch: number;
  #dropped = false;

  constructor(context: AbiContext, resource: string, rep: number, epoch: number) {
    this.#context = context;
    this.resource = resource;
    this.#rep = rep;
    this.#epoch = epoch;
  }

  /** @internal The plugin-side representation (the value the plugin gave resource.new). */
  get rep(): number {
    return this.#rep;
  }

  /** @internal Instance generation this handle belongs to. */
  get epoch(): number {
    return this.#epoch;
  }

  /** @internal */
  get context(): AbiContext {
    return this.#context;
  }

  get dropped(): boolean {
    return this.#dropped;
  }

  /** @internal Marks the handle as given away (moved into the plugin or dropped). */
  consume(): void {
    this.#dropped = true;
  }

  /** Releases the resource: runs its destructor in the plugin (if it has one). Idempotent. */
  drop(): void {
    if (this.#dropped) return;
    // Refused while the instance is running a call (REENTRANCE): the handle stays, the drop can be retried.
    if (this.#context.busy) this.#context.reentered('(resource drop)');
    this.#dropped = true;
    this.#context.destroy(this);
  }

  [Symbol.dispose](): void {
    this.drop();
  }
}

export class AbiContext {
  /** Core exports of the current instance (generated code indexes them by name). */
  x: Readonly<Record<string, unknown>> = {};
  u8: Uint8Array = EMPTY;
  dv: DataView = EMPTY_VIEW;
  /** Second result of `str`/`bytes`/`list`: the length of what was just written. */
  len = 0;
  /** Bytes one call may lift out of the guest in total (strings, lists, nested). */
  cap = DEFAULT_MAX_OUTPUT_BYTES;
  /**
   * What is left of `cap` for the values being lifted: reset to `cap` when a
   * call's results (or a host call's arguments) start being lifted, charged
   * by every string and list before it is copied.
   */
  left = DEFAULT_MAX_OUTPUT_BYTES;
  /** False until attached, and after the instance trapped: the next call re-instantiates. */
  ready = false;
  /**
   * True while the instance runs plugin code on behalf of a call, from before
   * the first `cabi_realloc` of lowering to post-return (and during
   * instantiation and destructors): a host function that calls back into the
   * instance then is refused (REENTRANCE). Owned by whoever set it.
   */
  busy = false;
  /** Most live handles the table may hold (RESOURCE_LIMIT beyond): it is host memory the plugin could grow. */
  maxHandles = Infinity;
  /** Live handles in the table. */
  #handles = 0;
  #memory: WebAssembly.Memory | undefined;
  #buffer: Buffer = EMPTY_BUFFER;
  #reallocFn: Realloc | undefined;
  #epoch = 0;
  #table: (TableEntry | undefined)[] = [undefined]; // handle 0 is never valid
  #free: number[] = [];
  /** Destructors by resource key (`iface#name`), looked up in the core exports. */
  #dtors = new Map<string, (rep: number) => unknown>();
  /** Called when the plugin drops its own handle of a host resource (by resource key). */
  hostDrops = new Map<string, (value: object) => unknown>();
  /** Borrow handles of host resources lent to the current call; released when it returns. */
  #lent: number[] = [];
  /** Throws the owner's refusal of a call into the running instance (set by the Plugin). */
  reentered: (hook: string) => never = (hook) => {
    throw new WitplugError(ErrorCodes.REENTRANCE, `${hook}: the instance is already running a call`);
  };
  /** Runs a destructor under the plugin's limits (set by the Plugin). */
  runDestructor: (call: () => unknown) => void = (call) => void call();

  attach(core: CoreBinding, dtorNames: ReadonlyMap<string, string> = new Map()): void {
    this.x = core.exports;
    this.#memory = core.memory;
    this.#reallocFn = core.realloc;
    this.#epoch++;
    this.#table = [undefined];
    this.#free = [];
    this.#handles = 0;
    this.#lent = [];
    this.#dtors.clear();
    for (const [key, name] of dtorNames) {
      const f = core.exports[name];
      if (typeof f === 'function') this.#dtors.set(key, f as (rep: number) => unknown);
    }
    this.u8 = EMPTY;
    this.v();
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
    this.#memory = undefined;
    this.#reallocFn = undefined;
    this.#epoch++;
    this.#table = [undefined];
    this.#free = [];
    this.#lent = [];
    this.#dtors.clear();
    this.hostDrops.clear();
    this.u8 = EMPTY;
    this.dv = new DataView(new ArrayBuffer(0));
    this.#buffer = Buffer.alloc(0);
  }

  /** Refreshes the views when memory.grow detached the buffer (its length drops to 0). */
  v(): void {
    if (this.u8.length !== 0 || this.#memory === undefined) return;
    const buf = this.#memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.dv = new DataView(buf);
    this.#buffer = Buffer.from(buf);
  }

  /** `cabi_realloc(0, 0, align, size)`, checked as the canonical ABI requires. */
  alloc(align: number, size: number): number {
    return this.#realloc(0, 0, align, size);
  }

  #realloc(oldPtr: number, oldSize: number, align: number, size: number): number {
    const realloc = this.#reallocFn;
    if (realloc === undefined) throw trap('the plugin exports no cabi_realloc but the call needs to pass data in memory');
    const ptr = realloc(oldPtr, oldSize, align, size) >>> 0;
    this.v();
    if ((ptr & (align - 1)) !== 0) throw trap(`cabi_realloc returned ${ptr}, not aligned to ${align}`);
    if (ptr + size > this.u8.length) throw trap(`cabi_realloc returned ${ptr}..${ptr + size}, outside memory of ${this.u8.length} bytes`);
    return ptr;
  }

  /** Writes a (validated) string as UTF-8 into a fresh guest allocation; returns the pointer, sets `len`. */
  str(s: string): number {
    const n = s.length;
    if (n <= SHORT_STRING) {
      // Inlined allocation: this is the hottest helper (one call per string argument).
      const realloc = this.#reallocFn;
      if (realloc === undefined) return this.alloc(1, n);
      const ptr = realloc(0, 0, 1, n) >>> 0;
      let u8 = this.u8;
      if (u8.length === 0) {
        this.v();
        u8 = this.u8;
      }
      if (ptr + n > u8.length) throw trap(`cabi_realloc returned ${ptr}..${ptr + n}, outside memory of ${u8.length} bytes`);
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        u8[ptr + i] = c;
      }
      if (i === n) {
        this.len = n;
        return ptr;
      }
      // Not ASCII: grow the allocation to the UTF-8 size (as the canonical ABI's realloc protocol allows).
      const utf8 = Buffer.byteLength(s, 'utf8');
      const grown = this.#realloc(ptr, n, 1, utf8);
      this.#buffer.write(s, grown, utf8, 'utf8');
      this.len = utf8;
      return grown;
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    const ptr = this.alloc(1, bytes);
    // UTF-8 length equal to the UTF-16 length means ASCII: a latin1 copy is ~4× cheaper than encoding.
    this.#buffer.write(s, ptr, bytes, bytes === n ? 'latin1' : 'utf8');
    this.len = bytes;
    return ptr;
  }

  /** Copies bytes (a Uint8Array, or an array of validated u8s) into the guest; sets `len`. */
  bytes(v: Uint8Array | readonly number[]): number {
    const n = v.length;
    const ptr = this.alloc(1, n);
    if (v instanceof Uint8Array) this.u8.set(v, ptr);
    else {
      const u8 = this.u8;
      for (let i = 0; i < n; i++) u8[ptr + i] = v[i]!;
    }
    this.len = n;
    return ptr;
  }

  /** Reads a UTF-8 string out of the guest: bounds, output cap, then strict decoding. */
  liftStr(ptr: number, len: number): string {
    ptr >>>= 0;
    len >>>= 0;
    if (ptr + len > this.u8.length) throw trap(`string at ${ptr} of ${len} bytes is outside memory of ${this.u8.length} bytes`);
    if ((this.left -= len) < 0) throw this.#overBudget('a string', len);
    if (len <= SHORT_STRING) {
      const u8 = this.u8;
      let s = '';
      let i = 0;
      for (; i < len; i++) {
        const c = u8[ptr + i]!;
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === len) return s;
    }
    const bytes = this.u8.subarray(ptr, ptr + len);
    // ASCII (checked with SIMD) is valid UTF-8 and copies into a one-byte string without decoding.
    if (isAscii(bytes)) return this.#buffer.toString('latin1', ptr, ptr + len);
    try {
      return fatalUtf8.decode(bytes);
    } catch {
      throw trap(`string at ${ptr} of ${len} bytes is not valid UTF-8`);
    }
  }

  /** Copies a list<u8> out of the guest. */
  liftBytes(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    len >>>= 0;
    if (ptr + len > this.u8.length) throw trap(`list at ${ptr} of ${len} bytes is outside memory of ${this.u8.length} bytes`);
    if ((this.left -= len) < 0) throw this.#overBudget('a list', len);
    return this.u8.slice(ptr, ptr + len);
  }

  /** Checks a list of `count` elements of `size` bytes at `ptr` before it is read. */
  checkList(ptr: number, count: number, size: number, align: number, charge: number): void {
    const bytes = count * size;
    if ((ptr & (align - 1)) !== 0) throw trap(`list at ${ptr} is not aligned to ${align}`);
    if (ptr + bytes > this.u8.length) throw trap(`list at ${ptr} of ${count} elements (${bytes} bytes) is outside memory of ${this.u8.length} bytes`);
    // `charge` per element (≥ size): what an element costs once materialised as JS values.
    if ((this.left -= count * charge) < 0) throw this.#overBudget('a list', count * charge);
  }

  #overBudget(what: string, bytes: number): WitplugError {
    const before = this.left + bytes;
    this.left = 0;
    return new WitplugError(
      ErrorCodes.OUTPUT_LIMIT,
      `the plugin's output exceeds the output limit of ${this.cap} bytes per call (${what} of ${bytes} bytes with ${before} bytes left; lifting stopped before copying it)`,
    );
  }

  /** Checks a return area before it is read. */
  checkArea(ptr: number, size: number, align: number): void {
    if ((ptr & (align - 1)) !== 0) throw trap(`return area at ${ptr} is not aligned to ${align}`);
    if (ptr + size > this.u8.length) throw trap(`return area at ${ptr} of ${size} bytes is outside memory of ${this.u8.length} bytes`);
  }

  /**
   * What an import trampoline throws when lowering the host's result failed:
   * a value that does not fit the result type is the host's fault
   * (HOST_ERROR); anything else (the plugin's `cabi_realloc` trapping,
   * running out of fuel…) stays the plugin's.
   */
  hostResult(e: unknown): unknown {
    if (e instanceof WitplugError && e.code === ErrorCodes.TYPE_MISMATCH) {
      return new WitplugError(ErrorCodes.HOST_ERROR, e.message, { path: e.path, cause: e });
    }
    return e;
  }

  /** An out-of-range discriminant lifted from the guest. */
  badCase(d: number, cases: number): never {
    throw trap(`discriminant ${d} is out of range (${cases} cases)`);
  }

  /** A char lifted from the guest: a Unicode scalar value, or a trap. */
  char(cp: number): string {
    cp >>>= 0;
    if (cp >= 0x110000 || (cp >= 0xd800 && cp <= 0xdfff)) throw trap(`${cp} is not a Unicode scalar value (char)`);
    return String.fromCodePoint(cp);
  }

  // ---- handles: resources the plugin exports and resources the host provides ----

  #add(entry: TableEntry): number {
    if (this.#handles >= this.maxHandles) {
      throw new WitplugError(ErrorCodes.RESOURCE_LIMIT, `the plugin instance holds ${this.#handles} resource handles, the limit (maxHandles)`);
    }
    this.#handles++;
    const i = this.#free.pop();
    if (i !== undefined) {
      this.#table[i] = entry;
      return i;
    }
    return this.#table.push(entry) - 1;
  }

  /** `[resource-new]R` import of the guest. */
  resourceNew(resource: string, rep: number): number {
    return this.#add({ rep, own: true, resource });
  }

  /** `[resource-rep]R` import of the guest. */
  resourceRep(resource: string, handle: number): number {
    return this.#entry(resource, handle).rep as number;
  }

  /** `[resource-drop]R` import of the guest: its destructor (plugin resource) or the host's drop callback. */
  resourceDrop(resource: string, handle: number): void {
    const entry = this.#take(resource, handle);
    if (!entry.own) return;
    const dtor = this.#dtors.get(resource);
    if (dtor) dtor(entry.rep as number);
    else this.hostDrops.get(resource)?.(entry.rep as object);
  }

  /** Lowers an `own<R>` of a host resource: the plugin now owns a handle to the host's object. */
  hostOwn(v: unknown, resource: string, path: string): number {
    return this.#add({ rep: hostObject(v, resource, path), own: true, resource });
  }

  /** Lowers a `borrow<R>` of a host resource into an export call: a handle valid until the call returns. */
  lendHost(v: unknown, resource: string, path: string): number {
    const h = this.#add({ rep: hostObject(v, resource, path), own: false, resource });
    this.#lent.push(h);
    return h;
  }

  /** Releases what the plugin did not drop of the borrows lent to the call that just ended. */
  endLend(): void {
    for (const h of this.#lent) {
      const entry = this.#table[h];
      if (entry !== undefined && !entry.own) {
        this.#table[h] = undefined;
        this.#free.push(h);
        this.#handles--;
      }
    }
    this.#lent.length = 0;
  }

  /** Lifts an `own<R>` of a host resource handed back by the plugin: the host's object. */
  liftHostOwn(handle: number, resource: string): object {
    const entry = this.#take(resource, handle >>> 0);
    if (!entry.own) throw trap(`handle ${handle} is a borrow, an own<${resource}> was expected`);
    return entry.rep as object;
  }

  /** Lifts a `borrow<R>` of a host resource (e.g. `self` of a host method): the host's object. */
  liftHostBorrow(handle: number, resource: string): object {
    return this.#entry(resource, handle >>> 0).rep as object;
  }

  /** Lifts an `own<R>` result: the handle leaves the plugin's table and becomes a PluginResource. */
  liftOwn(handle: number, resource: string): PluginResource {
    const entry = this.#take(resource, handle >>> 0);
    if (!entry.own) throw trap(`handle ${handle} is a borrow, an own<${resource}> was expected`);
    return new PluginResource(this, resource, entry.rep as number, this.#epoch);
  }

  /** Validation of a borrow argument of a resource this plugin implements. */
  checkOwnHandle(v: unknown, resource: string, path: string): void {
    this.#live(v, resource, path);
  }

  /**
   * Handles validated for the current call of a function with own<R>
   * parameters (cleared around its validation): a handle moved by an own<R>
   * argument may not also be passed again in the same call (as own or
   * borrow), as in the component model, where lowering the own removes it.
   * Refused during validation, before anything is moved.
   */
  readonly #claimed: PluginResource[] = [];
  readonly #borrowed: PluginResource[] = [];

  /** Starts (and ends) the validation of one call's handle arguments. */
  resetClaims(): void {
    this.#claimed.length = 0;
    this.#borrowed.length = 0;
  }

  /** Validation of an own argument of a resource this plugin implements (it is only moved when lowered). */
  claimOwn(v: unknown, resource: string, path: string): void {
    const r = this.#live(v, resource, path);
    if (this.#claimed.includes(r) || this.#borrowed.includes(r)) {
      throw new WitplugError(ErrorCodes.TYPE_MISMATCH, `${path}: the ${resource} handle is passed as own<> and again in this call`, { path });
    }
    this.#claimed.push(r);
  }

  /** Validation of a borrow argument in a call that also moves handles (see `claimed`). */
  claimBorrow(v: unknown, resource: string, path: string): void {
    const r = this.#live(v, resource, path);
    if (this.#claimed.includes(r)) {
      throw new WitplugError(ErrorCodes.TYPE_MISMATCH, `${path}: the ${resource} handle is passed as own<> and again in this call`, { path });
    }
    this.#borrowed.push(r);
  }

  /** Validation of an own/borrow argument of a host resource. */
  checkHostObject(v: unknown, resource: string, path: string): void {
    hostObject(v, resource, path);
  }

  /** Lowers an `own<R>` argument `claimOwn` validated: ownership moves back into the plugin's table. */
  moveOwn(r: PluginResource, resource: string): number {
    r.consume();
    return this.resourceNew(resource, r.rep);
  }

  /** Host-side drop of a PluginResource. */
  destroy(r: PluginResource): void {
    if (r.epoch !== this.#epoch || !this.ready) return; // its instance is gone, and its state with it
    const dtor = this.#dtors.get(r.resource);
    if (dtor) this.runDestructor(() => dtor(r.rep));
  }

  #live(v: unknown, resource: string, path: string): PluginResource {
    if (!(v instanceof PluginResource) || v.context !== this || v.resource !== resource) {
      throw new WitplugError(ErrorCodes.TYPE_MISMATCH, `${path}: expected a ${resource} handle of this plugin, got ${describe(v)}`, { path });
    }
    if (v.dropped) throw new WitplugError(ErrorCodes.TYPE_MISMATCH, `${path}: the ${resource} handle was already dropped or moved`, { path });
    if (v.epoch !== this.#epoch) {
      throw new WitplugError(ErrorCodes.TYPE_MISMATCH, `${path}: the ${resource} handle belongs to an instance that trapped and was replaced`, { path });
    }
    return v;
  }

  #entry(resource: string, handle: number): TableEntry {
    const entry = this.#table[handle];
    if (entry === undefined) throw trap(`invalid ${resource} handle ${handle}`);
    if (entry.resource !== resource) throw trap(`handle ${handle} is a ${entry.resource}, not a ${resource}`);
    return entry;
  }

  #take(resource: string, handle: number): TableEntry {
    const entry = this.#entry(resource, handle);
    this.#table[handle] = undefined;
    this.#free.push(handle);
    this.#handles--;
    return entry;
  }
}

/** A host resource value is any object of the host's (witplug never looks inside). */
function hostObject(v: unknown, resource: string, path: string): object {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) {
    throw new WitplugError(ErrorCodes.TYPE_MISMATCH, `${path}: expected a ${resource} (an object of the host), got ${describe(v)}`, { path });
  }
  return v;
}

export function trap(message: string): WitplugError {
  return new WitplugError(ErrorCodes.TRAP, `canonical ABI: ${message}`);
}

/** A short description of a JS value for TYPE_MISMATCH messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (typeof v === 'bigint') return `bigint ${v}n`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** Thrown by generated code when an argument does not fit its WIT type. */
export function typeMismatch(path: string, expected: string, v: unknown): never {
  throw new WitplugError(ErrorCodes.TYPE_MISMATCH, `${path}: expected ${expected}, got ${describe(v)}`, { path });
}

/**
 * The context of host-import trampolines whose `canon lower` names another
 * core instance's memory and realloc than the one the exports are lifted
 * from (a command whose exports come from a memoryless adapter): its own
 * memory views and allocator, and `main`'s handle table, so that a host
 * resource handle means the same to the plugin's exports and imports. The
 * trampolines only pass host resources (the plugin's own never cross a
 * host function on the generated path).
 */
export class ImportContext extends AbiContext {
  readonly #main: AbiContext;

  constructor(main: AbiContext) {
    super();
    this.#main = main;
    this.cap = main.cap;
    this.maxHandles = main.maxHandles;
  }

  override hostOwn(v: unknown, resource: string, path: string): number {
    return this.#main.hostOwn(v, resource, path);
  }

  override lendHost(v: unknown, resource: string, path: string): number {
    return this.#main.lendHost(v, resource, path);
  }

  override endLend(): void {
    this.#main.endLend();
  }

  override liftHostOwn(handle: number, resource: string): object {
    return this.#main.liftHostOwn(handle, resource);
  }

  override liftHostBorrow(handle: number, resource: string): object {
    return this.#main.liftHostBorrow(handle, resource);
  }
}
