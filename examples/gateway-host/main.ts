// A host app over generated bindings: `npm run build` regenerates ./gateway.ts from wit/
// (`witplug types --wit wit --world gateway-plugin -o examples/gateway-host/gateway.ts`).
// tsc checks it in `npm test`: a wrong field, hook target or host function fails the build.
import { loadContract } from 'witplug';
import { createGatewayPluginHost, loadGatewayPlugin, type Decision, type Hooks, type Request } from './gateway.js';

const request: Request = {
  id: 1n, method: 'get', path: '/old/x', query: null, headers: [], body: new Uint8Array(),
  client: { tls: true, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
};

/** One plugin, typed exports. */
export async function checkOnce(pluginPath: string): Promise<Decision> {
  const contract = await loadContract('wit', 'gateway-plugin');
  const plugin = await loadGatewayPlugin(pluginPath, { contract, config: { 'deny-path': '/blocked' } });
  const decision = plugin.exports.filter.check(request); // typed: Decision
  if (decision.tag === 'redirect') console.log(`redirect to ${decision.val.location}`);
  return decision;
}

/** Every plugin in a directory, each hook dispatched across them; `host.hook` is typed from the hook table. */
export async function serveDirectory(dir: string): Promise<Decision> {
  const hooks = {
    check: { target: 'filter#check', kind: 'bail', pass: { tag: 'pass' } },
    shape: { target: 'shaper#shape', kind: 'waterfall' },
    observe: { target: 'observer#observe', kind: 'parallel' },
  } satisfies Hooks;
  const host = createGatewayPluginHost({ contract: await loadContract('wit', 'gateway-plugin'), hooks, limits: { timeoutMs: 50 } });
  await host.loadDir(dir);
  const check = host.hook('check'); // (req: Request) => Decision
  const shape = host.hook('shape'); // (req: Request, resp: Response) => Response
  const observe = host.hook('observe'); // (req: Request, status: number, latencyNs: bigint) => undefined
  const decision = check(request);
  if (decision.tag === 'pass') {
    const response = shape(request, { status: 200, headers: [], body: new Uint8Array(), cache: { noStore: false, private: false, immutable: false } });
    observe(request, response.status, 0n);
  }
  return decision;
}
