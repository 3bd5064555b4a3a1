/**
 * Typed hooks: with the bindings `witplug types` generates, `host.hook(name)`
 * takes the hook target's parameters and returns what the dispatch kind
 * gives. Checked by tsc on a host app (a wrong argument, hook name or result
 * type fails to compile), and against real guests (the types describe the
 * values dispatch returns).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadContract } from '../src/contract/load.js';
import { run } from './helpers/run.js';
import { createGatewayPluginHost, type Decision, type Request, type Response } from '../examples/gateway-host/gateway.js';

const TSC = join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc');

function scratch(): string {
  mkdirSync('.cache', { recursive: true });
  const dir = mkdtempSync(join(process.cwd(), '.cache', 'bindings-hooks-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], skipLibCheck: true,
      noUnusedLocals: true,
    },
    include: ['*.ts'],
  }));
  copyFileSync(join('examples', 'gateway-host', 'gateway.ts'), join(dir, 'gateway.ts'));
  return dir;
}

async function tsc(dir: string): Promise<{ ok: boolean; output: string }> {
  const r = await run(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')]);
  return { ok: r.code === 0, output: r.stdout + r.stderr };
}

/** A host app asserting each dispatcher's type: `const x: Equal<A, B> = true` fails to compile unless A and B are each other's subtypes. */
const HOST_APP = `import { loadContract } from 'witplug';
import { createGatewayPluginHost, type Decision, type Request, type Response } from './gateway.js';

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
declare const request: Request;
declare const response: Response;

export async function typedHooks(): Promise<readonly boolean[]> {
  const host = createGatewayPluginHost({
    contract: await loadContract('wit', 'gateway-plugin'),
    hooks: {
      check: { target: 'filter#check', kind: 'bail', pass: { tag: 'pass' } },
      gate: { target: 'filter#check', kind: 'bail' },
      firstDecision: { target: 'witplug:gateway/filter@0.1.0#check', kind: 'first' },
      decisions: { target: 'filter#check', kind: 'collect' },
      shape: { target: 'shaper#shape', kind: 'waterfall' },
      observe: { target: 'observer#observe', kind: 'parallel' },
      tell: { target: 'observer#observe', kind: 'series' },
      checkAsync: { target: 'filter#check', kind: 'bail', pass: { tag: 'pass' }, async: true },
      decisionsAsync: { target: 'filter#check', kind: 'collect', async: true },
      observeAsync: { target: 'observer#observe', kind: 'parallel', async: true },
    },
    host: {
      // A host function may be async: its result may be a Promise.
      'witplug:host/log@0.1.0': { log: async (level, message) => { await Promise.resolve(level + message); } },
    },
  });
  const check = host.hook('check');
  const shape = host.hook('shape');
  const observe = host.hook('observe');
  const decision = check(request);
  const location: string | null = decision.tag === 'redirect' ? decision.val.location : null;
  const shaped: Response = shape(request, response);
  const a: Equal<Parameters<typeof check>, [req: Request]> = true;
  const b: Equal<ReturnType<typeof check>, Decision> = true;
  const c: Equal<ReturnType<ReturnType<typeof host.hook<'gate'>>>, Decision | null> = true;
  const d: Equal<ReturnType<ReturnType<typeof host.hook<'firstDecision'>>>, Decision | null> = true;
  const e: Equal<ReturnType<ReturnType<typeof host.hook<'decisions'>>>, Decision[]> = true;
  const f: Equal<Parameters<typeof shape>, [req: Request, resp: Response]> = true;
  const g: Equal<ReturnType<typeof shape>, Response> = true;
  const h: Equal<ReturnType<typeof observe>, undefined> = true;
  const i: Equal<ReturnType<ReturnType<typeof host.hook<'tell'>>>, undefined> = true;
  const j: Equal<Parameters<typeof observe>, [req: Request, status: number, latencyNs: bigint]> = true;
  const checkAsync = host.hook('checkAsync');
  const later: Decision = await checkAsync(request);
  const k: Equal<ReturnType<typeof checkAsync>, Promise<Decision>> = true;
  const l: Equal<ReturnType<ReturnType<typeof host.hook<'decisionsAsync'>>>, Promise<Decision[]>> = true;
  const m: Equal<ReturnType<ReturnType<typeof host.hook<'observeAsync'>>>, Promise<undefined>> = true;
  const n: Equal<Parameters<typeof checkAsync>, [req: Request]> = true;
  return [location === null, shaped.status === 200, later.tag === 'pass', a, b, c, d, e, f, g, h, i, j, k, l, m, n];
}
`;

