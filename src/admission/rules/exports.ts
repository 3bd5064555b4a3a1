/**
 * Export rules. Component subtyping lets a plugin export *more* than the
 * contract requires (extra interfaces, extra functions): those become notes.
 */
import { compareWorldItem } from '../compare.js';
import { formatPath, type Difference } from '../difference.js';
import type { AdmissionContext, ExportMatch } from '../match.js';
import type { WorldItem } from '../../component/types.js';
import { AdmissionCodes, NoteCodes } from '../report.js';
import { itemPath, type NoteRule, type Rule } from './rule.js';

export const missingExport: Rule = {
  id: AdmissionCodes.MISSING_EXPORT,
  purpose: 'Every hook interface the contract world exports must be exported by the plugin.',
  check(ctx) {
    return missingExports(ctx)
      .filter((m) => !isOptional(ctx, m))
      .map((m) => ({
        code: AdmissionCodes.MISSING_EXPORT,
        path: itemPath('export', m.expected),
        message: `expected export ${m.expected.name}, found none`,
      }));
  },
};

function missingExports(ctx: AdmissionContext): ExportMatch[] {
  return ctx.exports.filter((m) => m.found === null && m.incompatible.length === 0);
}

const isOptional = (ctx: AdmissionContext, m: ExportMatch): boolean => ctx.optionalExports?.has(m.expected.name) ?? false;

export const optionalExportMissing: NoteRule = {
  id: NoteCodes.OPTIONAL_EXPORT_MISSING,
  purpose: 'An export the host marked optional may be left out; the host passes the plugin by for it.',
  check(ctx) {
    return missingExports(ctx)
      .filter((m) => isOptional(ctx, m))
      .map((m) => ({
        code: NoteCodes.OPTIONAL_EXPORT_MISSING,
        path: itemPath('export', m.expected),
        message: `optional export ${m.expected.name} is not exported; its hooks pass this plugin by`,
      }));
  },
};

/** Both export rules read the same comparison: compute it once per match. */
const differencesOf = new WeakMap<ExportMatch, Difference[]>();
function exportDifferences(m: ExportMatch, found: WorldItem): Difference[] {
  let d = differencesOf.get(m);
  if (!d) {
    d = compareWorldItem(m.expected, found, [itemPath('export', found)]);
    differencesOf.set(m, d);
  }
  return d;
}

export const exportMismatch: Rule = {
  id: AdmissionCodes.EXPORT_MISMATCH,
  purpose: 'An exported hook interface must have every required function and type, with equal signatures and types.',
  check(ctx) {
    return ctx.exports.flatMap((m) => {
      if (m.found === null) return [];
      return exportDifferences(m, m.found)
        .filter((d) => d.kind !== 'extra')
        .map((d) => ({ code: AdmissionCodes.EXPORT_MISMATCH, path: formatPath(d.path), message: d.message }));
    });
  },
};

export const extraExport: NoteRule = {
  id: NoteCodes.EXTRA_EXPORT,
  purpose: 'Exports the contract does not require are allowed; the host never calls them.',
  check(ctx) {
    return ctx.extraExports.map((e) => ({
      code: NoteCodes.EXTRA_EXPORT,
      path: itemPath('export', e),
      message: `export ${e.name} is not required by the contract and will not be called`,
    }));
  },
};

export const extraExportMember: NoteRule = {
  id: NoteCodes.EXTRA_EXPORT_MEMBER,
  purpose: 'A hook interface may export more functions or types than required.',
  check(ctx) {
    return ctx.exports.flatMap((m) => {
      if (m.found === null) return [];
      return exportDifferences(m, m.found)
        .filter((d) => d.kind === 'extra')
        .map((d) => ({ code: NoteCodes.EXTRA_EXPORT_MEMBER, path: formatPath(d.path), message: `${d.message} (not required; allowed)` }));
    });
  },
};

export const exportRules: readonly Rule[] = [missingExport, exportMismatch];
export const exportNoteRules: readonly NoteRule[] = [extraExport, extraExportMember, optionalExportMissing];
