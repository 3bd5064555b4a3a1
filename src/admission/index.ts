export { admit, admitShape, decodeForAdmission, type AdmitOptions, type Contract } from './gate.js';
export { AdmissionCodes, NoteCodes, type AdmissionCode, type AdmissionReport, type Note, type NoteCode, type Problem } from './report.js';
export { compareInterface, compareNamedType, compareWorldItem } from './compare.js';
export { compareFunc, compareValType } from './compare-types.js';
export { formatPath, type Difference, type DifferenceKind } from './difference.js';
export { ShapeCache, sha256Hex } from '../component/shape-cache.js';
export { RULES, NOTE_RULES, type Rule, type NoteRule } from './rules/index.js';
export { versionsCompatible, unversioned } from '../component/versions.js';
