export { admit, admitShape, decodeForAdmission, type AdmitOptions, type Contract } from './gate.js';
export { AdmissionCodes, NoteCodes, type AdmissionCode, type AdmissionReport, type Note, type NoteCode, type Problem } from './report.js';
export {
  compareFunc, compareValType, compareInterface, compareNamedType, compareWorldItem, formatPath, type Difference, type DifferenceKind,
} from './compare.js';
export { ShapeCache, sha256Hex } from '../component/shape-cache.js';
export { RULES, NOTE_RULES, type Rule, type NoteRule } from './rules/index.js';
export { versionsCompatible, unversioned } from '../component/versions.js';
