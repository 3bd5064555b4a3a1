import { exportNoteRules, exportRules } from './exports.js';
import { importNoteRules, importRules } from './imports.js';
import type { NoteRule, Rule } from './rule.js';
import { versionNoteRules, versionRules } from './versions.js';

export type { Finding, NoteRule, Rule } from './rule.js';

/** Every structural rule, in report order. (MALFORMED / NOT_A_COMPONENT come from decoding, in gate.ts.) */
export const RULES: readonly Rule[] = [...versionRules, ...importRules, ...exportRules];
export const NOTE_RULES: readonly NoteRule[] = [...versionNoteRules, ...importNoteRules, ...exportNoteRules];
