/**
 * `PluginHost`: many plugins of one contract, hooks dispatched across them.
 *
 * Dispatch kinds use the vocabulary of tapable/Rollup: `series`, `bail`,
 * `waterfall`, `parallel`, `first`, `collect`. Operations use anchors:
 * plugins attach `before`, `define` (replaces the host's default) or `after`
 * a named host operation.
 *
 * A dispatch reads the plugin list once, so loads, unloads and reloads (which
 * swap the list) apply from the next dispatch on, and every dispatch is answered
 * by exactly one version of each plugin. A plugin unloaded during a dispatch
 * (sync or `async: true`) is closed once no dispatch is under way.
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { PluginInstance } from '../load/load-plugin.js';
import { prepareWhere } from './isolation-choice.js';
import type { LogSink } from '../capabilities/host-imports.js';
import { allowManifest, readManifest } from './manifest.js';
import type { Anchor, Bound, Entry, FailurePolicy, HostLogger, LoadOptions, OperationSpec, PluginHostEvent, PluginHostOptions, PluginInfo } from './types.js';
import { asWitplugError, checkAsyncHooks, checkPriority, closePlugin, exportsTarget, infoOf, messageOf, runInit } from './lifecycle.js';
import { SKIPPED, byPriority, opKey, toArray } from './dispatch.js';
import { DispatchGate, buildDispatcher, type Dispatcher } from './dispatchers.js';
import { buildAsyncDispatcher, runOperationAsync } from './async-dispatchers.js';
import { checkPass, checkSpec, planTarget, planWaterfall } from './hook-plan.js';
import { HostEvents, type PluginHostListener } from './events.js';
import { hostTables, observeLifecycle, rebindLists } from './services-adapter.js';

import type { HookFunctions, UntypedHooks } from './hook-types.js';

const stderrLogger: HostLogger = (level, message, plugin, kind) => process.stderr.write(`${kind === 'host' ? 'witplug: ' : ''}[${plugin}] ${level}: ${message}\n`);

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
  readonly #dispatchers = new Map<string, Dispatcher>();
  /** Contract exports only optional hooks target: admission lets a plugin leave them out. */
  readonly #optionalExports: ReadonlySet<string>;
  readonly #gate = new DispatchGate();
  readonly #events: HostEvents;
  /** Names with a load or reload under way, and the operations pending loads will define: both reserved until it ends. */
  readonly #busy = new Set<string>();
  readonly #pendingDefines = new Map<string, string>();

  /** Checks every hook and operation against the contract: a misconfigured one is USAGE here, not at each request. */
  constructor(options: PluginHostOptions) {
    this.#options = options;
    this.#log = options.logger ?? options.services?.eventLog ?? stderrLogger;
    this.#events = new HostEvents((event, e) => this.#log('error', `a '${event}' listener threw: ${messageOf(e)}`, '(host)', 'host'));
    const world = options.contract.shape;
    const required = new Set<string>();
    const optional = new Set<string>();
    for (const [name, spec] of Object.entries(options.hooks ?? {})) {
      checkSpec(name, spec);
      const target = planTarget(world, `hook "${name}"`, spec.target);
      const waterfall = spec.kind === 'waterfall' ? planWaterfall(name, spec, target.func) : null;
      if (spec.kind === 'bail') checkPass(name, spec, target.func);
      (spec.optional === true ? optional : required).add(target.worldExport);
      const policy: FailurePolicy = spec.kind === 'parallel' ? 'skip' : spec.onError ?? 'fail';
      const site = { slot: this.#slot(name), gate: this.#gate, fault: (b: Bound, e: unknown): void => this.#fault(b, name, policy, e) };
      this.#dispatchers.set(name, (spec.async === true ? buildAsyncDispatcher : buildDispatcher)(spec, site, waterfall));
    }
    for (const [name, spec] of Object.entries(options.operations ?? {})) planTarget(world, `operation "${name}"`, spec.target);
    this.#optionalExports = new Set([...optional].filter((e) => !required.has(e)));
    observeLifecycle(this, options.services);
  }

  /** Listens to lifecycle events (Node's EventEmitter conventions; an unheard 'error' is only logged, see events.ts). */
  on<E extends PluginHostEvent>(event: E, listener: PluginHostListener<E>): this {
    this.#events.on(event, listener);
    return this;
  }

  once<E extends PluginHostEvent>(event: E, listener: PluginHostListener<E>): this {
    this.#events.once(event, listener);
    return this;
  }

  off<E extends PluginHostEvent>(event: E, listener: PluginHostListener<E>): this {
    this.#events.off(event, listener);
    return this;
  }

  /**
   * Admits, compiles and instantiates a plugin, then adds it to every hook.
   * The name (and any operation it defines) is reserved from the start: a
   * second load of either while this one runs fails with USAGE.
   */
  async load(source: string | Uint8Array, options: LoadOptions = {}): Promise<PluginInfo> {
    const name = options.name ?? (typeof source === 'string' ? basename(source).replace(/\.wasm$/, '') : 'plugin');
    try {
      checkPriority(name, options.priority);
      if (this.#entries.has(name) || this.#busy.has(name)) {
        throw new WitplugError(ErrorCodes.USAGE, `a plugin named "${name}" is already ${this.#entries.has(name) ? 'loaded' : 'being loaded'}`, { plugin: name });
      }
      const anchors = toArray(options.anchor);
      this.#checkAnchors(name, anchors);
      const defines = anchors.filter((a) => a.at === 'define').map((a) => a.operation);
      this.#busy.add(name);
      for (const op of defines) this.#pendingDefines.set(op, name);
      let entry: Entry;
      try {
        const { plugin, hash, isolated } = await this.#instantiate(source, name, options);
        entry = {
          name, plugin, componentHash: hash, isolated, priority: options.priority ?? 0, order: this.#order++,
          anchors, load: options, enabled: true, failedOut: false, stats: new Map(),
        };
        this.#entries.set(name, entry);
        this.#rebind();
      } finally {
        this.#busy.delete(name);
        for (const op of defines) this.#pendingDefines.delete(op);
      }
      const info = infoOf(entry);
      this.#events.emit('loaded', info);
      return info;
    } catch (e) {
      this.#events.emit('rejected', { name, error: asWitplugError(e, name), reload: false });
      throw e;
    }
  }

  /**
   * Loads every `*.wasm` in `dir`, each with its manifest `<name>.json` when
   * present (a grant manifest: imports, config, directories, limits…; plus
   * optional `priority`, `anchor` and `isolate`). The manifest ships with the
   * plugin, so it is a request checked against `manifestPolicy` (`POLICY`
   * when it asks for more). Returns what was loaded; a plugin that fails is
   * reported and skipped.
   */
  async loadDir(dir: string): Promise<{ loaded: PluginInfo[]; failed: { name: string; error: WitplugError }[] }> {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.wasm')).sort();
    const loaded: PluginInfo[] = [];
    const failed: { name: string; error: WitplugError }[] = [];
    for (const file of files) {
      const name = file.slice(0, -'.wasm'.length);
      let loading = false;
      try {
        const request = await readManifest(join(dir, `${name}.json`));
        const { manifestPolicy, limits, isolate } = this.#options;
        const allowed = request === null ? {} : await allowManifest(name, request, manifestPolicy, limits, isolate ?? false);
        loading = true;
        loaded.push(await this.load(join(dir, file), { name, ...allowed }));
      } catch (e) {
        const error = asWitplugError(e, name);
        if (!loading) this.#events.emit('rejected', { name, error, reload: false }); // load() announces its own failures
        this.#log('error', `not loaded: [${error.code}] ${error.message}`, name, 'host');
        failed.push({ name, error });
      }
    }
    return { loaded, failed };
  }

  /** Removes a plugin from every hook and releases it (once the dispatch under way, if any, has ended). */
  unload(name: string): void {
    const entry = this.#get(name);
    this.#entries.delete(name);
    this.#rebind();
    this.#release(entry);
    this.#events.emit('unloaded', { name });
  }

  /**
   * Replaces a plugin with new bytes. The new version is admitted and
   * instantiated first; if that fails the old one stays and the error (with
   * the admission report for `REJECTED`) is thrown. The swap happens between
   * calls. Per-hook stats carry over; health starts afresh with the new instance.
   */
  async reload(name: string, source: string | Uint8Array): Promise<PluginInfo> {
    try {
      const old = this.#get(name);
      if (this.#busy.has(name)) throw new WitplugError(ErrorCodes.USAGE, `plugin "${name}" is already being reloaded`, { plugin: name });
      this.#busy.add(name);
      let made: { plugin: PluginInstance; hash: string; isolated: boolean };
      try {
        made = await this.#instantiate(source, name, old.load);
      } finally {
        this.#busy.delete(name);
      }
      // Re-read: the plugin may have been unloaded while the new version loaded.
      if (this.#entries.get(name) !== old) {
        closePlugin(made.plugin, (e) => this.#closeFailed(name, e));
        throw new WitplugError(ErrorCodes.USAGE, `plugin "${name}" was unloaded or replaced during reload`, { plugin: name });
      }
      const entry: Entry = { ...old, plugin: made.plugin, componentHash: made.hash, isolated: made.isolated, failedOut: false };
      this.#entries.set(name, entry);
      this.#rebind();
      this.#release(old);
      const info = infoOf(entry);
      this.#events.emit('reloaded', info);
      return info;
    } catch (e) {
      this.#events.emit('rejected', { name, error: asWitplugError(e, name), reload: true });
      throw e;
    }
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
    return [...this.#entries.values()].sort(byPriority).map((e) => infoOf(e));
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

  /** Runs operation `name`: `before` plugins, its definer (or `fallback`, the host's default), `after` plugins; returns what defined it. */
  operation(name: string, args: readonly unknown[], fallback: (...args: unknown[]) => unknown): unknown {
    const spec = this.#operation(name);
    if (spec === undefined) throw new WitplugError(ErrorCodes.USAGE, `no operation named "${name}"`);
    const policy = spec.onError ?? 'fail';
    const gate = this.#gate;
    if (spec.async === true) {
      return runOperationAsync((at) => this.#slot(opKey(name, at)).list, args, fallback, (b, e) => this.#fault(b, name, policy, e), gate);
    }
    gate.active++;
    try {
      for (const b of this.#slot(opKey(name, 'before')).list) this.#call(b, name, policy, args);
      const define = this.#slot(opKey(name, 'define')).list[0];
      let result = define === undefined ? SKIPPED : this.#call(define, name, policy, args);
      if (result === SKIPPED) result = fallback(...args);
      for (const b of this.#slot(opKey(name, 'after')).list) this.#call(b, name, policy, args);
      return result;
    } finally {
      if (--gate.active === 0 && gate.pending !== 0) gate.flush();
    }
  }

  /** Unloads every plugin (and stops what the services run for this host: directory watchers). */
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

  /**
   * A plugin's call failed: `fail` rethrows it (attributed to plugin and
   * hook), `skip` logs it and goes on. A plugin found DISABLED leaves every
   * hook (announced once); a call refused as DISABLED is passed by under
   * either policy.
   */
  #fault(b: Bound, hook: string, policy: FailurePolicy, e: unknown): void {
    const entry = b.entry;
    const err = asWitplugError(e, entry.name, hook);
    if (!entry.failedOut && entry.plugin.disabledReason !== null && this.#entries.get(entry.name) === entry) this.#failOut(entry, entry.plugin.disabledReason);
    if (err.code === ErrorCodes.DISABLED) return;
    b.stats.failures++;
    b.failed?.(err.code);
    if (policy === 'fail') throw err;
    this.#log('warn', `hook ${hook} failed and was skipped: [${err.code}] ${err.message}`, entry.name, 'host');
    this.#events.emit('error', err);
  }

  #failOut(entry: Entry, reason: string): void {
    entry.failedOut = true;
    this.#rebind();
    this.#log('warn', `disabled (${reason}); hooks pass it by until it is reloaded`, entry.name, 'host');
    this.#events.emit('disabled', { name: entry.name, reason });
  }

  /** Closes a plugin that left the lists, once no dispatch is under way. */
  #release(entry: Entry): void {
    this.#gate.whenIdle(() => closePlugin(entry.plugin, (e) => this.#closeFailed(entry.name, e)));
  }

  #closeFailed(name: string, e: unknown): void {
    const err = asWitplugError(e, name);
    this.#log('error', `could not close: ${err.message}`, name, 'host');
    this.#events.emit('error', err);
  }

  async #instantiate(source: string | Uint8Array, name: string, options: LoadOptions): Promise<{ plugin: PluginInstance; hash: string; isolated: boolean }> {
    const { contract, cache, missingImports, onProgress, services } = this.#options;
    const host = hostTables(services, name, this.#options.host);
    // The host's own choices for this plugin (a grant it passed, `limits`) override the host-wide limits.
    const limits = { ...this.#options.limits, ...options.grant?.limits, ...options.limits };
    const log: LogSink = (level, message, plugin) => this.#log(level, message, plugin, 'plugin');
    const { prepared, isolated } = await prepareWhere(source, {
      name, contract, limits, log, onProgress,
      ...(host === undefined ? {} : { host }),
      ...(cache === undefined ? {} : { cache }),
      ...(missingImports === undefined ? {} : { missingImports }),
      ...(options.grant === undefined ? {} : { grant: options.grant }),
      ...(options.config === undefined ? {} : { config: options.config }),
      ...(this.#optionalExports.size === 0 ? {} : { optionalExports: this.#optionalExports }),
    }, options.isolate ?? this.#options.isolate ?? false);
    let plugin: PluginInstance;
    try {
      plugin = await prepared.instantiate();
      services?.loaded(name, prepared.componentHash, prepared.loadInfo);
    } finally {
      // The instance holds its own reference to the linked artifact.
      void prepared.close();
    }
    try {
      this.#resolveAll(plugin, toArray(options.anchor));
      // The plugin sees the same config through init as through witplug:host/config; one importing async host functions needs async hooks.
      await runInit(plugin, { ...options.grant?.config, ...options.config }, checkAsyncHooks(plugin, this.#options, toArray(options.anchor)));
    } catch (e) {
      closePlugin(plugin, (c) => this.#closeFailed(name, c));
      throw e;
    }
    return { plugin, hash: prepared.componentHash, isolated };
  }

  /** Every hook's target must resolve on the plugin, an optional one's if exported (admission checked the types; this names what is missing). */
  #resolveAll(plugin: PluginInstance, anchors: readonly Anchor[]): void {
    for (const spec of Object.values(this.#options.hooks ?? {})) {
      if (spec.optional !== true || exportsTarget(plugin, spec.target)) plugin.fn(spec.target);
    }
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
      const pending = this.#pendingDefines.get(a.operation);
      if (pending !== undefined) throw new WitplugError(ErrorCodes.USAGE, `operation "${a.operation}" is being defined by plugin "${pending}" (still loading); "${name}" cannot define it too`, { plugin: name });
      for (const other of this.#entries.values()) {
        if (other.anchors.some((o) => o.operation === a.operation && o.at === 'define')) {
          throw new WitplugError(ErrorCodes.USAGE, `operation "${a.operation}" is already defined by plugin "${other.name}"; "${name}" cannot define it too`, { plugin: name });
        }
      }
    }
  }

  /** Rebuilds every hook's dispatch list: functions resolved once here, not per call. */
  #rebind(): void {
    const entries = [...this.#entries.values()].filter((e) => e.enabled && !e.failedOut).sort(byPriority);
    rebindLists(entries, this.#options, (key) => this.#slot(key));
  }

  #slot(key: string): { list: readonly Bound[] } {
    let slot = this.#slots.get(key);
    if (slot === undefined) this.#slots.set(key, (slot = { list: [] }));
    return slot;
  }

  #get(name: string): Entry {
    const e = this.#entries.get(name);
    if (e === undefined) throw new WitplugError(ErrorCodes.USAGE, `no plugin named "${name}"`);
    return e;
  }
}
