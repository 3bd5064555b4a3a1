/**
 * PluginHost's lifecycle events on a Node `EventEmitter` the host holds (not
 * extends: its public surface stays the three methods below, typed per event).
 *
 * Node's rule that an `'error'` event with no listener throws is not kept:
 * a failure dispatch already skipped (a `parallel` observer, `onError:
 * 'skip'`) must not crash the process because no one subscribed. Unheard
 * errors go to the logger only. A listener that throws is logged, never
 * thrown into the dispatch or load that emitted the event.
 */
import { EventEmitter } from 'node:events';
import type { PluginHostEvent, PluginHostEvents } from './types.js';

export type PluginHostListener<E extends PluginHostEvent> = (...args: PluginHostEvents[E]) => void;

export class HostEvents {
  readonly #emitter = new EventEmitter();
  readonly #onListenerError: (event: string, e: unknown) => void;

  constructor(onListenerError: (event: string, e: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  on<E extends PluginHostEvent>(event: E, listener: PluginHostListener<E>): void {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
  }

  once<E extends PluginHostEvent>(event: E, listener: PluginHostListener<E>): void {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
  }

  off<E extends PluginHostEvent>(event: E, listener: PluginHostListener<E>): void {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
  }

  emit<E extends PluginHostEvent>(event: E, ...args: PluginHostEvents[E]): void {
    if (this.#emitter.listenerCount(event) === 0) return;
    try {
      this.#emitter.emit(event, ...args);
    } catch (e) {
      this.#onListenerError(event, e);
    }
  }
}
