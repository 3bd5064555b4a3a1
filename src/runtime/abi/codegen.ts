/**
 * Generates one JavaScript function per exported WIT function that lowers
 * its arguments, calls the core export and lifts the result, following
 * CanonicalABI.md (flat params up to 16, otherwise a heap tuple; one flat
 * result, otherwise a return area; `cabi_post_*` after lifting).
 *
 * Why generated code: a (u32,u32)->u32 call must cost a few ns over the raw
 * core call, which rules out walking the type per call. Offsets, field names
 * and discriminants become constants; type checks are inlined, and the path
 * of a bad argument (`param req > field headers[2] > field name`) is only
 * built when a check fails. The generated source depends only on the
 * function type, so it is compiled once per type and shared by instances.
 */
import type { FuncType, ValType } from '../../component/types.js';
import {
  alignment, elemSize, fieldOffsets, flatten, assertSupported, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, UnsupportedAbiType,
} from './layout.js';
import { Emitter, containsBorrow, resourceKey, someType, str, touchesMemory, type ResourceOwner } from './emit.js';
import { CheckGenerator } from './check-values.js';
import { LowerGenerator } from './lower-values.js';
import { LiftGenerator } from './lift-values.js';

export { resourceKey };

export interface GeneratedCaller {
  /** `new Function` parameters and body; `K` holds constants (paths, name tables). */
  readonly source: string;
  readonly constants: readonly unknown[];
}

/**
 * The generated wrapper reads these from `H` (the Plugin side): `arity(n)`
 * throws USAGE, `prepare()` re-instantiates or throws DISABLED, `limited`
 * says whether `begin()`/`end()` must arm fuel/deadline, `fail(e)` maps an
 * error to a WitplugError (dropping a trapped instance).
 */
