// jco-latest: shape id -> closure calling jco 1.35's generated bindings.
import { ECHO11, ECHO4K, BYTES64K, REQUEST } from './shapes.mjs';

export function jcoRunners(exports) {
  const s = exports.shapes;
  const counter = new s.Counter(1);
  return {
    noop: () => s.noop(),
    add: () => s.add(3, 4),
    echo11: () => s.echo(ECHO11),
    echo4k: () => s.echo(ECHO4K),
    bytes64k: () => s.sumBytes(BYTES64K),
    check: () => s.check(REQUEST),
    resource: () => counter.incr(1),
  };
}
