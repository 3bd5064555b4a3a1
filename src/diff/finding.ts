/**
 * The pieces every part of `witplug diff` shares: a pending finding (a finding plus the
 * package it belongs to), how a gate difference maps to the side it breaks, and the
 * names of world items and packages findings are filed under.
 */
import type { Difference } from '../admission/difference.js';
import { unversioned } from '../component/versions.js';
import type { ComponentShape, NamedType, WorldItem } from '../component/types.js';
import type { ResolvedWorld, SrcPos } from '../contract/wit/index.js';
import type { Breaks, DiffFinding, DiffRuleId, Severity } from './rules.js';

export type Dir = 'import' | 'export';

export interface Side {
  readonly world: ResolvedWorld;
  readonly live: ComponentShape;
}

/** Findings plus the package each belongs to (for VERSION_BUMP_REQUIRED). */
export interface Pending extends DiffFinding {
  readonly pkg: string;
  /** The interface's named type (the very object) this change is in, for reporting a type change once. */
  readonly via?: NamedType;
}

const UNKNOWN: SrcPos = { file: '(unknown)', line: 1, column: 1 };

/** Which side a gate difference breaks, mirroring the import/export rules' filters. */
export function sideOf(dir: Dir, kind: Difference['kind']): Breaks {
  if (kind === 'changed') return 'both';
  // `missing` = only in the old contract, `extra` = only in the new one.
  if (dir === 'import') return kind === 'missing' ? 'plugins' : 'hosts';
  return kind === 'missing' ? 'hosts' : 'plugins';
}

export function finding(rule: DiffRuleId, severity: Severity, breaks: Breaks, path: string, message: string, pos: SrcPos | null, pkg: string): Pending {
  const p = pos ?? UNKNOWN;
  return { rule, severity, breaks: severity === 'breaking' ? breaks : 'none', path, message, file: p.file, line: p.line, column: p.column, pkg };
}

/** "expected X, found Y" (gate wording, expected = old) → "was X, now Y". */
export function reword(message: string): string {
  return message.replace(/^expected /, 'was ').replace(/, found /, ', now ');
}

export function byBase(items: readonly WorldItem[]): Map<string, WorldItem> {
  return new Map(items.map((i) => [unversioned(i.name), i]));
}

export function pkgOfItem(item: WorldItem, w: ResolvedWorld): string {
  if (item.kind === 'interface') return w.sources.interfaces.get(item.iface)?.pkg ?? rootPkg(w);
  return rootPkg(w);
}
export function rootPkg(w: ResolvedWorld): string {
  return w.pkg.version ? `${w.pkg.base}@${w.pkg.version}` : w.pkg.base;
}
