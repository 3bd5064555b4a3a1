/**
 * Structured logs through any pino-compatible logger. Plugin `log` calls and
 * witplug's own events (load failures, skipped hook failures) go to two
 * children, `{source: 'plugin', plugin, version, hook}` and
 * `{source: 'witplug'}`, so a reader can tell a plugin's words from the host's.
 */
import type { HostFunction, LogLevel } from '../capabilities/host-imports.js';
import { assertNever } from '../../util/assert-never.js';

export type LogFn = (objOrMsg: Readonly<Record<string, unknown>> | string, msg?: string) => void;

/** The subset of pino's API witplug uses: pino itself, or anything shaped like it. */
export interface Logger {
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  readonly debug: LogFn;
  child(bindings: Readonly<Record<string, unknown>>): Logger;
}

/** What `PluginHost`'s `logger` option takes: `plugin` lines a plugin wrote, `host` witplug's own events. */
export type EventLogger = (level: LogLevel, message: string, plugin: string, kind: 'plugin' | 'host') => void;

/**
 * A pino-shaped logger handing each record to `onRecord` as an object (pino's shape: level
 * number, time, bindings, fields, msg): for a host that routes records itself, with no JSON
 * round trip per record.
 */
export function recordLogger(onRecord: (record: Record<string, unknown>) => void, bindings: Readonly<Record<string, unknown>> = {}): Logger {
  const levels = { debug: 20, info: 30, warn: 40, error: 50 } as const;
  const at = (level: keyof typeof levels): LogFn => (objOrMsg, msg) => {
    const fields = typeof objOrMsg === 'string' ? { msg: objOrMsg } : { ...objOrMsg, ...(msg === undefined ? {} : { msg }) };
    onRecord({ level: levels[level], time: Date.now(), ...bindings, ...fields });
  };
  return {
    debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
    child: (more) => recordLogger(onRecord, { ...bindings, ...more }),
  };
}

/** A logger writing one JSON object per line (pino's shape: level number, time, msg, bindings). */
export function jsonLineLogger(write: (line: string) => void, bindings: Readonly<Record<string, unknown>> = {}): Logger {
  return recordLogger((record) => write(`${JSON.stringify(record)}\n`), bindings);
}

/** pino has no `trace` in the required subset: plugin trace lines go out at debug. */
export function logAt(logger: Logger, level: LogLevel): LogFn {
  switch (level) {
    case 'trace':
    case 'debug': return logger.debug;
    case 'info': return logger.info;
    case 'warn': return logger.warn;
    case 'error': return logger.error;
    default: return assertNever(level, 'log level');
  }
}

/** witplug's own events as `{source: 'witplug', plugin}` records, plugins' lines as `{source: 'plugin', plugin}`. */
export function eventLogger(logger: Logger): EventLogger {
  const events = logger.child({ source: 'witplug' });
  const lines = logger.child({ source: 'plugin' });
  return (level, message, plugin, kind) => {
    const to = kind === 'plugin' ? lines : events;
    logAt(to, level).call(to, { plugin }, message);
  };
}

/** What a plugin's log lines are tagged with; `version` and `hook` are filled once known. */
export interface PluginLogTags {
  readonly plugin: string;
  version: string | null;
  /** The hook (export) the plugin is running, or null outside a call (instantiation, `init`). */
  hook: string | null;
}

/** `witplug:host/log` for one plugin: every record tagged with the plugin's name, version and current hook. */
export function logHostTable(logger: Logger, tags: PluginLogTags): Record<string, HostFunction> {
  const plugin = logger.child({ source: 'plugin', plugin: tags.plugin });
  return {
    log: ((level: LogLevel, message: string) => {
      logAt(plugin, level).call(plugin, { version: tags.version, hook: tags.hook }, message);
    }) as HostFunction,
  };
}
