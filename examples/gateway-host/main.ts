// A host app over generated bindings: `npm run build` regenerates ./gateway.ts from wit/
// (`witplug types --wit wit --world gateway-plugin -o examples/gateway-host/gateway.ts`).
import { loadContract } from 'witplug';
import { loadGatewayPlugin, type Decision, type Request } from './gateway.js';

export async function checkOnce(pluginPath: string): Promise<Decision> {
  const contract = await loadContract('wit', 'gateway-plugin');
  const plugin = await loadGatewayPlugin(pluginPath, { contract, config: { 'deny-path': '/blocked' } });
  const req: Request = {
    id: 1n, method: 'get', path: '/old/x', query: null, headers: [], body: new Uint8Array(),
    client: { tls: true, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
  };
  const decision = plugin.exports.filter.check(req); // typed: Decision
  if (decision.tag === 'redirect') console.log(`redirect to ${decision.val.location}`);
  return decision;
}
