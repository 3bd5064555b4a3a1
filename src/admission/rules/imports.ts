/**
 * Import rules. Component subtyping lets a plugin import *less* than the
 * host offers (fewer interfaces, fewer functions of an interface), never more.
 */
import { compareWorldItem, formatPath } from '../compare.js';
import { isAllowed } from '../match.js';
import { AdmissionCodes } from '../report.js';
import { itemPath, type Rule } from './rule.js';

export const extraImport: Rule = {
  id: AdmissionCodes.EXTRA_IMPORT,
  purpose: 'Every plugin import must be offered by the contract world (and granted, when a grant is given).',
  check(ctx) {
    return ctx.imports.flatMap((m) => {
      const path = itemPath('import', m.found);
      // Incompatible versions of an offered interface are VERSION_MISMATCH, not "extra".
      if (m.expected === null && m.incompatible.length === 0) {
        return [{ code: AdmissionCodes.EXTRA_IMPORT, path, message: `expected no import ${m.found.name} (the contract world does not offer it), found one` }];
      }
      if (m.expected !== null && !isAllowed(ctx.allowedImports, m.found.name)) {
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
      return compareWorldItem(m.expected, m.found, [itemPath('import', m.found)])
        // Importing less than offered is fine.
        .filter((d) => d.kind !== 'missing')
        .map((d) => ({
          code: AdmissionCodes.IMPORT_MISMATCH,
          path: formatPath(d.path),
          message: d.kind === 'extra' ? `${d.message} (the host does not provide it)` : d.message,
        }));
    });
  },
};

export const importRules: readonly Rule[] = [extraImport, importMismatch];