export function generateCaller(func: FuncType, coreName: string, ownerOf: ResourceOwner, suspending = false): GeneratedCaller {
  checkSignature(func, ownerOf);
  // Borrows of host objects lent to this call are released when it returns (or fails).
  const lends = func.params.some((p) => someType(p.type, (x) => x.kind === 'borrow' && ownerOf(x.resource) === 'host'));

  const e = new Emitter();
  const claims = func.params.some((p) => someType(p.type, (x) => x.kind === 'own' && ownerOf(x.resource) === 'plugin'));
  const checks = new CheckGenerator(e, ownerOf, claims);
  const lower = new LowerGenerator(e, ownerOf);
  const lift = new LiftGenerator(e, ownerOf);
  const args = func.params.map((_, i) => `a${i}`);
  // Literal keys: a constant-name property load on the exports object stays monomorphic.
  const fname = str(coreName);
  const pname = str(`cabi_post_${coreName}`);

  // The context's parts, read once per bound caller: a call reads `M.u8` as directly as `C.x`.
  e.line(`const M = C.memory, R = C.handles${claims ? ', O = C.claims' : ''};`);
  // Suspending (JS promise integration): the export runs on a stack an async host function can suspend.
  e.line(`const call = ${suspending ? 'async ' : ''}function (${args.join(', ')}) {`);
  e.line(`  if (arguments.length !== ${args.length}) H.arity(arguments.length);`);
  e.line('  if (!C.ready) H.prepare();');
  // The component model forbids entering an instance that is already on the stack (a host
  // function called by the plugin calling back into it): its state is mid-call.
  e.line('  if (C.busy) H.reentered();');
  // Busy before lowering: cabi_realloc is plugin code, and a host function it calls must see the instance taken.
  e.line('  C.busy = true;');
  e.line('  const limited = H.limited;');
  e.line('  if (limited) H.begin();');
  e.line('  let entered = false;');
  e.block('  try {', () => {
    // Validate every argument first (pure JS): a bad one is the caller's mistake, refused before any plugin code.
    if (claims) e.line('O.reset();');
    func.params.forEach((p, i) => checks.check(p.type, args[i]!, str(`param ${p.name}`)));
    if (claims) e.line('O.reset();');
    // From here on plugin code runs (cabi_realloc while lowering, then the export): a fault is the plugin's.
    e.line('entered = true;');
    // Lower.
    const paramTypes = func.params.map((p) => p.type);
    const flatParams = paramTypes.flatMap(flatten);
    let coreArgs: string[];
    if (flatParams.length <= MAX_FLAT_PARAMS) {
      coreArgs = func.params.flatMap((p, i) => lower.lowerFlat(p.type, args[i]!, str(`param ${p.name}`)).map((f) => f.expr));
    } else {
      const tuple: ValType = { kind: 'tuple', types: paramTypes };
      const area = e.tmp('area');
      e.line(`const ${area} = M.alloc(${alignment(tuple)}, ${elemSize(tuple)});`);
      const { offsets } = fieldOffsets(paramTypes);
      func.params.forEach((p, i) => lower.store(p.type, args[i]!, `${area} + ${offsets[i]}`, str(`param ${p.name}`)));
      coreArgs = [area];
    }
    e.line(suspending ? `const r = await H.suspending(C.x[${fname}], [${coreArgs.join(', ')}]);` : `const r = C.x[${fname}](${coreArgs.join(', ')});`);
    // Lift.
    let out = 'undefined';
    if (func.result) {
      // One output budget for everything the results lift (strings, lists, nested).
      if (touchesMemory(func.result)) e.line('M.left = M.cap;');
      const flatResults = flatten(func.result);
      if (flatResults.length <= MAX_FLAT_RESULTS) {
        if (touchesMemory(func.result)) e.line('M.v();');
        out = lift.liftFlat(func.result, flatResults.map((type, i) => ({ expr: i === 0 ? 'r' : '0', type })));
      } else {
        e.line('M.v();');
        e.line(`M.checkArea(r >>> 0, ${elemSize(func.result)}, ${alignment(func.result)});`);
        out = lift.load(func.result, 'r >>> 0');
      }
    }
    e.line(`const post = C.x[${pname}];`);
    e.line(func.result ? 'if (post !== undefined) post(r);' : 'if (post !== undefined) post();');
    e.line('C.busy = false;');
    if (lends) e.line('R.endLend();');
    e.line('if (limited) H.end();');
    e.line(`return ${out};`);
  }, '  } catch (e) {');
  e.line('    C.busy = false;');
  if (lends) e.line('    R.endLend();');
  e.line('    throw H.fail(e, entered);');
  e.line('  }');
  e.line('};');
  e.line('return call;');
  return { source: e.lines.join('\n'), constants: e.constants };
}

/**
 * The other direction: a core function the guest imports, which lifts its
 * arguments out of guest memory, calls the host implementation `I` with
 * witplug values and lowers the result back (into a guest allocation and the
 * caller's return area when it is larger than one flat value). Replaces
 * jco's lowered import trampolines, whose per-call task bookkeeping measured
 * 55–170 µs per host call here.
 */
