// Access-log observer (JavaScript, world log-observer): one line per completed request through the
// host's log, which tags it with this plugin's name, version and hook.
import { log } from 'witplug:host/log@0.1.0';

const METHODS = { get: 'GET', head: 'HEAD', post: 'POST', put: 'PUT', delete: 'DELETE', patch: 'PATCH', options: 'OPTIONS' };

export const observer = {
  observe(req, status, latencyNs) {
    const micros = Number(latencyNs / 1000n);
    log('info', `access ${METHODS[req.method] ?? req.method} ${req.path} ${status} ${micros}us`);
  },
};
