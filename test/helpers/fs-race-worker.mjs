// A host thread of its own for test/sandbox-fs-race.test.ts: loads the fs-probe plugin
// (in-process in this thread, or isolated in a worker of its own) with a grant on one
// directory and runs one side of the race until the other side is done.
//   swapper: keeps moving directory `x` between a plain directory and one whose `sub` is a
//            symlink `../..` (harmless at deep/E, pointing above the grant once at x).
//   reader:  keeps opening `x/sub/secret.txt` (and, with a read-write grant, creating
//            `x/sub/planted.txt`), counting reads that returned the secret from outside.
// Runs witplug's compiled code (dist/), as isolation workers do.
import { parentPort, workerData } from 'node:worker_threads';

const { loadPlugin, loadContract, CompileCache } = await import(new URL('../../dist/index.js', import.meta.url).href);
const { role, data, readonly, isolate, probe, wit, cacheDir, maxOps, deadline } = workerData;
/** [0]: go (set by the test), [1]: the reader is done. */
const control = new Int32Array(workerData.control);
const ERR_NAMES = { 20: 'no-entry', 31: 'not-permitted', 24: 'not-directory', 15: 'loop', 33: 'read-only' };

const contract = await loadContract(wit, 'fs-probe');
const plugin = await loadPlugin(probe, {
  contract,
  cache: new CompileCache(cacheDir),
  ...(isolate ? { isolate: true } : {}),
  grant: { filesystem: [{ host: data, guest: '/data', readonly }] },
});
const pre = plugin.call('preopen', [0]);
parentPort.postMessage({ type: 'ready' });
while (Atomics.load(control, 0) === 0) Atomics.wait(control, 0, 0, 100);

const stats = { ops: 0, reads: 0, inside: 0, escapes: 0, creates: 0, errors: {} };
const count = (code) => {
  const name = ERR_NAMES[code] ?? `#${code}`;
  stats.errors[name] = (stats.errors[name] ?? 0) + 1;
};
try {
  if (role === 'swapper') {
    const steps = [['x', 'safe'], ['deep/E', 'x'], ['x', 'deep/E'], ['safe', 'x']];
    while (Atomics.load(control, 1) === 0 && Date.now() < deadline) {
      for (const [from, to] of steps) {
        const r = plugin.call('rename-at', [pre, from, pre, to]);
        if (r.tag === 'err') count(r.val);
        stats.ops++;
      }
    }
  } else {
    while (stats.reads < maxOps && Date.now() < deadline) {
      const r = plugin.call('open-at', [pre, 'x/sub/secret.txt', true, 0, 1]);
      stats.reads++;
      if (r.tag === 'ok') {
        const content = plugin.call('read', [r.val]);
        plugin.call('drop', [r.val]);
        if (content.tag === 'ok' && content.val.includes('SECRET')) stats.escapes++;
        else if (content.tag === 'ok') stats.inside++;
      } else count(r.val);
      if (!readonly) {
        const w = plugin.call('open-at', [pre, 'x/sub/planted.txt', true, 1, 2]);
        if (w.tag === 'ok') {
          plugin.call('drop', [w.val]);
          stats.creates++;
        } else count(w.val);
      }
    }
    Atomics.store(control, 1, 1);
  }
} catch (e) {
  stats.failure = `${e?.code ?? ''} ${e?.message ?? String(e)}`;
  Atomics.store(control, 1, 1);
} finally {
  await plugin.close();
}
parentPort.postMessage({ type: 'done', stats });
