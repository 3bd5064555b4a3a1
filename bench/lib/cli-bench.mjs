// "cliBench" section: `witplug bench --json` (the CLI plugin authors run) on
// guests/dist/calc-wat.wasm — a WAT fixture with its own package (acme:calc),
// not built for this benchmark — for the shapes it shares with bench.wat, next
// to this run's figures for the same shape. Consistent figures mean the CLI
// measures what `npm run bench` measures.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runJsonChild } from './child.mjs';
import { ECHO11 } from './shapes.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const CALC = 'guests/dist/calc-wat.wasm';

const CASES = [
  { call: 'work#add', args: [3, 4], shape: 'add' },
  { call: 'work#echo', args: [ECHO11], shape: 'echo11' },
];

export async function cliBenchSection(calls, quick) {
  if (!existsSync(MAIN)) return [{ call: '*', error: `${MAIN} not found (npm run build)` }];
  if (!existsSync(`${root}${CALC}`)) return [{ call: '*', error: `${CALC} not present (npm run build:guests)` }];
  const out = [];
  for (const c of CASES) {
    const args = [MAIN, 'bench', CALC, '--wit', 'guests/wat-fixture/calc.wit', '--world', 'calc', '--call', c.call, '--args', JSON.stringify(c.args), '--json'];
    // Default iterations (≥ 1 s of calls) unless --quick.
    if (quick) args.push('--iterations', '200000');
    const r = await runJsonChild(args, { cwd: root, timeoutMs: 120_000 });
    if (!r.ok || r.value.ok !== true) { out.push({ call: c.call, shape: c.shape, error: r.ok ? JSON.stringify(r.value.error) : r.error }); continue; }
    const bench = calls[c.shape]?.witplug?.nsPerCall ?? null;
    const benchJco = calls[c.shape]?.jco?.nsPerCall ?? null;
    out.push({
      call: c.call,
      shape: c.shape,
      ...r.value,
      benchNsPerCall: bench,
      benchJcoNsPerCall: benchJco,
      cliOverBench: bench ? Math.round((r.value.nsPerCall / bench) * 100) / 100 : null,
    });
  }
  return out;
}
