/**
 * Renders docs/diff-rules.md from the rule catalogue and the fixture pairs
 * under test/fixtures/diff (one WIT before/after example per rule, taken from
 * the first fixture that raises it), so the page cannot drift from the tests.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWitTree, resolveWitWorld } from '../contract/wit/index.js';
import { diffWorlds } from './diff.js';
import { formatReport } from './format.js';
import { DIFF_RULE_IDS, DiffRules, type DiffRuleId } from './rules.js';

/** One key of `--format json`: its type (`string`, `number`, `boolean`, `null`, `"literal"`, `finding[]`, `package[]`, joined by `|`) and meaning. */
export interface JsonField {
  readonly key: string;
  readonly type: string;
  readonly meaning: string;
}

const SIDES = '"plugins" | "hosts" | "both"';

/** The JSON output of `witplug diff --format json`, object by object (a test checks real output against the page). */
export const DIFF_JSON: { readonly report: readonly JsonField[]; readonly finding: readonly JsonField[]; readonly package: readonly JsonField[] } = {
  report: [
    { key: 'old', type: 'string', meaning: 'the old contract as given (`<ref>:<path>` with `--against`)' },
    { key: 'new', type: 'string', meaning: 'the new contract as given (repository-relative with `--against`)' },
    { key: 'world', type: 'string', meaning: 'the new world compared' },
    { key: 'side', type: SIDES, meaning: '`--side`: whose breakage sets the exit code' },
    { key: 'breaking', type: 'boolean', meaning: 'whether a finding breaks `side` (exit 100)' },
    { key: 'breaksPlugins', type: 'boolean', meaning: 'the new contract refuses plugins built against the old one' },
    { key: 'breaksHosts', type: 'boolean', meaning: 'hosts of the old contract refuse plugins built against the new one' },
    { key: 'findings', type: 'finding[]', meaning: 'every change, in WIT order per world item' },
    {
      key: 'packages',
      type: 'package[]',
      meaning: 'version-bump advice for every versioned package both contracts hold (unchanged ones too: `needs` is `"none"`, '
        + 'so a change needing no bump says so) and every package that gained or lost a version',
    },
  ],
  finding: [
    { key: 'rule', type: 'string', meaning: 'a rule ID from the table above' },
    { key: 'severity', type: '"breaking" | "dangerous" | "safe"', meaning: 'breaking findings set `breaksPlugins` / `breaksHosts`' },
    { key: 'breaks', type: '"plugins" | "hosts" | "both" | "none"', meaning: 'who stops working (`none` unless breaking)' },
    { key: 'path', type: 'string', meaning: 'where, in the format of `check`\'s problem paths' },
    { key: 'message', type: 'string', meaning: 'what changed (`was …, now …`)' },
    { key: 'file', type: 'string', meaning: 'the new WIT file, the old one for removals (`<ref>:<path>` for the old tree with `--against`)' },
    { key: 'line', type: 'number', meaning: '1-based' },
    { key: 'column', type: 'number', meaning: '1-based' },
  ],
  package: [
    { key: 'package', type: 'string', meaning: '`namespace:name`' },
    { key: 'old', type: 'string | null', meaning: 'the old version (null: unversioned)' },
    { key: 'new', type: 'string | null', meaning: 'the new version' },
    {
      key: 'change',
      type: '"breaking" | "additive" | "none"',
      meaning: 'breaks existing plugins / only adds (hosts of the old version lack it) / nothing a binary carries',
    },
    {
      key: 'needs',
      type: '"incompatible" | "compatible" | "none"',
      meaning: 'the version the change calls for: one existing plugins no longer match (major from 1.0, minor for 0.x, patch '
        + 'for 0.0.x), a newer one they still match (minor from 1.0, patch for 0.x), or none — also for additions to a 0.0.x or '
        + 'pre-release version, which has no successor existing plugins match: keeping it keeps them admitted',
    },
    { key: 'suggested', type: 'string | null', meaning: 'the smallest such version after `old` (null: keep `old`)' },
    { key: 'ok', type: 'boolean', meaning: 'whether `new` fits; when not, a `VERSION_BUMP_REQUIRED` finding says so' },
    { key: 'advice', type: 'string', meaning: 'the same in one sentence (text output prints it when `ok`; unchanged packages share one line)' },
  ],
};

/** The fixture the page's JSON example is the real output of. */
const JSON_EXAMPLE_FIXTURE = 'version-bump-patch-not-enough';

function jsonSection(dir: string): string[] {
  const side = (name: string) => {
    const text = readFileSync(join(dir, JSON_EXAMPLE_FIXTURE, name), 'utf8');
    return resolveWitWorld(parseWitTree({ root: [{ file: name, text }], deps: [] }));
  };
  const report = diffWorlds(side('old.wit'), side('new.wit'));
  const json = JSON.parse(formatReport(report, 'json', { old: 'old.wit', new: 'new.wit', side: 'both' })) as unknown;
  const table = (fields: readonly JsonField[]): string[] => ['| Key | Type | Meaning |', '|---|---|---|', ...fields.map((f) => `| \`${f.key}\` | \`${f.type.replace(/\|/g, '\\|')}\` | ${f.meaning} |`)];
  return [
    '## JSON output',
    '',
    '`witplug diff --format json` prints one object (usage errors print `{"ok":false,"error":{…}}` instead, as every',
    'command). Every key is always present; `finding[]` and `package[]` are arrays of the objects below.',
    '',
    '### Report',
    '',
    ...table(DIFF_JSON.report),
    '',
    '### `finding`',
    '',
    ...table(DIFF_JSON.finding),
    '',
    '### `package`',
    '',
    ...table(DIFF_JSON.package),
    '',
    `### Example ([${JSON_EXAMPLE_FIXTURE}](../test/fixtures/diff/${JSON_EXAMPLE_FIXTURE}), \`witplug diff old.wit new.wit --format json\`)`,
    '',
    '```json',
    JSON.stringify(json, null, 2),
    '```',
    '',
  ];
}

