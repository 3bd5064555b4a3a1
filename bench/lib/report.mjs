// Ratios, target checks and the printed (markdown) table.
import { SHAPES } from './shapes.mjs';

const r2 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 100) / 100);
/** Factors keep two significant digits when small (0.0045×, not 0×). */
const sig = (x) => (x === null || !Number.isFinite(x) ? null : Math.abs(x) >= 1 ? r2(x) : Number(x.toPrecision(2)));
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : r2(a / b));

export function ratios(calls) {
  const out = {};
  for (const s of SHAPES) {
    const c = calls[s.id];
    out[s.id] = {
      witplugOverRaw: ratio(c.witplug?.nsPerCall, c.raw?.nsPerCall),
      jcoOverWitplug: ratio(c.jco?.nsPerCall, c.witplug?.nsPerCall),
      extismOverWitplug: ratio(c.extism?.nsPerCall, c.witplug?.nsPerCall),
      jcoOverRaw: ratio(c.jco?.nsPerCall, c.raw?.nsPerCall),
      witplugAbiOverRaw: ratio(c.witplugAbi?.nsPerCall, c.raw?.nsPerCall),
      extismOverRaw: ratio(c.extism?.nsPerCall, c.raw?.nsPerCall),
    };
  }
  return out;
}

/**
 * Each target: { name, status: 'PASS'|'MISS'|'N/A', factor, detail }.
 * factor > 1 means better than the target by that much (for ≤ targets:
 * limit ÷ measured; for ≥ targets: measured ÷ required).
 */
export function targets(calls, rat, load, witplugError) {
  const out = [];
  const ns = (id, who) => calls[id]?.[who]?.nsPerCall ?? null;
  const upper = (name, value, limit, unit, why) => {
    if (value === null) return out.push({ name, status: 'N/A', factor: null, detail: why });
    out.push({ name, status: value <= limit ? 'PASS' : 'MISS', factor: sig(limit / value), detail: `${value}${unit} (limit ${limit}${unit})` });
  };
  const lower = (name, value, need, why) => {
    if (value === null) return out.push({ name, status: 'N/A', factor: null, detail: why });
    out.push({ name, status: value >= need ? 'PASS' : 'MISS', factor: sig(value / need), detail: `${value}× (need ≥ ${need}×)` });
  };
  const why = (id) => calls[id]?.witplug?.error ?? witplugError ?? 'not measured';
  upper('add ≤ 3× raw', rat.add.witplugOverRaw, 3, '×', why('add'));
  upper('echo 11 B ≤ 200 ns', ns('echo11', 'witplug'), 200, ' ns', why('echo11'));
  upper('record→variant ≤ 500 ns', ns('check', 'witplug'), 500, ' ns', why('check'));
  for (const s of SHAPES) lower(`≥ 10× faster than jco-latest: ${s.label}`, rat[s.id].jcoOverWitplug, 10, calls[s.id]?.jco?.error ?? why(s.id));
  for (const s of SHAPES) {
    if (calls[s.id]?.extism === null) continue; // no Extism equivalent (resources)
    lower(`≥ 20× faster than Extism: ${s.label}`, rat[s.id].extismOverWitplug, 20, calls[s.id]?.extism?.error ?? why(s.id));
  }
  for (const [guest, l] of Object.entries(load)) {
    lower(`warm load ≥ 10× faster than cold: ${guest}`, l.coldOverWarm ?? null, 10, l.error ?? l.note ?? 'not measured');
    if (l.coldOverWarmChild != null) lower(`warm load ≥ 10× faster than cold (fresh process): ${guest}`, l.coldOverWarmChild, 10, '');
  }
  return out;
}

const fmt = (x) => (x === null || x === undefined ? '–' : x >= 100 ? String(Math.round(x)) : String(x));

