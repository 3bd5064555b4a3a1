/**
 * Import rules. Component subtyping lets a plugin import *less* than the
 * host offers (fewer interfaces, fewer functions of an interface), never more.
 */
import { compareWorldItem } from '../compare.js';
import { formatPath, type Difference } from '../difference.js';
import { isAllowed, type AdmissionContext, type ImportMatch } from '../match.js';
import { AdmissionCodes, NoteCodes } from '../report.js';
import { itemPath, type NoteRule, type Rule } from './rule.js';

export const extraImport: Rule = {
  id: AdmissionCodes.EXTRA_IMPORT,
  purpose: 'Every plugin import must be offered by the contract world (and granted, when a grant is given).',
  check(ctx) {
    return ctx.imports.flatMap((m) => {
      const path = itemPath('import', m.found);
      // Incompatible versions of an offered interface are VERSION_MISMATCH, not "extra".
      if (m.expected === null && m.incompatible.length === 0) {
        const found = m.found.kind === 'extern' ? `found a ${m.found.detail}` : 'found one';
        return [{ code: AdmissionCodes.EXTRA_IMPORT, path, message: `expected no import ${m.found.name} (the contract world does not offer it), ${found}` }];
      }
      // A grant names offered interfaces: an import linked to a compatible version of one is covered by it.
      if (m.expected !== null && !isAllowed(ctx.allowedImports, m.found.name) && !isAllowed(ctx.allowedImports, m.expected.name)) {
        return [{ code: AdmissionCodes.EXTRA_IMPORT, path, message: `import ${m.found.name} is offered by the contract but not granted to this plugin` }];
      }
      return [];
    });
  },
};

export const importMismatch: Rule = {
  id: AdmissionCodes.IMPORT_MISMATCH,
  purpose: 'An imported interface must agree with the host\'s: no function or type the host lacks, equal signatures and types.',
  check(ctx) {
    return ctx.imports.flatMap((m) => {
      if (m.expected === null) return [];
      return importDifferences(m)
        // Importing less than offered is fine; members the host lacks are stubbed under `missingImports: 'trap'`.
        .filter((d) => d.kind !== 'missing' && !(ctx.missingImports === 'trap' && isStubbable(d)))
        .map((d) => ({
          code: AdmissionCodes.IMPORT_MISMATCH,
          path: formatPath(d.path),
          message: d.kind === 'extra' ? `${d.message} (the host does not provide it)` : d.message,
        }));
    });
  },
};

export const missingImport: NoteRule = {
  id: NoteCodes.MISSING_IMPORT,
  purpose: "Under `missingImports: 'trap'`, each imported function or type the host lacks is admitted and named.",
  check(ctx: AdmissionContext) {
    if (ctx.missingImports !== 'trap') return [];
    return ctx.imports.flatMap((m) => (m.expected === null ? [] : importDifferences(m).filter(isStubbable)).map((d) => ({
      code: NoteCodes.MISSING_IMPORT,
      path: formatPath(d.path),
      message: `${d.message}: not provided by this host; linked to a stub that fails the call with UNSUPPORTED`,
    })));
  },
};

function importDifferences(m: ImportMatch): Difference[] {
  return compareWorldItem(m.expected!, m.found, [itemPath('import', m.found)]);
}

/** A whole function or type of an imported interface that the host's interface lacks (`extra` is only ever a member). */
function isStubbable(d: Difference): boolean {
  return d.kind === 'extra';
}

export const importRules: readonly Rule[] = [extraImport, importMismatch];
export const importNoteRules: readonly NoteRule[] = [missingImport];
