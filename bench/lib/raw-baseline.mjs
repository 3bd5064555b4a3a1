// raw baseline: bench.wat's core module instantiated with WebAssembly alone,
// called through its canonical-ABI core exports. Two variants per shape:
//   raw      the floor for a real host: pre-lowered arguments where the
//            arguments are fixed (request record, resource rep), plus the
//            minimal lowering/lifting a host cannot avoid (string encode into
//            guest memory and decode out, 64 KiB copy in, decision lift)
//   rawCore  the core call(s) alone with everything pre-lowered (echo/check
//            include their post-return: it is part of the ABI protocol)
import { ECHO11, ECHO4K, BYTES64K, REQUEST } from './shapes.mjs';

const P = 'bench:shapes/shapes@0.1.0#';

/**
 * @param extraImports optional `(ref) => imports` merged into the import object
 *   (e.g. `__witplug.check` of an instrumented module); `ref.ex` holds the
 *   instance's exports once it exists.
 */
export function instantiateRaw(coreModule, extraImports) {
  // The component's own resource table, minimal: handle i -> rep.
  const handles = [0];
  const ref = { ex: null };
  const imports = {
    '[export]bench:shapes/shapes@0.1.0': {
      '[resource-new]counter': (rep) => handles.push(rep) - 1,
    },
    ...(extraImports ? extraImports(ref) : {}),
  };
  const instance = new WebAssembly.Instance(coreModule, imports);
  ref.ex = instance.exports;
  return { ex: instance.exports, handles };
}

const encoder = new TextEncoder();

/**
 * Lean UTF-8 codec over guest memory, the cheapest standard Node calls
 * measured here: an ASCII loop to encode short strings, Buffer#utf8Write for
 * long ones (exact size via Buffer.byteLength), Buffer#utf8Slice to decode.
 * The view is cached and rebuilt only when memory.grow detaches the buffer.
 */
function makeCodec(ex) {
  const memory = ex.memory;
  const realloc = ex.cabi_realloc;
  let buf = Buffer.from(memory.buffer);
  // memory.grow detaches the old ArrayBuffer, which zeroes the view's length
  // (a cheap check; the memory.buffer getter costs ~15 ns a call).
  const view = () => (buf.length !== 0 ? buf : (buf = Buffer.from(memory.buffer)));
  /** Returns [ptr, byteLength]: written into a fresh guest allocation. */
  function lowerString(s, out) {
    const n = s.length;
    if (n <= 64) {
      const ptr = realloc(0, 0, 1, n);
      const m = view();
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        m[ptr + i] = c;
      }
      if (i === n) { out[0] = ptr; out[1] = n; return out; }
    }
    const len = Buffer.byteLength(s, 'utf8');
    const ptr = realloc(0, 0, 1, len);
    view().utf8Write(s, ptr, len);
    out[0] = ptr; out[1] = len;
    return out;
  }
  function liftString(ptr, len) {
    return view().utf8Slice(ptr, ptr + len);
  }
  const u32 = (p) => { const m = view(); return m[p] | (m[p + 1] << 8) | (m[p + 2] << 16) | (m[p + 3] << 24); };
  const u16 = (p) => { const m = view(); return m[p] | (m[p + 1] << 8); };
  return { view, lowerString, liftString, u32, u16 };
}

/** Writes REQUEST into guest memory once; returns its 13 flat core arguments. */
function lowerRequestOnce(ex, codec) {
  const realloc = ex.cabi_realloc;
  const str = (s) => {
    const b = encoder.encode(s);
    const p = realloc(0, 0, 1, b.length);
    codec.view().set(b, p);
    return [p, b.length];
  };
  const r = REQUEST;
  const [pathP, pathL] = str(r.path);
  const [qP, qL] = str(r.query);
  const hdrs = realloc(0, 0, 4, 16 * r.headers.length);
  r.headers.forEach((h, i) => {
    const [nP, nL] = str(h.name);
    const vals = realloc(0, 0, 4, 8 * h.values.length);
    h.values.forEach((v, j) => {
      const [vP, vL] = str(v);
      const dv = new DataView(ex.memory.buffer);
      dv.setUint32(vals + 8 * j, vP, true);
      dv.setUint32(vals + 8 * j + 4, vL, true);
    });
    const dv = new DataView(ex.memory.buffer);
    dv.setUint32(hdrs + 16 * i, nP, true);
    dv.setUint32(hdrs + 16 * i + 4, nL, true);
    dv.setUint32(hdrs + 16 * i + 8, vals, true);
    dv.setUint32(hdrs + 16 * i + 12, h.values.length, true);
  });
  const bodyP = realloc(0, 0, 1, r.body.length);
  codec.view().set(r.body, bodyP);
  const methods = ['get', 'head', 'post', 'put', 'delete', 'patch', 'options'];
  const flags = ['tls', 'authenticated', 'internal', 'bot'].reduce((acc, f, i) => acc | (r.client[f] ? 1 << i : 0), 0);
  return [r.id, methods.indexOf(r.method), pathP, pathL, 1, qP, qL, hdrs, r.headers.length, bodyP, r.body.length, flags, r.receivedAtMs];
}

