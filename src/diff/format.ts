/** Renders a diff report as text, JSON, GitHub annotations or JUnit XML. */
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
}

export function formatReport(report: DiffReport, format: DiffFormat, ctx: FormatContext): string {
  switch (format) {
    case 'json':
      return JSON.stringify({ old: ctx.old, new: ctx.new, world: report.world, side: ctx.side, breaking: isBreaking(report, ctx.side), breaksPlugins: report.breaksPlugins, breaksHosts: report.breaksHosts, findings: report.findings, packages: report.packages }) + '\n';
    case 'github':
      return report.findings.map((f) => github(f, ctx.side)).join('');
    case 'junit':
      return junit(report, ctx);
    default:
      return text(report, ctx);
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
  // Advice that is not met is already a VERSION_BUMP_REQUIRED finding above.
  for (const p of report.packages) if (p.ok) lines.push(`version: ${p.advice}`);
  const n = (s: string): number => report.findings.filter((f) => f.severity === s).length;
  const verdict = isBreaking(report, ctx.side) ? `BREAKING for ${ctx.side === 'both' ? [report.breaksPlugins && 'plugins', report.breaksHosts && 'hosts'].filter(Boolean).join(' and ') : ctx.side}` : `not breaking for ${ctx.side === 'both' ? 'plugins or hosts' : ctx.side}`;
  lines.push(`${n('breaking')} breaking, ${n('dangerous')} dangerous, ${n('safe')} safe: ${verdict}`);
  return lines.join('\n') + '\n';
}

/** GitHub workflow-command escaping (data and property values differ). */
const ghData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const ghProp = (s: string): string => ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function github(f: DiffFinding, side: DiffSide): string {
  const level = counts(f, side) ? 'error' : f.severity === 'safe' ? 'notice' : 'warning';
  // Old-tree files read from git are named `ref:path`; annotations want the path.
  const file = f.file.replace(/^[^:/]+:(?=[^/])/, '');
  const title = `${f.rule} (${f.severity}${f.breaks === 'none' ? '' : `, breaks ${f.breaks}`})`;
  return `::${level} file=${ghProp(file)},line=${f.line},col=${f.column},title=${ghProp(title)}::${ghData(`${f.path}: ${f.message}`)}\n`;
}

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function junit(report: DiffReport, ctx: FormatContext): string {
  const failures = report.findings.filter((f) => counts(f, ctx.side)).length;
  const cases = report.findings.map((f) => {
    const open = `    <testcase classname="${xml(f.rule)}" name="${xml(f.path)}" file="${xml(f.file)}" line="${f.line}">`;
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
