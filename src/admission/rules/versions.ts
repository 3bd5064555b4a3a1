/**
 * Version rules: interfaces of a versioned package link across
 * semver-compatible versions (then the structural check decides); any other
 * version pair is a mismatch that names both versions.
 */
import { AdmissionCodes, NoteCodes } from '../report.js';
import { showVersion, versionOf } from '../../component/versions.js';
import { itemPath, type NoteRule, type Rule } from './rule.js';

function versions(items: readonly { name: string }[]): string {
  return items.map((i) => showVersion(versionOf(i.name))).join(', ');
}

export const versionMismatch: Rule = {
  id: AdmissionCodes.VERSION_MISMATCH,
  purpose: 'A versioned interface must be offered (imports) or provided (exports) in a semver-compatible version.',
  check(ctx) {
    const out = [];
    for (const m of ctx.imports) {
      if (m.expected !== null || m.incompatible.length === 0) continue;
      out.push({
        code: AdmissionCodes.VERSION_MISMATCH,
        path: itemPath('import', m.found),
        message: `expected ${m.found.name.split('@')[0]} at version ${versions(m.incompatible)} (offered by the host), found version ${showVersion(versionOf(m.found.name))} (imported by the plugin): not semver-compatible`,
      });
    }
    for (const m of ctx.exports) {
      if (m.found !== null || m.incompatible.length === 0) continue;
      out.push({
        code: AdmissionCodes.VERSION_MISMATCH,
        path: itemPath('export', m.expected),
        message: `expected ${m.expected.name.split('@')[0]} at version ${showVersion(versionOf(m.expected.name))} (required by the host), found version ${versions(m.incompatible)} (exported by the plugin): not semver-compatible`,
      });
    }
    return out;
  },
};

export const versionDiffers: NoteRule = {
  id: NoteCodes.VERSION_DIFFERS,
  purpose: 'Compatible but different versions are linked; the structural check decides.',
  check(ctx) {
    const out = [];
    for (const m of ctx.imports) {
      if (m.expected && m.expected.name !== m.found.name) {
        out.push({ code: NoteCodes.VERSION_DIFFERS, path: itemPath('import', m.found), message: `imports ${m.found.name}, linked to the offered ${m.expected.name}` });
      }
    }
    for (const m of ctx.exports) {
      if (m.found && m.found.name !== m.expected.name) {
        out.push({ code: NoteCodes.VERSION_DIFFERS, path: itemPath('export', m.found), message: `exports ${m.found.name} for the required ${m.expected.name}` });
      }
    }
    return out;
  },
};

export const versionRules: readonly Rule[] = [versionMismatch];
export const versionNoteRules: readonly NoteRule[] = [versionDiffers];
