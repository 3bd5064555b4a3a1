// The example gateway: node:http in front of an upstream, every request through the plugins in
// one directory (PluginHost + HostServices). Filters decide (bail: deny / redirect / pass), the
// upstream answers, shapers rewrite the response (waterfall), observers see it (parallel).
// GET /metrics (Prometheus text) and GET /plugins (JSON) are the gateway's own.
import http from 'node:http';
import { HostServices, JournalKvStore, PluginHost, asyncHost, loadContract, openKvStore, recordLogger } from '../../dist/index.js';

const METHODS = new Map([['GET', 'get'], ['HEAD', 'head'], ['POST', 'post'], ['PUT', 'put'], ['DELETE', 'delete'], ['PATCH', 'patch'], ['OPTIONS', 'options']]);
/** Largest request or upstream body the gateway buffers (the plugins see bodies whole). */
const MAX_BODY_BYTES = 1 << 20;
/** Headers the gateway sets itself on the way out; an upstream's copy would be stale once shaped. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date']);

const HOOKS = {
  check: { target: 'filter#check', kind: 'bail', pass: { tag: 'pass' }, optional: true, async: true },
  shape: { target: 'shaper#shape', kind: 'waterfall', optional: true, onError: 'skip' },
  observe: { target: 'observer#observe', kind: 'parallel', optional: true },
};

/** Listens on loopback; resolves with the bound port. */
function listen(server, port = 0) {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListen(server.address().port));
  });
}

function readBody(stream) {
  return new Promise((resolveBody, reject) => {
    const chunks = [];
    let size = 0;
    stream.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) { stream.destroy(); reject(new Error(`body over ${MAX_BODY_BYTES} bytes`)); return; }
      chunks.push(c);
    });
    stream.on('end', () => resolveBody(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** The upstream: echoes what it was asked, as JSON. */
export async function startUpstream() {
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req).catch(() => Buffer.alloc(0));
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo' });
    res.end(JSON.stringify({ upstream: 'echo', method: req.method, url: req.url, bytes: body.length }));
  });
  return { server, port: await listen(server) };
}

/** The auth service the auth plugin's host function asks: 200 for a live token, 403 otherwise. */
export async function startAuthService(tokens) {
  const server = http.createServer((req, res) => {
    const token = new URL(req.url ?? '/', 'http://auth').searchParams.get('token') ?? '';
    res.writeHead(tokens.has(token) ? 200 : 403).end();
  });
  return { server, port: await listen(server) };
}

/** How long the auth service's answer for a token is reused, and for how many tokens at most. */
const TOKEN_TTL_MS = 10_000;
const TOKEN_CACHE_MAX = 10_000;

/**
 * The host's `auth.valid-token`: an async host function (a loopback HTTP call, bounded). Answers
 * are kept for TOKEN_TTL_MS and a kept one is returned at once, not as a promise (`asyncHost`: the
 * plugin waits only when the service is asked), so a service round trip does not bound the
 * gateway's throughput.
 */
function tokenChecker(authPort) {
  const answers = new Map();
  const ask = async (token) => {
    const r = await fetch(`http://127.0.0.1:${authPort}/check?token=${encodeURIComponent(token)}`, { signal: AbortSignal.timeout(2000) });
    const valid = r.status === 200;
    if (answers.size >= TOKEN_CACHE_MAX) answers.clear();
    answers.set(token, { valid, until: Date.now() + TOKEN_TTL_MS });
    return valid;
  };
  return asyncHost((token) => {
    const known = answers.get(token);
    return known !== undefined && known.until > Date.now() ? known.valid : ask(token);
  });
}

function toWitRequest(id, req, path, query, body) {
  const headers = Object.entries(req.headersDistinct).map(([name, values]) => ({ name, values }));
  return {
    id, method: METHODS.get(req.method ?? ''), path, query, headers, body: new Uint8Array(body),
    client: { tls: false, authenticated: false, internal: req.socket.remoteAddress === '127.0.0.1', bot: false },
    receivedAtMs: BigInt(Date.now()),
  };
}