describe('host.hook(name) typed from the generated bindings (tsc)', () => {
  it('each dispatch kind gives its own result type, with the target\'s parameters', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'host-app.ts'), HOST_APP);
    const r = await tsc(dir);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  it('a wrong argument, a missing argument, an unknown hook and a wrong result type each fail tsc', async () => {
    const dir = scratch();
    const broken = [
      { edit: HOST_APP.replace('check(request);', 'check(response);'), error: /error TS2345: Argument of type 'Response' is not assignable to parameter of type 'Request'/ },
      { edit: HOST_APP.replace('shape(request, response);', 'shape(request);'), error: /error TS2554: Expected 2 arguments, but got 1/ },
      { edit: HOST_APP.replace("host.hook('observe')", "host.hook('observer')"), error: /error TS2345: Argument of type '"observer"' is not assignable to parameter of type '"check" \| "shape" \| "observe" \| "gate"/ },
      { edit: HOST_APP.replace('const shaped: Response', 'const shaped: Decision'), error: /error TS2322: Type 'Response' is not assignable to type 'Decision'/ },
      { edit: HOST_APP.replace('Decision[]> = true', 'Decision> = true'), error: /error TS2322: Type 'true' is not assignable to type 'false'/ },
      // An async hook's result is a Promise: using it as the value fails.
      { edit: HOST_APP.replace('const later: Decision = await checkAsync(request);', 'const later: Decision = checkAsync(request);'), error: /error TS2741: Property 'tag' is missing in type 'Promise<Decision>'|error TS2322: Type 'Promise<Decision>' is not assignable to type 'Decision'/ },
      { edit: HOST_APP.replace('async (level, message) => { await Promise.resolve(level + message); }', 'async (level, message) => level + message'), error: /error TS2322/ },
    ];
    for (const b of broken) {
      expect(b.edit).not.toBe(HOST_APP);
      writeFileSync(join(dir, 'host-app.ts'), b.edit);
      const r = await tsc(dir);
      expect(r.ok, b.error.source).toBe(false);
      expect(r.output).toMatch(b.error);
    }
  });
});

/** The README's two TypeScript examples under "Using it from TypeScript" (one plugin, then a PluginHost) as one host app. */
function readmeHostApp(): string {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Using it from TypeScript'));
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].slice(0, 2).map((m) => m[1]!);
  expect(blocks[1], 'the README\'s PluginHost example').toContain('createGatewayPluginHost');
  return [
    'declare const newBytes: Uint8Array;',
    'declare function appendToAuditLog(line: string): Promise<void>;',
    blocks[0]!.replace(/^\/\/ → .*$/m, ''),
    blocks[1]!,
  ].join('\n');
}

