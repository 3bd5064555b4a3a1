/**
 * Which core instance a component's exported functions come from, and what
 * each core import of its modules is wired to.
 *
 * witplug's generated callers call a core export by its canonical name
 * (`iface#func`, `cabi_realloc`, `cabi_post_…`, `memory`) on one core
 * instance. For an export, that is what jco (and the spec) do only when its
 * `canon lift` takes its function — and its memory, realloc and post-return
 * options — from that instance under those names, that instance is the only
 * instance of its module, and resource destructors come from it too. A
 * module instantiated twice, a composed component whose outer instance wraps
 * an inner one exporting the same names, a lift under another name, or an
 * export lifted from another instance (a command adapter's `run`) keeps
 * jco's bindings.
 *
 * The other direction: the generated host-import trampolines replace a
 * core import only when it is wired to a `canon lower` of that very host
 * function, and they read and write the memory (and allocate with the
 * realloc) that lower names — which need not be the lifted instance's (a
 * command's exports come from its memoryless WASI adapter).
 *
 * Top level only; lenient: it re-reads bytes the strict decoder has already
 * accepted, and anything it does not follow just means "no generated calls".
 */
import { Reader } from './reader.js';

/** A core item aliased from a core instance's export. */
interface CoreExportRef {
  readonly instance: number;
  readonly name: string;
}

/** A core function defined by `canon lower` (index into the lowers) or by another canon built-in. */
type CanonRef = { readonly lower: number } | { readonly canon: number };

/** What a core function index stands for. */
type CoreFuncRef = CoreExportRef | CanonRef;

/** A core item exported by the single instance of a core module (definition index). */
export interface CoreItem {
  readonly module: number;
  readonly name: string;
}

/**
 * What a core import of a module is wired to, as the component says:
 * `lower`: a `canon lower` of component function `func` of imported
 * interface `iface` (`$root` for a world-level function; both null when the
 * lowered function is not a component import), writing into the memory and
 * allocating with the realloc its options name (null: no such option);
 * `canon`: another canon built-in (resource.new/rep/drop, context.get/set…);
 * `other`: anything else (a core module's own function standing in).
 */
export type CoreImportWire =
  | { readonly kind: 'lower'; readonly iface: string | null; readonly func: string | null; readonly memory: CoreItem | null; readonly realloc: CoreItem | null }
  | { readonly kind: 'canon' }
  | { readonly kind: 'other' };

/**
 * The wiring of each core module's function imports, for modules
 * instantiated exactly once: module index → import module → field → wire.
 * An import missing from it (a whole core instance passed as an argument, a
 * module instantiated twice) is not proven to be anything.
 */
export type CoreImportWiring = ReadonlyMap<number, ReadonlyMap<string, ReadonlyMap<string, CoreImportWire>>>;

/** A component function that is an imported host function. */
interface HostFuncRef {
  readonly iface: string;
  readonly func: string;
}

/** The name under which wit-component's core modules import world-level functions. */
const WORLD_LEVEL = '$root';

/** The module whose single instance the generated callers use, and the core names they may call there. */
export interface LiftSource {
  /** Index of the core module (definition order: jco's `component.core{N}.wasm`, N = index + 1, omitted for 0). */
  readonly module: number;
  /** Core export names of the lifts served from that instance (canonical options). */
  readonly names: readonly string[];
}

type CoreInstance =
  | { readonly module: number; readonly args: ReadonlyMap<string, number> }
  | { readonly module: null; readonly funcs: ReadonlyMap<string, number> };

interface Lift {
  readonly func: number;
  readonly memory?: number;
  readonly realloc?: number;
  readonly postReturn?: number;
}

/** A `canon lower`: the component function lowered and its memory/realloc options. */
interface Lower {
  readonly func: number;
  readonly memory?: number;
  readonly realloc?: number;
}

const CORE_FUNC = 0x00;
const CORE_MEMORY = 0x02;

