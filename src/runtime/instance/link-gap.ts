/** Telling a linking gap (the host's fault) from a failure of plugin code while an instance is made. */
import { WitplugError, ErrorCodes } from '../../errors.js';

/**
 * A failure while linking is the host's, not the plugin's: a WebAssembly
 * LinkError, or anything jco's glue throws before the first core instance
 * exists (it looks every import up first: "unexpectedly undefined instance
 * import", reading a missing interface). Plugin code has not run yet.
 */
export function linkGap(e: unknown, coreInstancesCreated: number, plugin: string): WitplugError | null {
  if (e instanceof WitplugError) return null;
  if (!(e instanceof WebAssembly.LinkError) && coreInstancesCreated > 0) return null;
  const message = e instanceof Error ? e.message : String(e);
  return new WitplugError(ErrorCodes.LINK, `plugin ${plugin} cannot be linked with what the host offers: ${message}`, { plugin, hook: '(instantiate)', cause: e });
}

export function isLinkError(e: unknown): boolean {
  return e instanceof WitplugError && e.code === ErrorCodes.LINK;
}