export function table(result) {
  const lines = [];
  const { calls, ratios: rat } = result;
  lines.push(`witplug bench — ${result.machine.cpuModel}, ${result.machine.cores} cores, Node ${result.machine.node}, jco ${result.machine.jco}, Extism ${result.machine.extism}, ${result.machine.date}`);
  lines.push('');
  lines.push('## Calls (ns per call, median of batches)');
  lines.push('');
  lines.push('| shape | raw core | raw | witplug | witplug abi | jco-latest | extism | witplug÷raw | jco÷witplug | extism÷witplug |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of SHAPES) {
    const c = calls[s.id];
    const v = (who) => (c[who] === null ? 'n/a' : fmt(c[who]?.nsPerCall));
    lines.push(`| ${s.label} | ${v('rawCore')} | ${v('raw')} | ${v('witplug')} | ${v('witplugAbi')} | ${v('jco')} | ${v('extism')} | ${fmt(rat[s.id].witplugOverRaw)} | ${fmt(rat[s.id].jcoOverWitplug)} | ${fmt(rat[s.id].extismOverWitplug)} |`);
  }
  const errs = [];
  for (const s of SHAPES) for (const who of ['raw', 'rawCore', 'witplug', 'witplugAbi', 'jco', 'extism']) {
    const e = calls[s.id][who]?.error;
    if (e) errs.push(`- ${s.id}/${who}: ${e}`);
  }
  if (errs.length) { lines.push(''); lines.push('Errors:'); lines.push(...dedupe(errs)); }
  lines.push('');
  lines.push('## Load (ms)');
  lines.push('');
  lines.push('| guest | cold (empty cache) | warm (same process) | cold÷warm | cold (fresh process) | warm (fresh process) | cold÷warm (fresh) |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const [g, l] of Object.entries(result.load)) {
    lines.push(`| ${g} | ${fmt(l.coldMs)} | ${fmt(l.warmMs)} | ${fmt(l.coldOverWarm)} | ${fmt(l.coldChildMs)} | ${fmt(l.warmChildMs)} | ${fmt(l.coldOverWarmChild)} |${l.note ? ` ${l.note}` : ''}${l.error ? ` error: ${l.error}` : ''}`);
  }
  const b = result.baselineLoad;
  lines.push(`| (baseline) jco transpile + instantiate, bench, first in process | ${fmt(b.jcoMs)} | | | | | |`);
  lines.push(`| (baseline) Extism createPlugin, extism.wasm | ${fmt(b.extismMs)} | | | | | |`);
  lines.push('');
  lines.push('## Memory (100 loaded instances)');
  lines.push('');
  lines.push('| what | guest | RSS KiB/instance | JS heap KiB/instance | external KiB/instance | RSS before → after (MiB) |');
  lines.push('|---|---|---:|---:|---:|---|');
  const labels = { witplugGatewayC: 'witplug', witplugBench: 'witplug', rawBench: 'raw WebAssembly.Instance', jcoBench: 'jco-latest instantiate', extismBench: 'Extism createPlugin' };
  for (const [k, m] of Object.entries(result.memory)) {
    if (m.error || m.note) { lines.push(`| ${labels[k] ?? k} | ${m.guest ?? ''} | – | – | – | ${m.error ?? m.note} |`); continue; }
    lines.push(`| ${labels[k] ?? k} | ${m.guest} | ${fmt(m.rssPerInstanceKiB)} | ${fmt(m.heapPerInstanceKiB)} | ${fmt(m.externalPerInstanceKiB)} | ${m.rssBeforeMiB} → ${m.rssAfterMiB} |`);
  }
  lines.push('');
  lines.push('## Other sections');
  lines.push('');
  for (const [k, v] of Object.entries(result.sections)) lines.push(`- ${k}: ${v.skipped ?? v.error ?? `${JSON.stringify(v).slice(0, 300)}`}`);
  lines.push('');
  lines.push('## Targets');
  lines.push('');
  lines.push('| target | status | factor | detail |');
  lines.push('|---|---|---:|---|');
  for (const t of result.targets) lines.push(`| ${t.name} | ${t.status} | ${t.factor === null ? '–' : `${t.factor}×`} | ${t.detail} |`);
  return lines.join('\n');
}

function dedupe(xs) {
  return [...new Set(xs)];
}
