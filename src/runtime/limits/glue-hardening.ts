/**
 * The output cap and guest-memory bounds inside jco's generated glue: a few
 * exact text rewrites of the glue (checked against each jco release by
 * test/jco-glue-shape.test.ts) and the helper functions they call.
 */

/** Marker on errors thrown by the hardened glue's string decoder. */
export const OUTPUT_LIMIT_MARK = Symbol.for('witplug.outputLimit');
/** Global slot holding what is left of the current call's output budget (calls are synchronous); the hardened glue charges it. */
export const OUTPUT_CAP_SLOT = '__witplugMaxOutputBytes';

/**
 * Makes jco's glue (a) refuse invalid UTF-8 instead of substituting U+FFFD
 * (the canonical ABI says lifting invalid UTF-8 traps), (b) charge every
 * string and list it lifts to the call's output budget *before* copying it,
 * and (c) trap on a list outside guest memory (jco's `buffer.slice` would
 * silently clamp it to a short or empty list), and (d) makes instantiation
 * cheap without JSPI (see __witplugPromising). Everything else in the glue is
 * untouched; if jco changes these lines, the glue is used as is and only the
 * after-the-fact output check applies (test/jco-glue-shape.test.ts fails then,
 * naming the rewrite that no longer matches).
 */
export function hardenGlue(glue: string): string {
  let hardened = glue;
  for (const r of GLUE_REWRITES) hardened = hardened.replace(r.pattern, r.replacement);
  // The glue imports nothing: function declarations ahead of it are in scope everywhere in it.
  return hardened === glue ? glue : `${GLUE_HELPERS}\n${hardened}`;
}

/** One text rewrite of jco's glue; `pattern` is what jco emits (the exact shape witplug relies on). */
export interface GlueRewrite {
  readonly name: string;
  readonly pattern: RegExp;
  readonly replacement: (match: string, ...groups: string[]) => string;
}

/** hardenGlue's rewrites, in order. */
export const GLUE_REWRITES: readonly GlueRewrite[] = [
  { name: 'strict UTF-8 decoder', pattern: /const TEXT_DECODER_UTF8 = new TextDecoder\(\);/, replacement: () => STRICT_DECODER },
  { name: 'shared UTF-16 decoder', pattern: /const utf16Decoder = new TextDecoder\('utf-16'\);/, replacement: () => 'const utf16Decoder = __witplugUtf16;' },
  {
    // Typed-array lists: `new Uint8Array(memory0.buffer.slice(ptr0, ptr0 + len0 * 1))`.
    name: 'typed-array list slice',
    pattern: /\b([\w$]+)\.buffer\.slice\(([\w$]+), \2 \+ ([\w$]+) \* (\d+)\)/g,
    replacement: (_m, mem, ptr, len, size) => `__witplugSlice(${mem}.buffer, ${ptr}, ${len}, ${size})`,
  },
  {
    // Other lists: the lifting loop `for (let i = 0; i < len1; i++) { const base = base1 + i * 8;` (lowering loops read `vecN.length`).
    name: 'list lifting loop',
    pattern: /for \(let i = 0; i < (len\d+); i\+\+\) \{(\s*)const base = (base\d+) \+ i \* (\d+);/g,
    replacement: (_m, len, ws, base, size) => `for (let i = __witplugChargeList(${len}, ${size}); i < ${len}; i++) {${ws}const base = ${base} + i * ${size};`,
  },
  // Instantiation: see __witplugPromising.
  { name: 'WebAssembly.promising probe', pattern: /\bWebAssembly\.promising\(/g, replacement: () => '__witplugPromising(' },
];

/** The helpers hardenGlue's replacements call, put ahead of the glue. */
const GLUE_HELPERS = `function __witplugCharge(bytes, what) {
  // The slot holds what is left of the call's output budget (undefined outside a call).
  const left = globalThis.${OUTPUT_CAP_SLOT};
  if (left === undefined) return;
  if (bytes > left) {
    globalThis.${OUTPUT_CAP_SLOT} = 0;
    const e = new RangeError(what + ' of ' + bytes + ' bytes exceeds what is left (' + left + ' bytes) of the output limit of this call');
    e[Symbol.for('witplug.outputLimit')] = true;
    throw e;
  }
  globalThis.${OUTPUT_CAP_SLOT} = left - bytes;
}
function __witplugSlice(buffer, ptr, len, size) {
  const bytes = len * size;
  if (ptr + bytes > buffer.byteLength) throw new TypeError('canonical ABI: list at ' + ptr + ' of ' + bytes + ' bytes is outside memory of ' + buffer.byteLength + ' bytes');
  __witplugCharge(bytes, 'a list');
  return buffer.slice(ptr, ptr + bytes);
}
// jco's glue tries WebAssembly.promising on each export at every instantiation and catches the
// failure. Without JSPI (Node 20) that call throws "not a function", whose message V8 builds by
// re-parsing the whole instantiate function: measured ~0.4 ms per throw, 3 throws for a 10 KB
// plugin, 90% of an instantiation. Same outcome here (a throw jco catches), with a prebuilt error.
const __witplugNoJspi = new TypeError('WebAssembly.promising is not available (no JSPI)');
function __witplugPromising(f) {
  if (typeof WebAssembly.promising !== 'function') throw __witplugNoJspi;
  return WebAssembly.promising(f);
}
// Decoders are stateless when never given { stream: true }, as in jco's glue: one per glue instead
// of one per instance (each holds an ICU converter, a few µs to create).
const __witplugFatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const __witplugStrictUtf8 = {
  decode(bytes) {
    if (bytes !== undefined) __witplugCharge(bytes.byteLength, 'a string');
    try {
      return __witplugFatalUtf8.decode(bytes);
    } catch (err) {
      throw new TypeError('invalid UTF-8 in a string lifted from the plugin (' + (err && err.message) + ')');
    }
  },
};
const __witplugUtf16 = new TextDecoder('utf-16');
function __witplugChargeList(len, size) {
  // At least 8 bytes per element: each becomes a JS value (see jsSize in src/runtime/abi/value-code.ts).
  __witplugCharge(len * Math.max(size, 8), 'a list');
  return 0;
}`;

/** Replaces jco's `TEXT_DECODER_UTF8` line: strict UTF-8, each string charged before it is decoded (__witplugStrictUtf8). */
const STRICT_DECODER = 'const TEXT_DECODER_UTF8 = __witplugStrictUtf8;';