describe("the README's host-app example", () => {
  it('type-checks against the generated bindings: an async host function, async typed hooks', async () => {
    const dir = scratch();
    const app = readmeHostApp();
    expect(app).toContain('async: true');
    writeFileSync(join(dir, 'host-app.ts'), app);
    const r = await tsc(dir);
    expect(r.output).toBe('');
    // The hook is a Promise: using its result without await fails to compile.
    writeFileSync(join(dir, 'host-app.ts'), app.replace('= await check(req)', '= check(req)'));
    expect((await tsc(dir)).output).toMatch(/Property 'val' does not exist on type 'Promise<Decision>'|error TS2339/);
  });

  it('runs on this Node with a real plugin in plugins/: the async host function is awaited, the hook answers', async () => {
    const dir = scratch();
    const runnable = readmeHostApp()
      .replace('declare const newBytes: Uint8Array;', "import { readFileSync } from 'node:fs';\nconst newBytes = readFileSync('guests/dist/gateway-wat.wasm');")
      .replace('declare function appendToAuditLog(line: string): Promise<void>;', 'const audit: string[] = [];\nasync function appendToAuditLog(line: string): Promise<void> { audit.push(line); }')
      + '\nconsole.log(JSON.stringify({ audit, plugins: host.plugins().map((p) => p.name) }));\nhost.close();\nawait plugin.close();\n';
    writeFileSync(join(dir, 'host-app.ts'), runnable);
    writeFileSync(join(dir, 'tsconfig.emit.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: false, outDir: 'out', rootDir: '.' } }));
    const built = await run(process.execPath, [TSC, '-p', join(dir, 'tsconfig.emit.json')]);
    expect(built.stdout + built.stderr).toBe('');
    cpSync('wit', join(dir, 'wit'), { recursive: true });
    mkdirSync(join(dir, 'guests', 'dist'), { recursive: true });
    mkdirSync(join(dir, 'plugins'));
    for (const g of ['gateway-c.wasm', 'gateway-wat.wasm']) copyFileSync(join('guests', 'dist', g), join(dir, 'guests', 'dist', g));
    copyFileSync(join('guests', 'dist', 'gateway-c.wasm'), join(dir, 'plugins', 'x.wasm'));
    const r = await run(process.execPath, [join('out', 'host-app.js')], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const [location, summary] = r.stdout.trim().split('\n');
    expect(location).toBe('/new/x');
    expect(JSON.parse(summary!)).toEqual({ audit: ['x info: check /old/x'], plugins: ['x'] });
  }, 120_000);
});

describe('typed hooks describe what dispatch returns (real guests)', () => {
  const request: Request = {
    id: 1n, method: 'get', path: '/old/x', query: null, headers: [], body: new Uint8Array(),
    client: { tls: true, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
  };
  const response: Response = { status: 200, headers: [], body: new Uint8Array(), cache: { noStore: false, private: false, immutable: false } };

  it('bail, first, collect, waterfall and parallel over the C and WAT gateway guests; async hooks also over the JS guest', async () => {
    const host = createGatewayPluginHost({
      contract: await loadContract('wit', 'gateway-plugin'),
      hooks: {
        gate: { target: 'filter#check', kind: 'bail' },
        firstDecision: { target: 'filter#check', kind: 'first' },
        decisions: { target: 'filter#check', kind: 'collect' },
        shape: { target: 'shaper#shape', kind: 'waterfall' },
        observe: { target: 'observer#observe', kind: 'parallel' },
        gateAsync: { target: 'filter#check', kind: 'bail', async: true },
        shapeAsync: { target: 'shaper#shape', kind: 'waterfall', async: true },
        decisionsAsync: { target: 'filter#check', kind: 'collect', async: true },
      },
      logger: () => {},
    });
    try {
      // No plugins yet: what each kind returns then is part of its type.
      expect(host.hook('gate')(request)).toBeNull();
      expect(host.hook('firstDecision')(request)).toBeNull();
      expect(host.hook('decisions')(request)).toEqual([]);

      await host.load('guests/dist/gateway-c.wasm', { config: { 'deny-path': '/blocked' } });
      await host.load('guests/dist/gateway-wat.wasm');
      const decisions = host.hook('decisions')(request);
      expectTypeOf(decisions).toEqualTypeOf<Decision[]>();
      expect(decisions).toHaveLength(2);
      for (const d of decisions) expect(d).toEqual({ tag: 'redirect', val: { location: '/new/x', permanent: true } });
      const gate = host.hook('gate')(request);
      expectTypeOf(gate).toEqualTypeOf<Decision | null>();
      expect(gate).toEqual(decisions[0]);
      const shaped = host.hook('shape')({ ...request, path: '/static/x' }, response);
      expectTypeOf(shaped).toEqualTypeOf<Response>();
      expect(shaped.cache.immutable).toBe(true);
      const observed = host.hook('observe')(request, 200, 5n);
      expectTypeOf(observed).toEqualTypeOf<undefined>();
      expect(observed).toBeUndefined();

      // The same dispatch declared async: the same values, as promises (the JS guest too).
      await host.load('guests/dist/gateway-js.wasm');
      const pending = host.hook('decisionsAsync')(request);
      expectTypeOf(pending).toEqualTypeOf<Promise<Decision[]>>();
      const all = await pending;
      expect(all).toHaveLength(3);
      for (const d of all) expect(d).toEqual({ tag: 'redirect', val: { location: '/new/x', permanent: true } });
      expect(await host.hook('gateAsync')(request)).toEqual(all[0]);
      const shapedAsync = await host.hook('shapeAsync')({ ...request, path: '/static/x' }, response);
      expectTypeOf(shapedAsync).toEqualTypeOf<Response>();
      expect(shapedAsync).toEqual(host.hook('shape')({ ...request, path: '/static/x' }, response));
    } finally {
      host.close();
    }
  }, 120_000);
});
