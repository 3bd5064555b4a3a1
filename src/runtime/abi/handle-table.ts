/**
 * The handle table of one plugin instance: the resources the plugin exports
 * (handles it created with `[resource-new]R`, and `PluginResource`s the host
 * holds) and the host's objects lent or given to the plugin. Re-attaching to
 * a fresh core instance (after a trap) starts a new epoch, which makes every
 * handle of the old one stale.
 */
import { WitplugError, ErrorCodes } from '../../errors.js';
import { describe, trap } from './abi-errors.js';

/** What the table needs to know of the instance it serves (the AbiContext). */
export interface InstanceState {
  /** False until attached, and after the instance trapped. */
  readonly ready: boolean;
  /** True while the instance runs plugin code on behalf of a call. */
  readonly busy: boolean;
  /** Throws the owner's refusal of a call into the running instance. */
  reentered(hook: string): never;
  /** Runs a destructor under the plugin's limits. */
  runDestructor(call: () => unknown): void;
}

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
  readonly #table: HandleTable;
  readonly #rep: number;
  readonly #epoch: number;
  #dropped = false;

  constructor(table: HandleTable, resource: string, rep: number, epoch: number) {
    this.#table = table;
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

  /** @internal The table of the instance that created it. */
  get table(): HandleTable {
    return this.#table;
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
    this.#table.drop(this);
  }

  [Symbol.dispose](): void {
    this.drop();
  }
}

export class HandleTable {
  /** Most live handles the table may hold (RESOURCE_LIMIT beyond): it is host memory the plugin could grow. */
  maxHandles = Infinity;
  /** Called when the plugin drops its own handle of a host resource (by resource key). */
  readonly hostDrops = new Map<string, (value: object) => unknown>();
  readonly #instance: InstanceState;
  /** Live handles in the table. */
  #handles = 0;
  #epoch = 0;
  #table: (TableEntry | undefined)[] = [undefined]; // handle 0 is never valid
  #free: number[] = [];
  /** Destructors by resource key (`iface#name`), looked up in the core exports. */
  readonly #dtors = new Map<string, (rep: number) => unknown>();
  /** Borrow handles of host resources lent to the current call; released when it returns. */
  #lent: number[] = [];

  constructor(instance: InstanceState) {
    this.#instance = instance;
  }

  /** Starts a new epoch for a fresh core instance: empty table, destructors from its exports. */
  attach(exports: Readonly<Record<string, unknown>>, dtorNames: ReadonlyMap<string, string>): void {
    this.#reset();
    for (const [key, name] of dtorNames) {
      const f = exports[name];
      if (typeof f === 'function') this.#dtors.set(key, f as (rep: number) => unknown);
    }
  }

  /** Forgets the instance for good: handles the host still holds become stale and keep nothing alive. */
  detach(): void {
    this.#reset();
    this.hostDrops.clear();
  }

  #reset(): void {
    this.#epoch++;
    this.#table = [undefined];
    this.#free = [];
    this.#handles = 0;
    this.#lent = [];
    this.#dtors.clear();
  }

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
    this.live(v, resource, path);
  }

  /** Validation of an own/borrow argument of a host resource. */
  checkHostObject(v: unknown, resource: string, path: string): void {
    hostObject(v, resource, path);
  }

  /** Lowers an `own<R>` argument the claims validated: ownership moves back into the plugin's table. */
  moveOwn(r: PluginResource, resource: string): number {
    r.consume();
    return this.resourceNew(resource, r.rep);
  }

  /** Host-side drop of a PluginResource: refused while the instance runs a call (the handle stays, the drop can be retried). */
  drop(r: PluginResource): void {
    const instance = this.#instance;
    if (instance.busy) instance.reentered('(resource drop)');
    r.consume();
    if (r.epoch !== this.#epoch || !instance.ready) return; // its instance is gone, and its state with it
    const dtor = this.#dtors.get(r.resource);
    if (dtor) instance.runDestructor(() => dtor(r.rep));
  }

  /** A live handle of this table's instance for `resource`, or TYPE_MISMATCH at `path`. */
  live(v: unknown, resource: string, path: string): PluginResource {
    if (!(v instanceof PluginResource) || v.table !== this || v.resource !== resource) {
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