export function generateImport(func: FuncType, hostName: string, ownerOf: ResourceOwner, suspending = false): GeneratedCaller {
  // Only host resources cross a host function (the plugin's own would need the plugin's reps here).
  checkSignature(func, (r) => (ownerOf(r) === 'host' ? 'host' : null));
  const e = new Emitter();
  const checks = new CheckGenerator(e, ownerOf);
  const lower = new LowerGenerator(e, ownerOf);
  const lift = new LiftGenerator(e, ownerOf);
  const paramTypes = func.params.map((p) => p.type);
  const flatParams = paramTypes.flatMap(flatten);
  const spilled = flatParams.length > MAX_FLAT_PARAMS;
  const flatResults = func.result ? flatten(func.result) : [];
  const retArea = flatResults.length > MAX_FLAT_RESULTS;
  const coreParams = spilled ? ['$p0'] : flatParams.map((_, i) => `$p${i}`);
  if (retArea) coreParams.push('$ret');

  e.line('const M = C.memory, R = C.handles;');
  // Suspending: the host function may return a promise, which the guest's stack waits for
  // (WebAssembly.Suspending); a value it returns at once is lowered at once, without suspending.
  e.line(`const imp = function (${coreParams.join(', ')}) {`);
  e.block('', () => {
    e.line('M.v();');
    // One output budget for everything this host call's arguments lift.
    if (paramTypes.some(touchesMemory)) e.line('M.left = M.cap;');
    let args: string[];
    if (spilled) {
      const tuple: ValType = { kind: 'tuple', types: paramTypes };
      e.line(`M.checkArea($p0 >>> 0, ${elemSize(tuple)}, ${alignment(tuple)});`);
      const { offsets } = fieldOffsets(paramTypes);
      args = paramTypes.map((t, i) => lift.load(t, `($p0 >>> 0) + ${offsets[i]}`));
    } else {
      const flats = flatParams.map((type, i) => ({ expr: `$p${i}`, type }));
      args = [];
      let at = 0;
      for (const t of paramTypes) {
        const n = flatten(t).length;
        args.push(lift.liftFlat(t, flats.slice(at, at + n)));
        at += n;
      }
    }
    if (suspending) {
      e.line(`const $r = I(${args.join(', ')});`);
      e.line('const $then = $r !== null && (typeof $r === \'object\' || typeof $r === \'function\') && typeof $r.then === \'function\';');
      e.line('if ($then) return Promise.resolve($r).then($done);');
      e.line('return $done($r);');
      // What follows the host call, once its value is there; memory may have grown meanwhile.
      e.line('function $done($v) {');
      e.line('M.v();');
    } else {
      e.line(`const $v = I(${args.join(', ')});`);
    }
    if (func.result) emitResult();
    if (suspending) e.line('}');
  }, '};');
  e.line('return imp;');
  return { source: e.lines.join('\n'), constants: e.constants };

  function emitResult(): void {
    const path = str(`host function ${hostName} returned a value that does not fit its result type; result`);
    const result = func.result!;
    // A result that does not fit is the host's fault (HOST_ERROR), not the plugin's: checked in full
    // before anything is written into guest memory.
    e.block('try {', () => {
      checks.check(result, '$v', path);
      if (retArea) {
        e.line(`M.checkArea($ret >>> 0, ${elemSize(result)}, ${alignment(result)});`);
        lower.store(result, '$v', '$ret >>> 0', path);
      } else {
        const [flat] = lower.lowerFlat(result, '$v', path);
        e.line(`return ${flat!.expr};`);
      }
    }, '} catch ($e) {');
    e.line('  throw C.hostResult($e);');
    e.line('}');
  }
}

/** Whether `generateCaller` serves `func` (the check alone, without generating code). */
export function callerSupported(func: FuncType, ownerOf: ResourceOwner): boolean {
  try {
    checkSignature(func, ownerOf);
    return true;
  } catch (e) {
    if (e instanceof UnsupportedAbiType) return false;
    throw e;
  }
}

/** Throws UnsupportedAbiType unless every part of the signature has a generated lowering/lifting. */
function checkSignature(func: FuncType, ownerOf: ResourceOwner): void {
  for (const p of func.params) assertSupported(p.type);
  if (func.result) assertSupported(func.result);
  if (func.async) throw new UnsupportedAbiType('async functions');
  const types = [...func.params.map((p) => p.type), ...(func.result ? [func.result] : [])];
  for (const t of types) {
    someType(t, (x) => {
      if ((x.kind === 'own' || x.kind === 'borrow') && ownerOf(x.resource) === null) {
        throw new UnsupportedAbiType(`resource ${x.resource.name} (not exported by the plugin, not provided by the host)`);
      }
      return false;
    });
  }
  if (func.result && containsBorrow(func.result)) throw new UnsupportedAbiType('borrow<> in a result');
}
