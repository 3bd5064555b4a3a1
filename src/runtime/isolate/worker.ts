/**
 * Worker-thread side of isolation mode: loads the plugin, then serves calls
 * from the channel until terminated. Host functions the app implements are
 * called back on the host thread through the same channel; logs are posted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Channel, State, type CallOutcome } from './channel.js';
import { loadPlugin } from '../plugin.js';
import type { HostFunction, HostImplementations } from '../host-imports.js';
import { WitplugError } from '../../errors.js';
import type { IsolatedInit } from './isolated-plugin.js';

const init = workerData as IsolatedInit;
const channel = new Channel(init.sab);

function remoteHost(): HostImplementations {
  const host: Record<string, Record<string, HostFunction>> = {};
  for (const [iface, funcs] of Object.entries(init.hostFunctions)) {
    host[iface] = {};
    for (const fn of funcs) {
      host[iface]![fn] = ((...args: unknown[]) => {
        channel.write(State.HOST_CALL, { iface, fn, args });
        channel.waitWhile(State.HOST_CALL);
        const outcome = channel.read() as CallOutcome;
        if (!outcome.ok) throw new WitplugError(outcome.code as WitplugError['code'], outcome.message);
        return outcome.value;
      }) as HostFunction;
    }
  }
  return host;
}

const plugin = await loadPlugin(init.bytes, {
  ...init.options,
  host: remoteHost(),
  log: (level, message, name) => parentPort?.postMessage({ type: 'log', level, message, plugin: name }),
});
parentPort?.postMessage({ type: 'ready', shape: null });

for (;;) {
  channel.waitWhile(State.IDLE);
  channel.waitWhile(State.DONE);
  if (channel.state !== State.CALL) continue;
  const { target, args } = channel.read() as { target: string; args: unknown[] };
  let outcome: CallOutcome;
  try {
    outcome = { ok: true, value: plugin.call(target, args) };
  } catch (e) {
    const err = e instanceof WitplugError ? e : new WitplugError('TRAP', String(e));
    outcome = { ok: false, code: err.code, message: err.message };
  }
  try {
    channel.write(State.DONE, outcome);
  } catch (e) {
    const err = e as WitplugError;
    channel.write(State.DONE, { ok: false, code: err.code ?? 'INTERNAL', message: err.message });
  }
}
