/**
 * The first pass over a core module the instrumenter rewrites: its function
 * types, how many functions and globals are imported and defined, import and
 * export names, and which memories and tables are 64-bit.
 */
import { Reader } from './bytes.js';
import { Ev, skipInstr, skipValType } from './instructions.js';
import { SectionId, type RawSection } from './sections.js';

export interface FuncType {
  params: number;
  isUnitToUnit: boolean;
}

export interface ModuleInfo {
  types: FuncType[];
  /** True if the type section holds anything but plain function types (GC). */
  gcTypes: boolean;
  importedFuncs: number;
  importedGlobals: number;
  definedGlobals: number;
  funcTypeIdx: number[];
  importNames: Array<[string, string]>;
  exportNames: Set<string>;
  /** Per memory index, imports first: 64-bit? */
  memory64: boolean[];
  /** Per table index, imports first: 64-bit? */
  table64: boolean[];
}

/** Skips a constant expression up to and including its `end` (no blocks in constant expressions). */
function skipConstExpr(r: Reader): void {
  while (skipInstr(r) !== Ev.END);
}

/** Skips limits, returning whether they describe a 64-bit memory/table. */
function skipLimits(r: Reader): boolean {
  const flags = r.u8();
  if (flags & ~0x07) r.fail(`unsupported limits flags 0x${flags.toString(16)}`);
  r.u64();
  if (flags & 1) r.u64();
  return (flags & 4) !== 0;
}

export function readInfo(bytes: Uint8Array, sections: RawSection[]): ModuleInfo {
  const info: ModuleInfo = {
    types: [],
    gcTypes: false,
    importedFuncs: 0,
    importedGlobals: 0,
    definedGlobals: 0,
    funcTypeIdx: [],
    importNames: [],
    exportNames: new Set(),
    memory64: [],
    table64: [],
  };
  for (const s of sections) {
    const r = new Reader(bytes, s.start, s.end);
    switch (s.id) {
      case SectionId.TYPE: {
        const n = r.u32();
        for (let i = 0; i < n && !info.gcTypes; i++) {
          if (r.u8() !== 0x60) {
            info.gcTypes = true;
            break;
          }
          const np = r.u32();
          for (let k = 0; k < np; k++) skipValType(r);
          const nr = r.u32();
          for (let k = 0; k < nr; k++) skipValType(r);
          info.types.push({ params: np, isUnitToUnit: np === 0 && nr === 0 });
        }
        break;
      }
      case SectionId.IMPORT: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const mod = r.name();
          const field = r.name();
          info.importNames.push([mod, field]);
          const kind = r.u8();
          if (kind === 0x00) {
            r.u32();
            info.importedFuncs++;
          } else if (kind === 0x01) {
            skipValType(r);
            info.table64.push(skipLimits(r));
          } else if (kind === 0x02) {
            info.memory64.push(skipLimits(r));
          } else if (kind === 0x03) {
            skipValType(r);
            r.u8();
            info.importedGlobals++;
          } else if (kind === 0x04) {
            r.u8();
            r.u32();
          } else r.fail(`unknown import kind ${kind}`);
        }
        break;
      }
      case SectionId.FUNCTION: {
        const n = r.u32();
        for (let i = 0; i < n; i++) info.funcTypeIdx.push(r.u32());
        break;
      }
      case SectionId.MEMORY: {
        const n = r.u32();
        for (let i = 0; i < n; i++) info.memory64.push(skipLimits(r));
        break;
      }
      case SectionId.TABLE: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const init = r.buf[r.pos] === 0x40; // table with an initializer expression
          if (init) r.skip(2);
          skipValType(r);
          info.table64.push(skipLimits(r));
          if (init) skipConstExpr(r);
        }
        break;
      }
      case SectionId.GLOBAL:
        info.definedGlobals = r.u32();
        break;
      case SectionId.EXPORT: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          info.exportNames.add(r.name());
          r.u8();
          r.u32();
        }
        break;
      }
      default:
        break;
    }
  }
  return info;
}