/**
 * Returns { raw, rawCore } maps of shape id -> zero-argument closure.
 * `onInstance(exports)` sees every instance created (instrument.bench.mjs
 * refills their fuel between batches). Each
 * shape gets its own instance: echo/sum-bytes reset the guest heap, which
 * would otherwise overwrite the pre-lowered request.
 */
export function rawRunners(coreModule, { extraImports, onInstance } = {}) {
  const raw = {};
  const rawCore = {};
  const fresh = () => {
    const r = instantiateRaw(coreModule, extraImports);
    onInstance?.(r.ex);
    return { ...r, codec: makeCodec(r.ex) };
  };

  {
    const { ex } = fresh();
    const noop = ex[`${P}noop`];
    raw.noop = () => noop();
    rawCore.noop = raw.noop;
    const add = ex[`${P}add`];
    raw.add = () => add(3, 4);
    rawCore.add = raw.add;
  }

  for (const [id, text] of [['echo11', ECHO11], ['echo4k', ECHO4K]]) {
    const { ex, codec } = fresh();
    const echo = ex[`${P}echo`];
    const post = ex[`cabi_post_${P}echo`];
    const pl = [0, 0];
    raw[id] = () => {
      codec.lowerString(text, pl);
      const ret = echo(pl[0], pl[1]);
      const s = codec.liftString(codec.u32(ret), codec.u32(ret + 4));
      post(ret);
      return s;
    };
    // Pre-lowered: the string stays at a fixed address (nothing reallocates).
    const { ex: ex2, codec: codec2 } = fresh();
    const echo2 = ex2[`${P}echo`];
    const post2 = ex2[`cabi_post_${P}echo`];
    const [p2, len2] = codec2.lowerString(text, [0, 0]);
    rawCore[id] = () => { const r = echo2(p2, len2); post2(r); return r; };
  }

  {
    const { ex, codec } = fresh();
    const sum = ex[`${P}sum-bytes`];
    const realloc = ex.cabi_realloc;
    const data = BYTES64K;
    raw.bytes64k = () => {
      const p = realloc(0, 0, 1, data.length);
      codec.view().set(data, p);
      return sum(p, data.length);
    };
    const { ex: ex2, codec: codec2 } = fresh();
    const sum2 = ex2[`${P}sum-bytes`];
    const p2 = ex2.cabi_realloc(0, 0, 1, data.length);
    codec2.view().set(data, p2);
    rawCore.bytes64k = () => sum2(p2, data.length);
  }

  {
    const { ex, codec } = fresh();
    const check = ex[`${P}check`];
    const post = ex[`cabi_post_${P}check`];
    const a = lowerRequestOnce(ex, codec);
    raw.check = () => {
      const ret = check(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]);
      const disc = codec.view()[ret];
      let out;
      switch (disc) {
        case 0: out = { tag: 'pass' }; break;
        case 1: out = { tag: 'deny', val: { status: codec.u16(ret + 4), reason: codec.liftString(codec.u32(ret + 8), codec.u32(ret + 12)) } }; break;
        case 2: out = { tag: 'redirect', val: { location: codec.liftString(codec.u32(ret + 4), codec.u32(ret + 8)), permanent: codec.view()[ret + 12] !== 0 } }; break;
        default: throw new Error(`bad decision discriminant ${disc}`);
      }
      post(ret);
      return out;
    };
    rawCore.check = () => {
      const ret = check(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]);
      post(ret);
      return ret;
    };
  }

  {
    const { ex, handles } = fresh();
    const handle = ex[`${P}[constructor]counter`](1);
    const rep = handles[handle];
    const incr = ex[`${P}[method]counter.incr`];
    raw.resource = () => incr(rep, 1);
    rawCore.resource = raw.resource;
  }
  return { raw, rawCore };
}
