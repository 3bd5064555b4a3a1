/**
 * The admission report and the rule codes it can contain. Codes are stable:
 * tests, the CLI's JSON output and the runtime rely on them.
 */

export const AdmissionCodes = {
  /** The plugin imports an interface (or function) the contract does not offer, or one it was not granted. */
  EXTRA_IMPORT: 'EXTRA_IMPORT',
  /** An imported, offered interface differs from the host's: extra function, different signature or type. */
  IMPORT_MISMATCH: 'IMPORT_MISMATCH',
  /** A hook interface the contract requires is not exported. */
  MISSING_EXPORT: 'MISSING_EXPORT',
  /** An exported hook interface lacks a function or differs in a type. */
  EXPORT_MISMATCH: 'EXPORT_MISMATCH',
  /** Same package interface, but semver-incompatible versions. */
  VERSION_MISMATCH: 'VERSION_MISMATCH',
  /** A core module (or other non-component wasm) was given. */
  NOT_A_COMPONENT: 'NOT_A_COMPONENT',
  /** Empty, truncated or corrupted bytes. */
  MALFORMED: 'MALFORMED',
} as const;
export type AdmissionCode = (typeof AdmissionCodes)[keyof typeof AdmissionCodes];

/** Codes of notes: things worth knowing that do not reject a plugin. */
export const NoteCodes = {
  /** The plugin exports an item the contract does not require. */
  EXTRA_EXPORT: 'EXTRA_EXPORT',
  /** A required hook interface exports more functions or types than required. */
  EXTRA_EXPORT_MEMBER: 'EXTRA_EXPORT_MEMBER',
  /** An import matched an offered interface of a different (compatible) version. */
  VERSION_DIFFERS: 'VERSION_DIFFERS',
} as const;
export type NoteCode = (typeof NoteCodes)[keyof typeof NoteCodes];

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