function proxy(upstreamPort, req, path, query, body) {
  return new Promise((resolveProxy, reject) => {
    const headers = { ...req.headers, host: `127.0.0.1:${upstreamPort}` };
    const out = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: query === null ? path : `${path}?${query}`, headers, timeout: 5000 }, (res) => {
      readBody(res).then((data) => resolveProxy({
        status: res.statusCode ?? 502,
        headers: Object.entries(res.headersDistinct).filter(([n]) => !HOP_HEADERS.has(n)).map(([name, values]) => ({ name, values })),
        body: new Uint8Array(data),
        cache: { noStore: false, private: false, immutable: false },
      }), reject);
    });
    out.on('timeout', () => out.destroy(new Error('upstream timed out')));
    out.on('error', reject);
    out.end(body);
  });
}

function plainResponse(status, text) {
  return {
    status, headers: [{ name: 'content-type', values: ['text/plain; charset=utf-8'] }],
    body: new TextEncoder().encode(`${text}\n`), cache: { noStore: true, private: false, immutable: false },
  };
}

function cacheControl(cache) {
  const parts = [cache.noStore && 'no-store', cache.private && 'private', cache.immutable && 'immutable'].filter(Boolean);
  return parts.length === 0 ? null : parts.join(', ');
}

function send(res, response) {
  const headers = {};
  for (const h of response.headers) headers[h.name] = h.values.length === 1 ? h.values[0] : [...h.values];
  const cc = cacheControl(response.cache);
  if (cc !== null) headers['cache-control'] = cc;
  headers['content-length'] = String(response.body.length);
  res.writeHead(response.status, headers);
  res.end(response.body);
}

