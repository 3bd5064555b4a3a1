/**
 * `PluginHost`: many plugins of one contract, hooks dispatched across them.
 *
 * Dispatch kinds use the vocabulary of tapable/Rollup: `series`, `bail`,
 * `waterfall`, `parallel`, `first`, `collect`. Operations use anchors:
 * plugins attach `before`, `define` (replaces the host's default) or `after`
 * a named host operation.
 *
 * Calls into plugins are synchronous, so a dispatch never interleaves with a
 * load, unload or reload: those swap the plugin list between calls, and every
 * call is answered by exactly one version of each plugin.
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { compareValType } from '../../admission/compare-types.js';
import type { FuncType } from '../../component/types.js';
import { loadPlugin, type Plugin } from '../load/load-plugin.js';
import { allowManifest, readManifest } from './manifest.js';
import { resolveExport } from '../link/exports.js';

import type { Anchor, Bound, Entry, FailurePolicy, HookSpec, HostLogger, LoadOptions, OperationSpec, PluginHostOptions, PluginInfo } from './types.js';
import { closePlugin, runInit } from './lifecycle.js';
import { SKIPPED, arityStep, byPriority, opKey, passTest, spreadStep, statsOf, toArray, type WaterfallStep } from './dispatch.js';
import { assertNever } from '../../util/assert-never.js';
import type { HookFunctions, UntypedHooks } from './hook-types.js';
import { loadWithServices } from '../services/services.js';

const stderrLogger: HostLogger = (level, message, plugin) => process.stderr.write(`[${plugin}] ${level}: ${message}\n`);

/**
 * `H` types `hook(name)`: each hook's dispatcher by name. Generated bindings
 * (`create…Host`) fill it from the hook table; untyped, any name and any arguments.
 */
export class PluginHost<H extends HookFunctions = UntypedHooks> {
  readonly #options: PluginHostOptions;
  readonly #log: HostLogger;
  readonly #entries = new Map<string, Entry>();
  #order = 0;
  /** Per hook (and operation anchor): the enabled plugins' functions in dispatch order; replaced when the plugin list changes. */
  readonly #slots = new Map<string, { list: readonly Bound[] }>();
  readonly #dispatchers = new Map<string, (...args: unknown[]) => unknown>();

  constructor(options: PluginHostOptions) {
    this.#options = options;
    this.#log = options.logger ?? options.services?.eventLog ?? stderrLogger;
    for (const [name, spec] of Object.entries(options.hooks ?? {})) this.#dispatchers.set(name, this.#dispatcher(name, spec));
  }