interface ExpectedFinding {
  readonly rule: string;
  readonly severity: string;
  readonly breaks: string;
  readonly file: string;
  readonly line: number;
}

const strip = (text: string): string[] => text.replace(/\/\*@\d+\*\//g, '').split('\n');

/** Changed line ranges between two texts (LCS over lines): [oldStart, oldEnd, newStart, newEnd], 1-based, end exclusive. */
function hunks(a: readonly string[], b: readonly string[]): [number, number, number, number][] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const out: [number, number, number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    const si = i;
    const sj = j;
    while ((i < n || j < m) && !(i < n && j < m && a[i] === b[j])) {
      if (j >= m || (i < n && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) i++;
      else j++;
    }
    out.push([si + 1, i + 1, sj + 1, j + 1]);
  }
  return out;
}

function oneLine(lines: readonly string[]): string {
  const s = lines.map((l) => l.trim()).filter(Boolean).join(' ');
  if (!s) return '—';
  const short = s.length > 90 ? `${s.slice(0, 87)}…` : s;
  return `\`${short.replace(/\|/g, '\\|')}\``;
}

export function renderRulesDoc(repoRoot: string): string {
  const dir = join(repoRoot, 'test', 'fixtures', 'diff');
  const cases = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const examples = new Map<DiffRuleId, { name: string; f: ExpectedFinding }>();
  for (const name of cases) {
    // Only single-file pairs give a one-line example (directory pairs such as gateway-v0.2 don't).
    if (!existsSync(join(dir, name, 'old.wit'))) continue;
    const exp = JSON.parse(readFileSync(join(dir, name, 'expected.json'), 'utf8')) as { findings: ExpectedFinding[] };
    for (const f of exp.findings) if (!examples.has(f.rule as DiffRuleId)) examples.set(f.rule as DiffRuleId, { name, f });
  }
  const lines = [
    '# `witplug diff` rules',
    '',
    '<!-- Generated by `node scripts/gen-diff-rules.mjs` from src/diff/rules.ts and test/fixtures/diff; a test fails when it drifts. -->',
    '',
    'Each finding has a rule, a severity (`breaking` / `dangerous` / `safe`) and the side it breaks:',
    '`plugins` (built against the old contract, refused by the new one), `hosts` (implementing the old',
    'contract, refusing plugins built against the new one), `both`, or `none`. The side of a rule depends',
    'on where the change is: a function added to an imported (host-provided) interface breaks hosts only,',
    'one added to an exported hook breaks every existing plugin. The example is the fixture that first',
    'raises the rule; its severity and side are that fixture\'s.',
    '',
    '| Rule | Category | Example: severity / breaks | Before | After | Fixture |',
    '|---|---|---|---|---|---|',
  ];
  const order = ['world', 'package', 'function', 'resource', 'type', 'source'];
  const ids = [...DIFF_RULE_IDS].sort((a, b) => order.indexOf(DiffRules[a].category) - order.indexOf(DiffRules[b].category));
  for (const id of ids) {
    const ex = examples.get(id);
    if (!ex) {
      lines.push(`| \`${id}\` | ${DiffRules[id].category} | (no fixture) | | | |`);
      continue;
    }
    const oldLines = strip(readFileSync(join(dir, ex.name, 'old.wit'), 'utf8'));
    const newLines = strip(readFileSync(join(dir, ex.name, 'new.wit'), 'utf8'));
    const hs = hunks(oldLines, newLines);
    const inNew = ex.f.file === 'new.wit';
    // A reorder is a line moved (two hunks); show the whole span. Otherwise the hunk at the finding.
    const span: [number, number, number, number] | undefined = hs.length
      ? [Math.min(...hs.map((x) => x[0])), Math.max(...hs.map((x) => x[1])), Math.min(...hs.map((x) => x[2])), Math.max(...hs.map((x) => x[3]))]
      : undefined;
    const covers = ([os, oe, ns, ne]: (typeof hs)[number]): boolean => (inNew ? ex.f.line >= ns && ex.f.line < ne : ex.f.line >= os && ex.f.line < oe);
    const h = id.endsWith('_REORDERED') ? span : (hs.find(covers) ?? hs[0]);
    const before = h ? oneLine(oldLines.slice(h[0] - 1, h[1] - 1)) : '—';
    const after = h ? oneLine(newLines.slice(h[2] - 1, h[3] - 1)) : '—';
    lines.push(`| \`${id}\` | ${DiffRules[id].category} | ${ex.f.severity} / ${ex.f.breaks} | ${before} | ${after} | [${ex.name}](../test/fixtures/diff/${ex.name}) |`);
  }
  lines.push('', '## What each rule means', '');
  for (const id of ids) lines.push(`- \`${id}\`: ${DiffRules[id].summary}`);
  lines.push('', ...jsonSection(dir));
  return lines.join('\n');
}