/** JSON with bigints as strings (plugin stats hold some). */
function json(value) {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

/**
 * Starts upstream, auth service and gateway, which loads and watches `pluginDir`. The plugins' kv
 * state is in memory, or in `kvFile` (SQLite where this Node has node:sqlite, else a journal file),
 * or in the journal file `kvJournal`. `onLog(record)` gets every structured log record
 * (plugin lines tagged with plugin, version and hook; witplug's own with source "witplug").
 * Given `upstreamPort` and `authPort`, it uses those services instead of starting its own (a cluster
 * worker: the primary runs them once); `worker` then names the process in an `x-gateway-worker` header,
 * and `clusterViews(registry, report)` gives the whole cluster's /metrics and /plugins (cluster-views.mjs).
 */
export async function startGateway({ pluginDir, port = 0, tokens = ['demo-token'], kvFile, kvJournal, onLog = () => {}, upstreamPort, authPort, worker, clusterViews }) {
  const owned = [];
  const upstream = upstreamPort === undefined ? await startUpstream() : { port: upstreamPort };
  const auth = authPort === undefined ? await startAuthService(new Set(tokens)) : { port: authPort };
  for (const s of [upstream, auth]) if (s.server !== undefined) owned.push(s.server);
  // Records as objects: the access log writes one per request, so no JSON round trip on the request path.
  const logger = recordLogger(onLog);
  // --kv: SQLite where this Node has node:sqlite, else the journal; --kv-journal: the journal; else memory.
  const kv = kvFile !== undefined ? openKvStore(kvFile) : kvJournal !== undefined ? new JournalKvStore(kvJournal) : undefined;
  const services = new HostServices({ logger, ...(kv === undefined ? {} : { kv }) });
  const contract = await loadContract(new URL('./.build/contract', import.meta.url).pathname, 'gateway-host');
  const host = new PluginHost({
    contract, hooks: HOOKS, services,
    host: { 'witplug:gateway/auth@0.1.0': { 'valid-token': tokenChecker(auth.port) } },
    limits: { timeoutMs: 3000 },
    // In-process where a plugin can run there; the auth plugin awaits an async host function, which
    // in-process needs JS promise integration (Node ≥ 25): without it, it gets a worker.
    isolate: 'auto',
    manifestPolicy: { priority: { min: 0, max: 100 } },
  });
  const { loaded, failed } = await host.loadDir(pluginDir);
  // A changed <name>.wasm is reloaded, admitted first; a refused version leaves the old one serving.
  services.watch(host, pluginDir);
  const check = host.hook('check');
  const shape = host.hook('shape');
  const observe = host.hook('observe');
  let nextId = 0n;
  const cluster = clusterViews?.(services.metrics.registry, () => JSON.parse(json(services.pluginsReport(host))));
  /** The cluster's answer when this is a cluster worker and the primary answers in time, else this process's own (and which it is). */
  async function inCluster(whole, own) {
    if (cluster !== undefined) {
      try {
        return ['cluster', await whole()];
      } catch (e) {
        onLog({ level: 40, source: 'witplug', msg: `cluster view unavailable, answering for this worker: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
    return [cluster === undefined ? 'process' : 'worker', await own()];
  }

  async function handle(req, res) {
    const started = process.hrtime.bigint();
    if (worker !== undefined) res.setHeader('x-gateway-worker', worker);
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname === '/metrics') {
      const [scope, text] = await inCluster(() => cluster.metrics(), () => services.metrics.prometheus());
      res.writeHead(200, { 'content-type': services.metrics.registry.contentType, 'x-metrics-scope': scope }).end(text);
      return;
    }
    if (url.pathname === '/plugins') {
      // Under --workers: this worker's report, and every worker's under `workers`.
      const own = services.pluginsReport(host);
      const [scope, all] = await inCluster(() => cluster.plugins(), () => null);
      res.writeHead(200, { 'content-type': 'application/json', 'x-metrics-scope': scope }).end(json(all === null ? own : { ...own, ...all }));
      return;
    }
    if (!METHODS.has(req.method ?? '')) {
      res.writeHead(405, { allow: [...METHODS.keys()].join(', ') }).end();
      return;
    }
    const path = decodeURIComponent(url.pathname);
    const query = url.search === '' ? null : url.search.slice(1);
    const witReq = toWitRequest(nextId++, req, path, query, await readBody(req));
    let response;
    try {
      const decision = await check(witReq);
      if (decision.tag === 'deny') response = plainResponse(decision.val.status, decision.val.reason);
      else if (decision.tag === 'redirect') {
        response = plainResponse(decision.val.permanent ? 308 : 307, `see ${decision.val.location}`);
        response.headers.push({ name: 'location', values: [decision.val.location] });
      } else response = await proxy(upstream.port, req, path, query, witReq.body);
    } catch (e) {
      // A failing filter fails closed; an unreachable upstream is the upstream's fault.
      const code = e && typeof e === 'object' && 'code' in e ? String(e.code) : 'UPSTREAM';
      response = plainResponse(code === 'UPSTREAM' ? 502 : 503, `gateway: ${code}`);
    }
    response = shape(witReq, response);
    send(res, response);
    observed.push([witReq, response.status, process.hrtime.bigint() - started]);
    if (observed.length === 1) setImmediate(flushObserved);
  }

  // Observers see each request after its response is out, in batches per event-loop turn: an
  // observer's calls then run back to back, its code still in the CPU's caches (the JS access log:
  // ~170 instead of ~220 µs of the gateway's CPU per request), and a response never waits for them.
  let observed = [];
  function flushObserved() {
    const batch = observed;
    observed = [];
    for (const [r, status, latency] of batch) observe(r, status, latency);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' }).end(`${e instanceof Error ? e.message : String(e)}\n`);
      else res.destroy();
    });
  });
  const bound = await listen(server, port);
  return {
    url: `http://127.0.0.1:${bound}`, host, services, loaded, failed,
    async close() {
      await Promise.all([server, ...owned].map((s) => new Promise((r) => { s.closeAllConnections?.(); s.close(() => r()); })));
      await host.close();
    },
  };
}