  /** Admits, compiles and instantiates a plugin, then adds it to every hook. */
  async load(source: string | Uint8Array, options: LoadOptions = {}): Promise<PluginInfo> {
    const name = options.name ?? (typeof source === 'string' ? basename(source).replace(/\.wasm$/, '') : 'plugin');
    if (this.#entries.has(name)) throw new WitplugError(ErrorCodes.USAGE, `a plugin named "${name}" is already loaded`, { plugin: name });
    const anchors = toArray(options.anchor);
    this.#checkAnchors(name, anchors);
    const plugin = await this.#instantiate(source, name, options);
    this.#add({ name, plugin, priority: options.priority ?? 0, order: this.#order++, anchors, load: options, enabled: true, stats: new Map() });
    return this.#info(this.#entries.get(name)!);
  }

  /**
   * Loads every `*.wasm` in `dir`, each with its manifest `<name>.json` when
   * present (a grant manifest: imports, config, directories, limits…; plus
   * optional `priority` and `anchor`). The manifest ships with the plugin, so
   * it is a request checked against `manifestPolicy` (`POLICY` when it asks
   * for more). Returns what was loaded; a plugin that fails is reported and
   * skipped.
   */
  async loadDir(dir: string): Promise<{ loaded: PluginInfo[]; failed: { name: string; error: WitplugError }[] }> {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.wasm')).sort();
    const loaded: PluginInfo[] = [];
    const failed: { name: string; error: WitplugError }[] = [];
    for (const file of files) {
      const name = file.slice(0, -'.wasm'.length);
      try {
        const request = await readManifest(join(dir, `${name}.json`));
        const allowed = request === null ? {} : await allowManifest(name, request, this.#options.manifestPolicy, this.#options.limits);
        loaded.push(await this.load(join(dir, file), { name, ...allowed }));
      } catch (e) {
        const error = e instanceof WitplugError ? e : new WitplugError(ErrorCodes.INTERNAL, String(e), { plugin: name, cause: e });
        this.#log('error', `not loaded: [${error.code}] ${error.message}`, name);
        failed.push({ name, error });
      }
    }
    return { loaded, failed };
  }

  /** Removes a plugin from every hook and releases it. */
  unload(name: string): void {
    const entry = this.#get(name);
    this.#entries.delete(name);
    this.#rebind();
    closePlugin(entry.plugin, this.#log);
  }

  /**
   * Replaces a plugin with new bytes. The new version is admitted and
   * instantiated first; if that fails the old one stays and the error (with
   * the admission report for `REJECTED`) is thrown. The swap happens between
   * calls.
   */
  async reload(name: string, source: string | Uint8Array): Promise<PluginInfo> {
    const old = this.#get(name);
    const plugin = await this.#instantiate(source, name, old.load);
    // Re-read: the plugin may have been unloaded while the new version loaded.
    const current = this.#entries.get(name);
    if (current !== old) {
      closePlugin(plugin, this.#log);
      throw new WitplugError(ErrorCodes.USAGE, `plugin "${name}" was unloaded or replaced during reload`, { plugin: name });
    }
    const entry: Entry = { ...old, plugin, stats: new Map() };
    this.#entries.set(name, entry);
    this.#rebind();
    closePlugin(old.plugin, this.#log);
    return this.#info(entry);
  }

  enable(name: string): void {
    this.#get(name).enabled = true;
    this.#rebind();
  }

  disable(name: string): void {
    this.#get(name).enabled = false;
    this.#rebind();
  }

  plugins(): PluginInfo[] {
    return [...this.#entries.values()].sort(byPriority).map((e) => this.#info(e));
  }

  /** Runs hook `name` across the enabled plugins, per its dispatch kind. */
  run(name: string, ...args: unknown[]): unknown {
    return this.#hook(name)(...args);
  }

  /**
   * The dispatcher of hook `name`, resolved once (as `plugin.fn` is): it
   * reads the current plugin list at each call, so loads, reloads and
   * unloads apply from the next call on.
   */
  hook<K extends keyof H & string>(name: K): H[K] {
    // The dispatcher's arguments and result follow the hook's spec and target, which `H` was derived from.
    return this.#hook(name) as unknown as H[K];
  }

  #hook(name: string): (...args: unknown[]) => unknown {
    const d = this.#dispatchers.get(name);
    if (d === undefined) throw new WitplugError(ErrorCodes.USAGE, `no hook named "${name}" (declared: ${Object.keys(this.#options.hooks ?? {}).join(', ') || 'none'})`);
    return d;
  }

  /*
   * Dispatchers keep the try/catch outside the per-plugin loop: a failure
   * resumes the loop at the next plugin. A try around every single call kept
   * V8 from inlining it (~20–40 ns per plugin, measured).
   */
  #dispatcher(name: string, spec: HookSpec): (...args: unknown[]) => unknown {
    const slot = this.#slot(name);
    const policy: FailurePolicy = spec.kind === 'parallel' ? 'skip' : spec.onError ?? 'fail';
    const fault = (b: Bound, e: unknown): void => this.#fault(b, name, policy, e);
    switch (spec.kind) {
      case 'series':
      case 'parallel':
        return (...args) => {
          const l = slot.list;
          for (let i = 0; ; i++) {
            try {
              for (; i < l.length; i++) {
                const b = l[i]!;
                b.stats.calls++;
                b.fn(...args);
              }
              return undefined;
            } catch (e) {
              fault(l[i]!, e);
            }
          }
        };
      case 'bail':
      case 'first': {
        // `first` is `bail` whose pass value is null: the first result that is not null/undefined wins.
        const pass = spec.kind === 'first' ? null : spec.pass ?? null;
        const isPass = passTest(pass);
        return (...args) => {
          const l = slot.list;
          for (let i = 0; ; i++) {
            try {
              for (; i < l.length; i++) {
                const b = l[i]!;
                b.stats.calls++;
                const r = b.fn(...args);
                if (!isPass(r)) return r;
              }
              return pass;
            } catch (e) {
              fault(l[i]!, e);
            }
          }
        };
      }
      case 'collect':
        return (...args) => {
          const l = slot.list;
          const out: unknown[] = [];
          for (let i = 0; ; i++) {
            try {
              for (; i < l.length; i++) {
                const b = l[i]!;
                b.stats.calls++;
                out.push(b.fn(...args));
              }
              return out;
            } catch (e) {
              fault(l[i]!, e);
            }
          }
        };
      case 'waterfall': {
        // The fed parameter and the arity come from the contract's types, the same for every
        // plugin: found once. A step of that arity passes the running value without rewriting
        // and re-spreading the argument list per plugin.
        let shape: { feed: number; arity: number; step: WaterfallStep; general: WaterfallStep } | null = null;
        return (...args) => {
          const l = slot.list;
          if (l.length === 0) return args[shape?.feed ?? spec.feed ?? 0];
          shape ??= this.#waterfall(name, spec);
          const { feed } = shape;
          // Another arity: the general step, and the callee reports the bad arity.
          const step = args.length === shape.arity ? shape.step : shape.general;
          let acc = args[feed];
          for (let i = 0; ; i++) {
            try {
              for (; i < l.length; i++) {
                const b = l[i]!;
                b.stats.calls++;
                acc = step(b.fn, args, acc);
              }
              return acc;
            } catch (e) {
              fault(l[i]!, e);
            }
          }
        };
      }
      default: assertNever(spec.kind, 'dispatch kind');
    }
  }

  /**
   * Runs operation `name`: plugins anchored `before` (in order), then the one
   * that `define`s it — or `fallback`, the host's default — then those `after`.
   * Returns what the definition returned.
   */
  operation(name: string, args: readonly unknown[], fallback: (...args: unknown[]) => unknown): unknown {
    const spec = this.#operation(name);
    if (spec === undefined) throw new WitplugError(ErrorCodes.USAGE, `no operation named "${name}"`);
    const policy = spec.onError ?? 'fail';
    for (const b of this.#slot(opKey(name, 'before')).list) this.#call(b, name, policy, args);
    const define = this.#slot(opKey(name, 'define')).list[0];
    let result = define === undefined ? SKIPPED : this.#call(define, name, policy, args);
    if (result === SKIPPED) result = fallback(...args);
    for (const b of this.#slot(opKey(name, 'after')).list) this.#call(b, name, policy, args);
    return result;
  }

  /** Unloads every plugin (and closes the services' directory watchers). */
  close(): void {
    this.#options.services?.hostClosed(this);
    for (const name of [...this.#entries.keys()]) this.unload(name);
  }

  #call(b: Bound, hook: string, policy: FailurePolicy, args: readonly unknown[]): unknown {
    b.stats.calls++;
    try {
      return b.fn(...args);
    } catch (e) {
      this.#fault(b, hook, policy, e);
      return SKIPPED;
    }
  }

  /** A plugin's call failed: `fail` rethrows it (attributed to plugin and hook), `skip` logs it and goes on. */
  #fault(b: Bound, hook: string, policy: FailurePolicy, e: unknown): void {
    b.stats.failures++;
    const err = e instanceof WitplugError ? e : new WitplugError(ErrorCodes.INTERNAL, String(e), { plugin: b.entry.name, hook, cause: e });
    if (policy === 'fail') throw err;
    this.#log('warn', `hook ${hook} failed and was skipped: [${err.code}] ${err.message}`, b.entry.name);
  }

  async #instantiate(source: string | Uint8Array, name: string, options: LoadOptions): Promise<Plugin> {
    const { contract, cache, missingImports, services } = this.#options;
    // The host's own choices for this plugin (a grant it passed, `limits`) override the host-wide limits.
    const limits = { ...this.#options.limits, ...options.grant?.limits, ...options.limits };
    const plugin = await loadWithServices(services, name, this.#options.host, (host) => loadPlugin(source, {
      name, contract, limits,
      ...(host === undefined ? {} : { host }),
      ...(cache === undefined ? {} : { cache }),
      ...(missingImports === undefined ? {} : { missingImports }),
      ...(options.grant === undefined ? {} : { grant: options.grant }),
      ...(options.config === undefined ? {} : { config: options.config }),
      log: this.#log,
      isolate: false,
    }));
    try {
      this.#resolveAll(plugin, toArray(options.anchor));
      // The plugin sees the same config through init as through witplug:host/config.
      runInit(plugin, { ...options.grant?.config, ...options.config });
    } catch (e) {
      closePlugin(plugin, this.#log);
      throw e;
    }
    return plugin;
  }

  /** Every hook's target must resolve on the plugin (admission checked the types; this names what is missing). */
  #resolveAll(plugin: Plugin, anchors: readonly Anchor[]): void {
    for (const spec of Object.values(this.#options.hooks ?? {})) plugin.fn(spec.target);
    for (const a of anchors) plugin.fn(this.#operation(a.operation)!.target);
  }

  /** A declared operation (own properties only: `constructor` or `__proto__` are not operations). */
  #operation(name: string): OperationSpec | undefined {
    const ops = this.#options.operations;
    return ops !== undefined && Object.hasOwn(ops, name) ? ops[name] : undefined;
  }

  #checkAnchors(name: string, anchors: readonly Anchor[]): void {
    for (const a of anchors) {
      if (this.#operation(a.operation) === undefined) {
        throw new WitplugError(ErrorCodes.USAGE, `anchor on unknown operation "${a.operation}"`, { plugin: name });
      }
      if (a.at !== 'define') continue;
      for (const other of this.#entries.values()) {
        if (other.anchors.some((o) => o.operation === a.operation && o.at === 'define')) {
          throw new WitplugError(ErrorCodes.USAGE, `operation "${a.operation}" is already defined by plugin "${other.name}"; "${name}" cannot define it too`, { plugin: name });
        }
      }
    }
  }

  #add(entry: Entry): void {
    this.#entries.set(entry.name, entry);
    this.#rebind();
  }

  /** Rebuilds every hook's dispatch list: functions resolved once here, not per call. */
  #rebind(): void {
    const entries = [...this.#entries.values()].filter((e) => e.enabled).sort(byPriority);
    for (const [name, spec] of Object.entries(this.#options.hooks ?? {})) {
      this.#slot(name).list = entries.map((entry) => ({ entry, fn: entry.plugin.fn(spec.target), stats: statsOf(entry, name) }));
    }
    for (const [name, spec] of Object.entries(this.#options.operations ?? {})) {
      for (const at of ['before', 'define', 'after'] as const) {
        const anchored = entries.filter((e) => e.anchors.some((a) => a.operation === name && a.at === at));
        this.#slot(opKey(name, at)).list = anchored.map((entry) => ({ entry, fn: entry.plugin.fn(spec.target), stats: statsOf(entry, name) }));
      }
    }
  }

  #slot(key: string): { list: readonly Bound[] } {
    let slot = this.#slots.get(key);
    if (slot === undefined) this.#slots.set(key, (slot = { list: [] }));
    return slot;
  }

  /** The fed parameter (`spec.feed`, else the last one of the result's type) and a step for the hook's arity. */
  #waterfall(name: string, spec: HookSpec): { feed: number; arity: number; step: WaterfallStep; general: WaterfallStep } {
    const first = [...this.#entries.values()][0]!;
    const func: FuncType = resolveExport(first.plugin.shape, spec.target).type;
    const feed = spec.feed ?? this.#feedIndex(name, spec, func);
    const arity = func.params.length;
    return { feed, arity, step: arityStep(arity, feed), general: spreadStep(feed) };
  }

  #feedIndex(name: string, spec: HookSpec, func: FuncType): number {
    for (let i = func.params.length - 1; i >= 0; i--) {
      if (func.result !== null && compareValType(func.params[i]!.type, func.result).length === 0) return i;
    }
    throw new WitplugError(ErrorCodes.USAGE, `waterfall hook "${name}": no parameter of ${spec.target} has its result's type; set \`feed\``);
  }

  #get(name: string): Entry {
    const e = this.#entries.get(name);
    if (e === undefined) throw new WitplugError(ErrorCodes.USAGE, `no plugin named "${name}"`);
    return e;
  }

  #info(e: Entry): PluginInfo {
    return {
      name: e.name,
      priority: e.priority,
      enabled: e.enabled,
      disabledReason: e.plugin.disabledReason,
      anchors: e.anchors,
      componentHash: e.plugin.componentHash,
      stats: Object.fromEntries([...e.stats].map(([k, v]) => [k, { ...v }])),
    };
  }
}