export class CoreWiring {
  /** Instantiations per core module. */
  readonly #instantiations: number[] = [];
  /** Core instance index space: real instances (module, arguments) and inline export bags. */
  readonly #instances: CoreInstance[] = [];
  readonly #funcs: (CoreFuncRef | null)[] = [];
  readonly #memories: (CoreExportRef | null)[] = [];
  readonly #lifts: Lift[] = [];
  readonly #lowers: Lower[] = [];
  /** Component instance index space: the import name of imported instances, null for others. */
  readonly #componentInstances: (string | null)[] = [];
  /** Component function index space: imported host functions, null for others (lifts, re-exports). */
  readonly #componentFuncs: (HostFuncRef | null)[] = [];
  /** Core functions named as resource destructors. */
  readonly #dtors: number[] = [];
  /** False once something was not understood (a core module imported or nested, an unreadable entry). */
  #followed = true;

  /** A core module section at the top level (`nested`: inside a nested component). */
  module(nested: boolean): void {
    if (nested) this.#followed = false;
    else this.#instantiations.push(0);
  }

  /** A core module imported by the component: not something jco extracts. */
  importedModule(): void {
    this.#followed = false;
  }

  /** A top-level core instance section. */
  instances(s: Reader): void {
    this.#lenient(() => {
      for (let n = s.u32(), i = 0; i < n; i++) {
        const tag = s.u8();
        if (tag === 0x00) {
          const m = s.u32();
          if (m >= this.#instantiations.length) this.#followed = false;
          else this.#instantiations[m]!++;
          const args = new Map<string, number>();
          for (let k = s.u32(), j = 0; j < k; j++) {
            const name = s.name();
            s.u8(); // 0x12: an instance
            args.set(name, s.u32());
          }
          this.#instances.push({ module: m, args });
        } else if (tag === 0x01) {
          const funcs = new Map<string, number>();
          for (let k = s.u32(), j = 0; j < k; j++) {
            const name = s.name();
            const sort = s.u8();
            const idx = s.u32();
            if (sort === CORE_FUNC) funcs.set(name, idx);
          }
          this.#instances.push({ module: null, funcs });
        } else {
          this.#followed = false;
          return;
        }
      }
    });
  }

  /** One top-level alias (the bytes the strict decoder just read). */
  alias(s: Reader): void {
    this.#lenient(() => {
      const sort = s.u8();
      if (sort !== 0x00) {
        this.#componentAlias(sort, s);
        return;
      }
      const core = s.u8();
      const tag = s.u8();
      const ref = tag === 0x01 ? { instance: s.u32(), name: s.name() } : null;
      if (core === CORE_FUNC) this.#funcs.push(ref);
      else if (core === CORE_MEMORY) this.#memories.push(ref);
      else if (core === 0x12 || core === 0x11) this.#followed = false; // core instances/modules from elsewhere
    });
  }

  /** One top-level canon definition (the bytes the strict decoder just read). */
  canon(s: Reader): void {
    this.#lenient(() => {
      const op = s.u8();
      if (op === 0x01) {
        s.u8();
        const lower: { func: number; memory?: number; realloc?: number } = { func: s.u32() };
        this.#readOptions(s, lower);
        this.#funcs.push({ lower: this.#lowers.length });
        this.#lowers.push(lower);
        return;
      }
      if (op !== 0x00) {
        this.#funcs.push({ canon: op }); // every other canon definition defines a core function
        return;
      }
      this.#componentFuncs.push(null);
      s.u8();
      const lift: { func: number; memory?: number; realloc?: number; postReturn?: number } = { func: s.u32() };
      this.#readOptions(s, lift);
      this.#lifts.push(lift);
    });
  }

  #readOptions(s: Reader, into: { memory?: number; realloc?: number; postReturn?: number }): void {
    for (let n = s.u32(), i = 0; i < n; i++) {
      const opt = s.u8();
      if (opt === 0x03) into.memory = s.u32();
      else if (opt === 0x04) into.realloc = s.u32();
      else if (opt === 0x05) into.postReturn = s.u32();
      else if (opt === 0x07) s.u32();
      else if (opt > 0x07) this.#followed = false; // an option this reader does not know the size of
    }
  }

  /** A top-level component import (`sort`: the decoder's name of its kind). */
  componentImport(name: string, sort: string): void {
    if (sort === 'instance') this.#componentInstances.push(name);
    else if (sort === 'func') this.#componentFuncs.push({ iface: WORLD_LEVEL, func: name });
  }

  /** A top-level component export: it adds an index to its sort's space. */
  componentExport(sort: string): void {
    if (sort === 'instance') this.#componentInstances.push(null);
    else if (sort === 'func') this.#componentFuncs.push(null);
  }

  /** A top-level component instance definition (instantiation or inline exports). */
  componentInstance(): void {
    this.#componentInstances.push(null);
  }

  /** A component-level alias: functions aliased from an imported instance are that interface's host functions. */
  #componentAlias(sort: number, s: Reader): void {
    if (sort !== 0x01 && sort !== 0x05) return; // types, components, values: not tracked
    if (s.u8() !== 0x00) {
      this.#followed = false; // functions and instances only come from instance exports
      return;
    }
    const iface = this.#componentInstances[s.u32()];
    const name = s.name();
    if (sort === 0x05) this.#componentInstances.push(null);
    else this.#componentFuncs.push(iface == null ? null : { iface, func: name });
  }

  /** One top-level type definition: a resource's destructor is a core function too. */
  type(s: Reader): void {
    this.#lenient(() => {
      if (s.u8() !== 0x3f) return;
      s.u8(); // rep: i32
      if (s.u8() === 0x01) this.#dtors.push(s.u32());
    });
  }

  /** Every core module defined at the top level and instantiated exactly once there. */
  oneInstancePerModule(): boolean {
    return this.#followed && this.#instantiations.every((n) => n === 1);
  }

  /**
   * The core instance most lifts come from (the first on a tie), and the core
   * names of the lifts that take their function, memory, realloc and
   * post-return from it under canonical names: the exports the generated
   * callers may serve. Other lifts (another instance — e.g. a command
   * adapter's `run` — or other names) are left to jco's bindings. Null when
   * no instance qualifies.
   */
  liftSource(): LiftSource | null {
    if (!this.#followed || this.#lifts.length === 0) return null;
    const instance = this.#busiestLiftInstance();
    if (instance === null) return null;
    const from = (ref: CoreFuncRef | null | undefined, name: string): boolean => isExportRef(ref) && ref.instance === instance && ref.name === name;
    const names: string[] = [];
    for (const lift of this.#lifts) {
      const f = exportRef(this.#funcs[lift.func]);
      if (f == null || f.instance !== instance) continue;
      if (lift.memory !== undefined && !from(this.#memories[lift.memory], 'memory')) continue;
      if (lift.realloc !== undefined && !from(this.#funcs[lift.realloc], 'cabi_realloc')) continue;
      if (lift.postReturn !== undefined && !from(this.#funcs[lift.postReturn], `cabi_post_${f.name}`)) continue;
      names.push(f.name);
    }
    // The generated path finds destructors by their canonical export name (`iface#[dtor]r`) on that instance.
    const fixups = this.#fixupsByShim();
    if (!this.#dtors.every((d) => {
      const f = exportRef(this.#throughShim(this.#funcs[d], fixups));
      return f !== null && f.instance === instance && f.name.includes('#[dtor]');
    })) return null;
    const module = this.#instances[instance]?.module;
    if (module == null || this.#instantiations[module] !== 1 || names.length === 0) return null;
    return { module, names };
  }

  /**
   * What each function import of each once-instantiated core module is wired
   * to (src/runtime/load/prepare.ts decides from it which imports witplug's
   * generated trampolines may serve, and with which memory). Null when the
   * wiring was not followed.
   */
  importWiring(): CoreImportWiring | null {
    if (!this.#followed) return null;
    const fixups = this.#fixupsByShim();
    const out = new Map<number, Map<string, Map<string, CoreImportWire>>>();
    for (const inst of this.#instances) {
      if (inst.module === null || this.#instantiations[inst.module] !== 1) continue;
      const modules = new Map<string, Map<string, CoreImportWire>>();
      for (const [importModule, arg] of inst.args) {
        const bag = this.#instances[arg];
        // A whole core instance as the argument: its own functions, not the host's.
        if (bag === undefined || bag.module !== null) continue;
        const fields = new Map<string, CoreImportWire>();
        for (const [field, f] of bag.funcs) fields.set(field, this.#wireOf(this.#throughShim(this.#funcs[f], fixups)));
        modules.set(importModule, fields);
      }
      out.set(inst.module, modules);
    }
    return out;
  }

  #wireOf(ref: CoreFuncRef | null): CoreImportWire {
    if (ref === null || isExportRef(ref)) return { kind: 'other' };
    if ('canon' in ref) return { kind: 'canon' };
    const lower = this.#lowers[ref.lower]!;
    const host = this.#componentFuncs[lower.func] ?? null;
    const memory = lower.memory === undefined ? null : this.#coreItem(this.#memories[lower.memory]);
    const realloc = lower.realloc === undefined ? null : this.#coreItem(exportRef(this.#funcs[lower.realloc]));
    // An option naming something not followed to a module's export proves nothing.
    if (memory === undefined || realloc === undefined) return { kind: 'other' };
    return { kind: 'lower', iface: host?.iface ?? null, func: host?.func ?? null, memory, realloc };
  }

  /** The module and export name of a core item exported by a once-instantiated module's instance (undefined: not that). */
  #coreItem(ref: CoreExportRef | null | undefined): CoreItem | undefined {
    const inst = ref == null ? undefined : this.#instances[ref.instance];
    if (ref == null || inst === undefined || inst.module === null || this.#instantiations[inst.module] !== 1) return undefined;
    return { module: inst.module, name: ref.name };
  }

  #busiestLiftInstance(): number | null {
    const counts = new Map<number, number>();
    let best: number | null = null;
    for (const lift of this.#lifts) {
      const f = exportRef(this.#funcs[lift.func]);
      if (f === null) continue;
      const n = (counts.get(f.instance) ?? 0) + 1;
      counts.set(f.instance, n);
      if (best === null || n > counts.get(best)!) best = f.instance;
    }
    return best;
  }

  /**
   * wit-component routes a function that does not exist yet when it is
   * needed (a destructor, a lowered import) through its shim's table: the
   * reference is the shim's export `k`, and the fixup instance fills slot
   * `k` with export `k` of its `actual` argument. Follows that one hop.
   */
  #throughShim(ref: CoreFuncRef | null | undefined, fixups: ReadonlyMap<number, ReadonlyMap<string, number>>): CoreFuncRef | null {
    if (ref == null) return null;
    if (!isExportRef(ref)) return ref;
    const fixup = fixups.get(ref.instance);
    if (fixup === undefined) return ref;
    const actual = this.#instances[fixup.get('actual') ?? -1];
    const target = actual?.module === null ? actual.funcs.get(ref.name) : undefined;
    return target === undefined ? null : this.#funcs[target] ?? null;
  }

  /** Instantiation arguments of each instance that takes a `shim` argument, by that shim instance (one pass: linear in the component). */
  #fixupsByShim(): Map<number, ReadonlyMap<string, number>> {
    const out = new Map<number, ReadonlyMap<string, number>>();
    for (const i of this.#instances) {
      const shim = i.module !== null ? i.args.get('shim') : undefined;
      if (shim !== undefined && i.module !== null && !out.has(shim)) out.set(shim, i.args);
    }
    return out;
  }

  #lenient(read: () => void): void {
    try {
      read();
    } catch {
      this.#followed = false;
    }
  }
}

function isExportRef(ref: CoreFuncRef | null | undefined): ref is CoreExportRef {
  return ref != null && 'instance' in ref;
}

function exportRef(ref: CoreFuncRef | null | undefined): CoreExportRef | null {
  return isExportRef(ref) ? ref : null;
}
