/**
 * A watched plugin directory: a change to `<name>.wasm` (or its manifest
 * `<name>.json`) reloads plugin `name` after a quiet period, or loads it when
 * it is new. The host admits and instantiates the new version before it
 * swaps it in, so a rejected version leaves the old one serving; its error
 * (with the admission report) is kept in `rejected` and logged.
 *
 * Bounded: one timer and at most one reload in flight per plugin name
 * (changes during a reload coalesce into one more), at most `maxPlugins`
 * names, and nothing left running once closed.
 */
import { watch, existsSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { EventLogger } from './logger.js';
import type { Rejection } from './services.js';

/** What the watcher needs of a host (`PluginHost` has it). */
export interface WatchableHost {
  load(source: string, options: { name: string }): Promise<unknown>;
  reload(name: string, source: string): Promise<unknown>;
  plugins(): readonly { readonly name: string }[];
}

export interface WatchEvent {
  readonly name: string;
  readonly action: 'load' | 'reload';
  /** null when the new version serves. */
  readonly error: WitplugError | null;
}

export interface WatchOptions {
  /** Quiet period after the last change before reloading (default 100 ms). */
  readonly debounceMs?: number;
  /** Most plugin names tracked (default 1 000); changes to further names are logged and ignored. */
  readonly maxPlugins?: number;
  /** Loads a plugin new to the host (default `host.load(path, { name })`, with the host's defaults). */
  readonly load?: (name: string, path: string) => Promise<unknown>;
  readonly log?: EventLogger;
  /** Called after each load or reload attempt. */
  readonly onChange?: (event: WatchEvent) => void;
}

export interface DirWatcher {
  readonly dir: string;
  /** The latest refused version per plugin name; cleared when a later version serves. */
  readonly rejected: ReadonlyMap<string, Rejection>;
  readonly closed: boolean;
  close(): void;
}

const PLUGIN_FILE = /^([A-Za-z0-9._-]+)\.(wasm|json)$/;

interface NameState {
  timer: ReturnType<typeof setTimeout> | null;
  running: boolean;
  again: boolean;
}

export function watchPluginDir(host: WatchableHost, dir: string, options: WatchOptions = {}): DirWatcher {
  const debounceMs = options.debounceMs ?? 100;
  const maxPlugins = options.maxPlugins ?? 1000;
  const log: EventLogger = options.log ?? ((level, message, plugin) => process.stderr.write(`witplug: [${plugin}] ${level}: ${message}\n`));
  const load = options.load ?? ((name: string, path: string) => host.load(path, { name }));
  const states = new Map<string, NameState>();
  const rejected = new Map<string, Rejection>();
  let closed = false;

  const attempt = async (name: string): Promise<void> => {
    const path = join(dir, `${name}.wasm`);
    if (!existsSync(path)) {
      log('info', 'its file left the watched directory; the loaded version (if any) keeps serving', name, 'host');
      return;
    }
    const action = host.plugins().some((p) => p.name === name) ? 'reload' : 'load';
    try {
      if (action === 'reload') await host.reload(name, path);
      else await load(name, path);
      rejected.delete(name);
      log('info', `${action}ed from ${path}`, name, 'host');
      options.onChange?.({ name, action, error: null });
    } catch (e) {
      const error = e instanceof WitplugError ? e : new WitplugError(ErrorCodes.INTERNAL, String(e), { plugin: name, cause: e });
      rejected.set(name, { error, at: new Date().toISOString() });
      const keeps = action === 'reload' ? 'the previous version keeps serving' : 'not loaded';
      log('error', `${action} refused, ${keeps}: [${error.code}] ${error.message}`, name, 'host');
      options.onChange?.({ name, action, error });
    }
  };

  const fire = async (name: string, s: NameState): Promise<void> => {
    s.timer = null;
    if (s.running) {
      s.again = true;
      return;
    }
    s.running = true;
    try {
      do {
        s.again = false;
        await attempt(name);
      } while (s.again && !closed);
    } finally {
      s.running = false;
    }
  };

  const changed = (file: string): void => {
    const m = PLUGIN_FILE.exec(file);
    if (m === null || closed) return;
    const name = m[1]!;
    let s = states.get(name);
    if (s === undefined) {
      if (states.size >= maxPlugins) {
        log('warn', `ignored: the watcher tracks at most ${maxPlugins} plugins`, name, 'host');
        return;
      }
      states.set(name, (s = { timer: null, running: false, again: false }));
    }
    if (s.timer !== null) clearTimeout(s.timer);
    const state = s;
    s.timer = setTimeout(() => void fire(name, state), debounceMs);
  };

  let fsWatcher: FSWatcher;
  try {
    fsWatcher = watch(dir, { persistent: false }, (_event, file) => {
      if (typeof file === 'string') changed(file);
    });
  } catch (e) {
    throw new WitplugError(ErrorCodes.NOT_FOUND, `cannot watch ${dir}: ${(e as Error).message}`, { cause: e });
  }

  const close = (): void => {
    if (closed) return;
    closed = true;
    fsWatcher.close();
    for (const s of states.values()) if (s.timer !== null) clearTimeout(s.timer);
  };
  fsWatcher.on('error', (e) => {
    log('error', `watching ${dir} failed, watcher closed: ${e.message}`, 'witplug', 'host');
    close();
  });

  return {
    dir,
    rejected,
    get closed() {
      return closed;
    },
    close,
  };
}
