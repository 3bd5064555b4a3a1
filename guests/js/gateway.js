// Gateway plugin in JavaScript (componentize-js), world witplug:gateway/gateway-plugin.
// Behaviour is kept identical to the C and WAT guests: the demo and the tests compare them.
// Types: `witplug types --guest --wit wit --world gateway-plugin` (tsc checks this file against them).
/** @import { FilterExport, ShaperExport, ObserverExport } from 'witplug:guest/gateway-plugin' */
import { log } from 'witplug:host/log@0.1.0';
import { get as configGet } from 'witplug:host/config@0.1.0';

const OLD_PREFIX = '/old/';
const STATIC_PREFIX = '/static/';

/** @satisfies {FilterExport} */
export const filter = {
  check(req) {
    log('info', 'check ' + req.path);
    if (req.method === 'delete' && !req.client.authenticated) {
      return { tag: 'deny', val: { status: 403, reason: 'delete requires authentication' } };
    }
    if (req.path.startsWith(OLD_PREFIX)) {
      return {
        tag: 'redirect',
        val: { location: '/new/' + req.path.slice(OLD_PREFIX.length), permanent: true },
      };
    }
    // option<string>: componentize-js gives the string, or undefined for none.
    const denyPath = configGet('deny-path');
    if (typeof denyPath === 'string' && denyPath === req.path) {
      return { tag: 'deny', val: { status: 404, reason: 'blocked by config' } };
    }
    return { tag: 'pass' };
  },
};

/** @satisfies {ShaperExport} */
export const shaper = {
  shape(req, resp) {
    const cache = {
      noStore: resp.cache.noStore,
      private: resp.cache.private,
      immutable: resp.cache.immutable || req.path.startsWith(STATIC_PREFIX),
    };
    return {
      status: resp.status,
      headers: [...resp.headers, { name: 'x-request-id', values: [req.id.toString()] }],
      body: resp.body,
      cache,
    };
  },
};

/** @satisfies {ObserverExport} */
export const observer = {
  observe(req, status, latencyNs) {
    log('debug', `observe ${req.path} ${status} ${latencyNs}`);
  },
};
