const lib = await import('/work/main/dist/index.js');
const { REQUEST } = await import('/work/main/bench/lib/shapes.mjs');
const p = await lib.loadPlugin('/work/main/bench/guests/dist/bench.wasm', { cache: new lib.CompileCache('/tmp/profcache'), log: () => {} });
const f = p.fn('shapes#check');
for (let i = 0; i < 1e5; i++) f(REQUEST);
let best = Infinity;
for (let r = 0; r < 5; r++) { const t = performance.now(); for (let i = 0; i < 1e6; i++) f(REQUEST); best = Math.min(best, (performance.now() - t)); }
console.log('ns/call', best.toFixed(0));
