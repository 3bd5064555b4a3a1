// `--workers N`: the gateway on N node:cluster workers sharing one port. The primary runs the
// upstream and the auth service once; each worker runs its own PluginHost over the same plugin
// directory. The workers share the compile cache directory (WITPLUG_CACHE_DIR), whose per-entry
// lock lets one process compile a plugin while the others wait for its artifact, so a cold start
// compiles each plugin once across workers. Each worker reports its cache counts when ready.
import cluster from 'node:cluster';
import { sharedCompileCache } from '../../dist/index.js';
import { startAuthService, startGateway, startUpstream } from './gateway.mjs';
import { clusterViewsClient, serveClusterViews } from './cluster-views.mjs';

const CONFIG_ENV = 'WITPLUG_GATEWAY_WORKER';
/** How long the primary waits for every worker to load its plugins (a cold start compiles them all). */
const READY_BOUND_MS = 300_000;
/** How long a stopping worker may take to close before it is killed. */
const STOP_BOUND_MS = 15_000;

export const isGatewayWorker = () => cluster.isWorker && process.env[CONFIG_ENV] !== undefined;

/**
 * Each worker keeps its own kv file: the journal store is single-writer (it replays its file into
 * memory on open and compacts it by renaming a new file over it), and the SQLite store keeps each
 * namespace's usage in memory for its quota checks. State shared across workers needs a shared
 * backend behind `KvStore`.
 */
export const workerFile = (path, index) => `${path}.worker-${index}`;

/** In a worker: starts the gateway on the primary's services, reports readiness, stops when told. */
export async function runWorker() {
  const { pluginDir, port, kvFile, kvJournal, upstreamPort, authPort, index } = JSON.parse(process.env[CONFIG_ENV]);
  const worker = String(index);
  const gateway = await startGateway({
    pluginDir, port, upstreamPort, authPort, worker,
    ...(kvFile === undefined ? {} : { kvFile: workerFile(kvFile, index) }),
    ...(kvJournal === undefined ? {} : { kvJournal: workerFile(kvJournal, index) }),
    onLog: (record) => process.send?.({ type: 'log', worker, record }),
    clusterViews: (registry, report) => clusterViewsClient(worker, registry, report),
  });
  const { compiled, hits, waitedForPeer } = sharedCompileCache().stats;
  process.send?.({
    type: 'ready', worker, pid: process.pid, url: gateway.url,
    loaded: gateway.loaded.map((p) => p.name),
    failed: gateway.failed.map(({ name, error }) => ({ name, code: error.code, message: error.message })),
    cache: { compiled, hits, waitedForPeer },
  });
  const stop = () => { gateway.close().then(() => process.exit(0), () => process.exit(1)); };
  process.on('message', (m) => { if (m?.type === 'stop') stop(); });
  // Ctrl-C reaches the whole process group: the primary stops the workers in order.
  process.on('SIGINT', () => {});
  // A primary that died leaves no worker behind.
  process.on('disconnect', () => process.exit(0));
}

/**
 * In the primary: starts upstream and auth service, forks `workers` gateways and waits (bounded)
 * until each is ready. `onLog(worker, record)` gets the workers' log records; `onWorkerExit(worker,
 * code, running)` hears of a ready worker that exited unasked (it is not replaced).
 */
export async function startCluster({ workers, pluginDir, port = 0, tokens = ['demo-token'], kvFile, kvJournal, onLog = () => {}, onWorkerExit = () => {} }) {
  const upstream = await startUpstream();
  const auth = await startAuthService(new Set(tokens));
  const children = [];
  const ready = [];
  for (let index = 1; index <= workers; index++) {
    const config = { pluginDir, port, kvFile, kvJournal, upstreamPort: upstream.port, authPort: auth.port, index };
    const child = cluster.fork({ [CONFIG_ENV]: JSON.stringify(config) });
    children.push(child);
    child.on('message', (m) => { if (m?.type === 'log') onLog(m.worker, m.record); });
    ready.push(new Promise((resolveReady, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${index} not ready in ${READY_BOUND_MS} ms`)), READY_BOUND_MS);
      child.on('message', (m) => { if (m?.type === 'ready') { clearTimeout(timer); resolveReady(m); } });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`worker ${index} exited (${code}) before it was ready`)); });
    }));
  }
  const closeServices = () => Promise.all([upstream.server, auth.server].map((s) => new Promise((r) => { s.closeAllConnections?.(); s.close(() => r()); })));
  /** Stops every worker (bounded), then the services; resolves with true when all workers exited cleanly. */
  let closing = false;
  const close = async () => {
    closing = true;
    const exits = children.map((child) => new Promise((resolveExit) => {
      if (child.process.exitCode !== null || child.process.signalCode !== null) { resolveExit(child.process.exitCode === 0); return; }
      const force = setTimeout(() => child.process.kill('SIGKILL'), STOP_BOUND_MS);
      child.once('exit', (code) => { clearTimeout(force); resolveExit(code === 0); });
      if (child.isConnected()) child.send({ type: 'stop' });
      else child.process.kill('SIGTERM');
    }));
    const clean = (await Promise.all(exits)).every(Boolean);
    await closeServices();
    return clean;
  };
  let reports;
  try {
    reports = await Promise.all(ready);
  } catch (e) {
    await close();
    throw e;
  }
  serveClusterViews(children);
  let running = children.length;
  children.forEach((child, i) => child.once('exit', (code, signal) => {
    running--;
    if (!closing) onWorkerExit(reports[i].worker, code ?? signal, running);
  }));
  return { url: reports[0].url, workers: reports, children, close };
}
