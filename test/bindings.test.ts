import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadContract } from '../src/contract/load.js';
import { generateBindings } from '../src/bindings/typescript.js';
import { WitplugError } from '../src/errors.js';
import type { ComponentShape, ValType } from '../src/component/types.js';
import { lowerCamel } from '../src/component/names.js';
import ts from 'typescript';
import { run } from './helpers/run.js';

const TSC = join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc');
const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'bindings');

/** A scratch folder inside the repository, so `import … from 'witplug'` resolves to this package (dist/). */
function scratch(): string {
  mkdirSync('.cache', { recursive: true });
  const dir = mkdtempSync(join(process.cwd(), '.cache', 'bindings-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], skipLibCheck: true,
      // Generated code imports and declares only what it uses.
      noUnusedLocals: true,
    },
    include: ['*.ts'],
  }));
  return dir;
}

async function tsc(dir: string): Promise<{ ok: boolean; output: string }> {
  const r = await run(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')]);
  return { ok: r.code === 0, output: r.stdout + r.stderr };
}

describe('witplug types: generated bindings compile against a host app', () => {
  let dir: string;
  let hostApp: string;
  beforeAll(async () => {
    dir = scratch();
    const contract = await loadContract(join(FIXTURES, 'kinds.wit'), 'kinds');
    writeFileSync(join(dir, 'kinds.ts'), generateBindings(contract));
    hostApp = readFileSync(join(FIXTURES, 'host-app.ts'), 'utf8');
  }, 120_000);

  it('a world using every type kind: the host app type-checks as written', async () => {
    writeFileSync(join(dir, 'host-app.ts'), hostApp);
    const r = await tsc(dir);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  it('long declarations are wrapped: no generated line is longer than the repository allows', () => {
    const lines = readFileSync(join(dir, 'kinds.ts'), 'utf8').split('\n');
    expect(lines.filter((l) => l.length > 160)).toEqual([]);
  });

  it('a wrong record field, a missing host function and a wrong enum case each fail tsc', async () => {
    const broken = [
      { edit: hostApp.replace('{ x: 1, y: -2 }', '{ x: 1, yy: -2 }'), error: /'yy' does not exist in type 'Point'/ },
      { edit: hostApp.replace('    now: () => 0n,\n', ''), error: /Property '"now"' is missing/ },
      { edit: hostApp.replace("'blue-ish'", "'blue'"), error: /"blue"' is not assignable to parameter of type 'Color'/ },
      { edit: hostApp.replace('-4n, 4n', '-4, 4n'), error: /'number' is not assignable to parameter of type 'bigint'/ },
      { edit: hostApp.replace("target: 'hooks#scalars'", "target: 'hooks#scalar'"), error: /Type '"hooks#scalar"' is not assignable to type .*Did you mean '"hooks#scalars"'/ },
    ];
    for (const b of broken) {
      expect(b.edit).not.toBe(hostApp);
      writeFileSync(join(dir, 'host-app.ts'), b.edit);
      const r = await tsc(dir);
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(b.error);
    }
  });

  it("the repo's example host app type-checks against its committed bindings, and those are current", async () => {
    const example = join(process.cwd(), 'examples', 'gateway-host');
    const fresh = generateBindings(await loadContract('wit', 'gateway-plugin'));
    expect(readFileSync(join(example, 'gateway.ts'), 'utf8'), 'stale: run npm run build').toBe(fresh);
    const d = scratch();
    copyFileSync(join(example, 'gateway.ts'), join(d, 'gateway.ts'));
    copyFileSync(join(example, 'main.ts'), join(d, 'main.ts'));
    const r = await tsc(d);
    expect(r.output).toBe('');
  });
});

describe('typed exports are plugin.fn', () => {
  it('plugin.exports.filter.check answers like plugin.fn, through the generated loader', async () => {
    const contract = await loadContract('wit', 'gateway-plugin');
    const { loadGatewayPlugin } = (await import('../examples/gateway-host/gateway.js')) as typeof import('../examples/gateway-host/gateway.js');
    const plugin = await loadGatewayPlugin('guests/dist/gateway-c.wasm', { contract, config: { 'deny-path': '/blocked' }, log: () => {} });
    const req = {
      id: 1n, method: 'get' as const, path: '/old/x', query: null, headers: [], body: new Uint8Array(),
      client: { tls: true, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
    };
    expect(plugin.exports.filter.check(req)).toEqual({ tag: 'redirect', val: { location: '/new/x', permanent: true } });
    expect(plugin.exports.filter.check({ ...req, path: '/blocked' })).toEqual(plugin.fn('filter#check')({ ...req, path: '/blocked' }));
    expect(Object.keys(plugin.exports)).toEqual(['filter', 'shaper', 'observer']);
    // Not a wrapper: the very function plugin.fn resolves.
    expect(plugin.exports.filter.check).toBe(plugin.fn('witplug:gateway/filter@0.1.0#check'));
  });
});

describe('no text from a contract reaches the generated code', () => {
  const str: ValType = { kind: 'string' };
  const shape = (fieldName: string, typeName: string, paramName: string): ComponentShape => ({
    imports: [],
    exports: [{
      kind: 'interface', name: 'p:q/hooks@1.0.0',
      iface: {
        kind: 'interface', name: 'p:q/hooks@1.0.0', types: new Map(),
        funcs: new Map([['f', { kind: 'func', params: [{ name: paramName, type: { kind: 'record', name: typeName, fields: [{ name: fieldName, type: str }] } }], result: null }]]),
      },
    }],
  });

  it('hostile type and parameter names are refused with CONTRACT', () => {
    for (const [t, p] of [["x = 1; console.log('pwned'); type y", 'ok'], ['ok', 'a: string) => void; declare const x: (b']] as const) {
      expect(() => generateBindings({ world: 'w', shape: shape('f', t, p) })).toThrow(WitplugError);
      try {
        generateBindings({ world: 'w', shape: shape('f', t, p) });
      } catch (e) {
        expect((e as WitplugError).code).toBe('CONTRACT');
      }
    }
  });

  it('a hostile field name only ever appears as a quoted key', () => {
    const evil = "a\": string; }; console.log('pwned'); type Z = { \"b";
    const out = generateBindings({ world: 'w', shape: shape(evil, 'rec', 'r') });
    expect(out).toContain(JSON.stringify(lowerCamel(evil)));
    // Parsed as TypeScript, the module calls nothing but witplug's loader and binder.
    const calls: string[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n)) calls.push(n.expression.getText(file));
      ts.forEachChild(n, visit);
    };
    const file = ts.createSourceFile('b.ts', out, ts.ScriptTarget.ES2022, true);
    visit(file);
    expect(new Set(calls)).toEqual(new Set(['witplug.bindExports', 'witplug.loadPlugin']));
  });
});
