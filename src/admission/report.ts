/**
 * The admission report. Its codes (stable: tests, the CLI's JSON output and
 * the runtime rely on them) live in src/errors.ts with every other code.
 */

import { AdmissionCodes, NoteCodes, type AdmissionCode, type NoteCode } from '../errors.js';

export { AdmissionCodes, NoteCodes, type AdmissionCode, type NoteCode };

export interface Problem {
  readonly code: AdmissionCode;
  /** Where, outermost first, segments joined by ` > `; '' for the whole binary. */
  readonly path: string;
  /** "expected X, found Y" in WIT syntax. */
  readonly message: string;
}

export interface Note {
  readonly code?: NoteCode;
  readonly path: string;
  readonly message: string;
}

export interface AdmissionReport {
  readonly accepted: boolean;
  readonly problems: readonly Problem[];
  readonly notes: readonly Note[];
}
