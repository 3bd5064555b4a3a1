/**
 * What later stages need to know of a compiled artifact's core modules, as
 * plain data: the file jco wrote each core module of the component to, and
 * which of them are known to run no start code at instantiation (a direct
 * instantiation may only skip modules that run none).
 */
import { coreModuleFile } from './transpile.js';
import { splitModule, SectionId } from './wasm/sections.js';

export interface ModuleFacts {
  /** The compiled file of each core module index of the component (jco names modules by definition index). */
  readonly files: readonly string[];
  /** Files whose module has no start section (scanned only when asked for). */
  readonly withoutStart: ReadonlySet<string>;
}

/**
 * `count`: how many core module indexes the component defines. `scan`:
 * whether to look for start sections, in every module but the one of index
 * `lifted` (the module whose instance the exports are lifted from runs
 * whatever it runs).
 */
export function moduleFacts(coreModules: ReadonlyMap<string, Uint8Array>, count: number, scan: boolean, lifted: number | null): ModuleFacts {
  const files = Array.from({ length: Math.max(count, coreModules.size) }, (_, i) => coreModuleFile(i));
  const skip = lifted === null ? null : coreModuleFile(lifted);
  const withoutStart = new Set<string>();
  if (scan) {
    for (const [file, bytes] of coreModules) {
      if (file !== skip && !splitModule(bytes).some((s) => s.id === SectionId.START)) withoutStart.add(file);
    }
  }
  return { files, withoutStart };
}
