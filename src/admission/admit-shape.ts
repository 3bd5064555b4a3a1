/**
 * Admission of an already decoded shape: runs every rule over the matched
 * pairs. No decoder dependency, so callers holding a shape (the runtime, a
 * future `witplug diff`) use this directly.
 */
import type { ComponentShape } from '../component/types.js';
import { buildContext } from './match.js';
import type { AdmissionReport, Note, Problem } from './report.js';
import { NOTE_RULES, RULES } from './rules/index.js';

export interface Contract {
  readonly shape: ComponentShape;
}

export interface AdmitShapeOptions {
  /**
   * Interfaces the plugin is granted (`pkg:ns/iface`, `pkg:ns/iface@1.0.0` or
   * `pkg:ns/*`). Offered but not granted imports are rejected. Default: all offered.
   */
  readonly allowedImports?: ReadonlySet<string>;
  /**
   * A function or type the plugin imports from an offered interface but the
   * host lacks (a plugin built against a newer minor of a host interface):
   * `reject` (default) refuses it as IMPORT_MISMATCH; `trap` admits it with a
   * MISSING_IMPORT note, and the runtime links it to a stub that fails the
   * call with UNSUPPORTED naming the function.
   */
  readonly missingImports?: 'reject' | 'trap';
  /**
   * Contract exports (world export names: an interface or a world-level
   * function) a plugin may leave out: their absence is an
   * OPTIONAL_EXPORT_MISSING note, not MISSING_EXPORT. An export that is
   * present must still match.
   */
  readonly optionalExports?: ReadonlySet<string>;
}

/** Admits a decoded shape against a contract. */
export function admitShape(shape: ComponentShape, contract: Contract, options: AdmitShapeOptions = {}): AdmissionReport {
  const ctx = buildContext(shape, contract.shape, options.allowedImports ?? null, options.missingImports ?? 'reject', options.optionalExports ?? null);
  const problems: Problem[] = RULES.flatMap((r) => r.check(ctx));
  const notes: Note[] = NOTE_RULES.flatMap((r) => r.check(ctx));
  return { accepted: problems.length === 0, problems, notes };
}
