// Whole-cluster answers for /metrics and /plugins under --workers N: the worker a request reaches
// asks the primary, which gathers from every worker over the cluster's IPC channel (prom-client's
// AggregatorRegistry sums the metrics; the plugin reports are listed per worker). Every wait is
// bounded; a worker that cannot get the cluster's answer serves its own, marked as such.
import { AggregatorRegistry } from 'prom-client';

/** How long the primary waits for the workers' answers, and a worker for the primary's. */
const ASK_BOUND_MS = 2000;

/** In the primary: answers the workers' `cluster-ask` messages. */
export function serveClusterViews(children) {
  const aggregator = new AggregatorRegistry();
  const gathering = new Map();
  let nextId = 0;

  function gatherPlugins() {
    const live = children.filter((c) => c.isConnected());
    const id = nextId++;
    return new Promise((resolveAll) => {
      const workers = [];
      const finish = () => {
        clearTimeout(timer);
        gathering.delete(id);
        workers.sort((a, b) => Number(a.worker) - Number(b.worker));
        resolveAll({ workers, unanswered: live.length - workers.length });
      };
      const timer = setTimeout(finish, ASK_BOUND_MS);
      gathering.set(id, (worker, report) => {
        workers.push({ worker, ...report });
        if (workers.length === live.length) finish();
      });
      for (const c of live) c.send({ type: 'plugins-report?', id });
    });
  }

  for (const child of children) {
    child.on('message', (m) => {
      if (m?.type === 'plugins-report') gathering.get(m.id)?.(m.worker, m.report);
      if (m?.type !== 'cluster-ask') return;
      const answer = m.what === 'metrics' ? aggregator.clusterMetrics() : gatherPlugins();
      answer.then(
        (body) => { if (child.isConnected()) child.send({ type: 'cluster-answer', id: m.id, ok: true, body }); },
        (e) => { if (child.isConnected()) child.send({ type: 'cluster-answer', id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) }); },
      );
    });
  }
}

/**
 * In a worker: `metrics()` and `plugins()` ask the primary for the whole cluster's view; the
 * worker answers the primary's requests for its own plugin report (`report()`, JSON-safe) and
 * offers its metrics `registry` to the aggregation.
 */
export function clusterViewsClient(worker, registry, report) {
  AggregatorRegistry.setRegistries([registry]);
  // prom-client answers the primary's metric requests from a process that constructed an aggregator.
  void new AggregatorRegistry();
  const waiting = new Map();
  let nextId = 0;
  process.on('message', (m) => {
    if (m?.type === 'cluster-answer') waiting.get(m.id)?.(m);
    else if (m?.type === 'plugins-report?') process.send?.({ type: 'plugins-report', id: m.id, worker, report: report() });
  });
  const ask = (what) => new Promise((resolveAsk, reject) => {
    const id = nextId++;
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error(`the primary did not answer within ${ASK_BOUND_MS + 500} ms`));
    }, ASK_BOUND_MS + 500);
    waiting.set(id, (m) => {
      clearTimeout(timer);
      waiting.delete(id);
      if (m.ok) resolveAsk(m.body);
      else reject(new Error(m.error));
    });
    process.send?.({ type: 'cluster-ask', id, what });
  });
  return { metrics: () => ask('metrics'), plugins: () => ask('plugins') };
}
