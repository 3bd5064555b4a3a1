import type { AdmissionContext } from '../match.js';
import type { AdmissionCode, NoteCode } from '../report.js';
import type { WorldItem } from '../../component/types.js';

export interface Finding<C extends string> {
  readonly code: C;
  readonly path: string;
  readonly message: string;
}

/** A rule is data: an id that says what must hold, why, and a check over matched pairs. */
export interface Rule {
  readonly id: AdmissionCode;
  readonly purpose: string;
  check(ctx: AdmissionContext): Finding<AdmissionCode>[];
}

/** Like a rule, but its findings are notes that never reject. */
export interface NoteRule {
  readonly id: NoteCode;
  readonly purpose: string;
  check(ctx: AdmissionContext): Finding<NoteCode>[];
}

export function itemPath(direction: 'import' | 'export', item: WorldItem): string {
  return `${direction} ${item.name}`;
}
