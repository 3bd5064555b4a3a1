// The call shapes measured by `npm run bench`, with their inputs and expected
// results (every runner's result is checked once before it is timed, so a
// broken baseline shows up as an error instead of a fast wrong number).

export const REQUEST = Object.freeze({
  id: 42n,
  method: 'get',
  path: '/admin/users',
  query: 'page=2&sort=name',
  headers: [
    { name: 'host', values: ['example.com'] },
    { name: 'accept', values: ['text/html', 'application/json'] },
    { name: 'user-agent', values: ['bench/1.0'] },
  ],
  body: new Uint8Array(0),
  client: { tls: true, authenticated: false, internal: false, bot: false },
  receivedAtMs: 1700000000000n,
});
/** The gateway rule in bench.wat: /admin without `authenticated` -> deny 403. */
export const EXPECTED_DECISION = { tag: 'deny', val: { status: 403, reason: 'forbidden' } };

export const ECHO11 = 'hello world';
export const ECHO4K = 'abcdefghijklmnopqrstuvwxyz012345'.repeat(128); // 4096 ASCII bytes
export const BYTES64K = Uint8Array.from({ length: 65536 }, (_, i) => (i * 31 + 7) & 0xff);
export const BYTES64K_SUM = BYTES64K.reduce((a, b) => a + b, 0);

/**
 * id: key in results; label: table row; witplug: target passed to plugin.fn.
 * @type {ReadonlyArray<{ id: string, label: string, func: string }>}
 */
export const SHAPES = [
  { id: 'noop', label: 'no-op', func: 'noop' },
  { id: 'add', label: 'add(u32,u32)->u32', func: 'add' },
  { id: 'echo11', label: 'echo 11-byte string', func: 'echo' },
  { id: 'echo4k', label: 'echo 4 KiB string', func: 'echo' },
  { id: 'bytes64k', label: 'list<u8> 64 KiB in', func: 'sum-bytes' },
  { id: 'check', label: 'record->variant (check)', func: 'check' },
  { id: 'resource', label: 'resource method (counter.incr)', func: '[method]counter.incr' },
];

export function sameDecision(a) {
  return a !== null && typeof a === 'object' && a.tag === 'deny' && a.val?.status === 403 && a.val?.reason === 'forbidden';
}

/** Expected results per shape, checked once per runner. */
export const EXPECT = {
  noop: (v) => v === undefined || v === null,
  add: (v) => v === 7,
  echo11: (v) => v === ECHO11,
  echo4k: (v) => v === ECHO4K,
  bytes64k: (v) => v === BYTES64K_SUM,
  check: sameDecision,
  resource: (v) => typeof v === 'number' && v > 0,
};
