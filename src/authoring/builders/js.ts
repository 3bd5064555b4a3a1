/**
 * JavaScript → component with componentize-js (SpiderMonkey embedded: ~17 s,
 * ~12 MB). componentize-js is an optional peer dependency: host apps never
 * need it, plugin authors building JavaScript install it (docs/decisions.md).
 */
import { resolve } from 'node:path';
import { grantBuildFilesystem } from './embed.js';
import { buildFailed, toolchainMissing } from './toolchain.js';

const COMPONENTIZE_JS = '@bytecodealliance/componentize-js';
export const INSTALL_COMPONENTIZE_JS = `install ${COMPONENTIZE_JS} next to witplug (npm install --save-dev ${COMPONENTIZE_JS}@^0.23.0)`;

/** componentize-js's engine features; each one makes the component import some WASI interfaces. */
export type EngineFeature = 'stdio' | 'random' | 'clocks' | 'http' | 'fetch-event';
export const ENGINE_FEATURES: readonly EngineFeature[] = ['stdio', 'random', 'clocks', 'http', 'fetch-event'];

export function componentizeJsAvailable(): boolean {
  try {
    import.meta.resolve(COMPONENTIZE_JS);
    return true;
  } catch {
    return false;
  }
}

export interface JsBuildOptions {
  readonly source: string;
  readonly witDir: string;
  readonly world: string;
  /** Engine features turned off (by default all of them: the plugin then imports no WASI). */
  readonly disableFeatures?: readonly EngineFeature[];
}

export async function buildJsComponent({ source, witDir, world, disableFeatures = ENGINE_FEATURES }: JsBuildOptions): Promise<Uint8Array> {
  if (!componentizeJsAvailable()) throw toolchainMissing(`${COMPONENTIZE_JS} (the JavaScript plugin builder)`, INSTALL_COMPONENTIZE_JS);
  // componentize-js reads the WIT through preview2-shim's filesystem: grant it before loading.
  await grantBuildFilesystem();
  const { componentize } = await import('@bytecodealliance/componentize-js');
  try {
    const { component } = await componentize({
      sourcePath: resolve(source),
      witPath: resolve(witDir),
      worldName: world,
      disableFeatures: [...disableFeatures],
    });
    return component;
  } catch (err) {
    throw buildFailed(`componentize-js ${source}`, err instanceof Error ? err.message : String(err), err);
  }
}
