/** The promise-returning form of a plugin function that runs to completion on the calling thread. */
import type { PluginFunction } from './surface.js';

/** `f` returning a promise of its value, rejected with what it throws. */
export function asyncFunction(f: PluginFunction): (...args: unknown[]) => Promise<unknown> {
  return (...args: unknown[]) => settled(() => f(...args));
}

/** A promise of what `run()` returns, rejected with what it throws. */
export function settled(run: () => unknown): Promise<unknown> {
  try {
    return Promise.resolve(run());
  } catch (e) {
    return Promise.reject(e);
  }
}
