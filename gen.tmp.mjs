import { readFileSync } from 'node:fs';
const { decodeComponent } = await import('/work/main/dist/component/decode.js');
const { generateCaller } = await import('/work/main/dist/runtime/abi/codegen.js');
const d = decodeComponent(new Uint8Array(readFileSync('/work/main/bench/guests/dist/bench.wasm')));
const iface = d.shape.exports.find(e => e.kind === 'interface').iface;
const g = generateCaller(iface.funcs.get('check'), 'x#check', () => null);
console.log(g.source);
