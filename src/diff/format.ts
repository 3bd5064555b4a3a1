/** Renders a diff report as text, JSON, GitHub annotations or JUnit XML. */
import { ErrorCodes, WitplugError } from '../errors.js';
import { breaksSide, type DiffFinding, type DiffReport } from './rules.js';

export type DiffFormat = 'text' | 'json' | 'github' | 'junit';
export type DiffSide = 'plugins' | 'hosts' | 'both';

/** Whether a finding counts toward the exit code for the chosen side. */
export function counts(f: DiffFinding, side: DiffSide): boolean {
  return side === 'both' ? breaksSide(f, 'plugins') || breaksSide(f, 'hosts') : breaksSide(f, side);
}

export function isBreaking(report: DiffReport, side: DiffSide): boolean {
  return report.findings.some((f) => counts(f, side));
}

export interface FormatContext {
  readonly old: string;
  readonly new: string;
  readonly side: DiffSide;
  /**
   * With `--against git:<ref>`: the `<ref>:` old-tree file names start with. CI formats
   * drop it, so old- and new-tree files are both repository-relative paths.
   */
  readonly oldPrefix?: string;
}

/** A file as CI tools place it: old-tree files read from git lose their `<ref>:`. */
function ciFile(file: string, ctx: FormatContext): string {
  return ctx.oldPrefix && file.startsWith(ctx.oldPrefix) ? file.slice(ctx.oldPrefix.length) : file;
}

export function formatReport(report: DiffReport, format: DiffFormat, ctx: FormatContext): string {
  switch (format) {
    case 'json':
      return JSON.stringify({
        old: ctx.old, new: ctx.new, world: report.world, side: ctx.side, breaking: isBreaking(report, ctx.side),
        breaksPlugins: report.breaksPlugins, breaksHosts: report.breaksHosts, findings: report.findings, packages: report.packages,
      }) + '\n';
    case 'github':
      return report.findings.map((f) => github(f, ctx)).join('');
    case 'junit':
      return junit(report, ctx);
    case 'text':
      return text(report, ctx);
    default: {
      // Exhaustive, and a JavaScript caller's unknown format is its own mistake.
      const unknown: never = format;
      throw new WitplugError(ErrorCodes.USAGE, `unknown diff format ${JSON.stringify(unknown)}: one of text, json, github, junit`);
    }
  }
}

const where = (f: DiffFinding): string => `${f.file}:${f.line}:${f.column}`;

function text(report: DiffReport, ctx: FormatContext): string {
  const lines = [`witplug diff ${ctx.old} → ${ctx.new} (world ${report.world})`];
  if (report.findings.length === 0) lines.push('no changes');
  for (const f of report.findings) {
    const side = f.breaks === 'none' ? '' : ` breaks ${f.breaks}`;
    lines.push(`${where(f)}: ${f.severity} ${f.rule}${side}`, `    ${f.path}`, `    ${f.message}`);
  }
  // Advice that is not met is already a VERSION_BUMP_REQUIRED finding above; packages nothing
  // happened to share one line, so a contract with many dependencies stays readable.
  const untouched = report.packages.filter((p) => p.change === 'none' && p.old === p.new);
  for (const p of report.packages) if (p.ok && !untouched.includes(p)) lines.push(`version: ${p.advice}`);
  if (untouched.length > 0) {
    lines.push(`version: ${untouched.map((p) => `${p.package} stays ${p.new ?? 'unversioned'}`).join(', ')}: nothing a binary carries changed, no bump needed`);
  }
  const n = (s: string): number => report.findings.filter((f) => f.severity === s).length;
  const verdict = isBreaking(report, ctx.side) ? `BREAKING for ${ctx.side === 'both' ? [report.breaksPlugins && 'plugins', report.breaksHosts && 'hosts'].filter(Boolean).join(' and ') : ctx.side}` : `not breaking for ${ctx.side === 'both' ? 'plugins or hosts' : ctx.side}`;
  lines.push(`${n('breaking')} breaking, ${n('dangerous')} dangerous, ${n('safe')} safe: ${verdict}`);
  return lines.join('\n') + '\n';
}

/** GitHub workflow-command escaping (data and property values differ). */
const ghData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const ghProp = (s: string): string => ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function github(f: DiffFinding, ctx: FormatContext): string {
  const level = counts(f, ctx.side) ? 'error' : f.severity === 'safe' ? 'notice' : 'warning';
  const file = ciFile(f.file, ctx);
  const title = `${f.rule} (${f.severity}${f.breaks === 'none' ? '' : `, breaks ${f.breaks}`})`;
  return `::${level} file=${ghProp(file)},line=${f.line},col=${f.column},title=${ghProp(title)}::${ghData(`${f.path}: ${f.message}`)}\n`;
}

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function junit(report: DiffReport, ctx: FormatContext): string {
  const failures = report.findings.filter((f) => counts(f, ctx.side)).length;
  const cases = report.findings.map((f) => {
    const open = `    <testcase classname="${xml(f.rule)}" name="${xml(f.path)}" file="${xml(ciFile(f.file, ctx))}" line="${f.line}">`;
    const body = counts(f, ctx.side)
      ? `\n      <failure type="${xml(f.rule)}" message="${xml(f.message)}">${xml(`${where(f)}: ${f.severity}, breaks ${f.breaks}\n${f.path}\n${f.message}`)}</failure>\n    `
      : `\n      <system-out>${xml(`${where(f)}: ${f.severity}\n${f.message}`)}</system-out>\n    `;
    return `${open}${body}</testcase>`;
  });
  if (cases.length === 0) cases.push(`    <testcase classname="witplug.diff" name="no changes"></testcase>`);
  const n = Math.max(1, report.findings.length);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="witplug diff" tests="${n}" failures="${failures}">`,
    `  <testsuite name="${xml(`witplug diff ${ctx.old} → ${ctx.new} (world ${report.world})`)}" tests="${n}" failures="${failures}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** What stopped a diff before any comparison: a WIT error (with its position when known), a missing path, a bad ref. */
export interface DiffFailure {
  readonly code: string;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * A failure in the CI formats, so a pipeline sees it where it looks for findings: a
 * GitHub error annotation at the WIT position, or a JUnit document with one failing
 * case. Text and JSON failures are the CLI's usual stderr line / error object: ''.
 */
export function formatFailure(failure: DiffFailure, format: DiffFormat, ctx: FormatContext): string {
  const file = failure.file === undefined ? undefined : ciFile(failure.file, ctx);
  // Positioned WIT errors start with `file:line:column: `; the annotation carries those itself.
  const message = failure.file === undefined ? failure.message : failure.message.replace(/^.*?:\d+:\d+: /, '');
  if (format === 'github') {
    const where = file === undefined ? '' : `file=${ghProp(file)},line=${failure.line ?? 1},col=${failure.column ?? 1},`;
    return `::error ${where}title=${ghProp(`witplug diff: ${failure.code}`)}::${ghData(message)}\n`;
  }
  if (format !== 'junit') return '';
  const at = file === undefined ? '' : `${file}:${failure.line ?? 1}:${failure.column ?? 1}: `;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<testsuites name="witplug diff" tests="1" failures="1">',
    `  <testsuite name="${xml(`witplug diff ${ctx.old} → ${ctx.new}`)}" tests="1" failures="1">`,
    `    <testcase classname="witplug.diff" name="${xml(failure.code)}"${file === undefined ? '' : ` file="${xml(file)}" line="${failure.line ?? 1}"`}>`,
    `      <failure type="${xml(failure.code)}" message="${xml(message)}">${xml(`${at}${message}`)}</failure>`,
    '    </testcase>',
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
