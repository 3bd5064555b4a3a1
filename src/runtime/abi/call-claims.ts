/**
 * The handles one call's arguments claim while they are validated, for
 * functions with own<R> parameters of the plugin's resources: a handle moved
 * by an own<R> argument may not also be passed again in the same call (as
 * own or borrow), as in the component model, where lowering the own removes
 * it. Refused during validation, before anything is moved.
 */
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { HandleTable, PluginResource } from './handle-table.js';

export class CallClaims {
  readonly #table: HandleTable;
  readonly #claimed: PluginResource[] = [];
  readonly #borrowed: PluginResource[] = [];

  constructor(table: HandleTable) {
    this.#table = table;
  }

  /** Starts (and ends) the validation of one call's handle arguments. */
  reset(): void {
    this.#claimed.length = 0;
    this.#borrowed.length = 0;
  }

  /** Validation of an own argument of a resource this plugin implements (it is only moved when lowered). */
  claimOwn(v: unknown, resource: string, path: string): void {
    const r = this.#table.live(v, resource, path);
    if (this.#claimed.includes(r) || this.#borrowed.includes(r)) throw passedTwice(resource, path);
    this.#claimed.push(r);
  }

  /** Validation of a borrow argument in a call that also moves handles. */
  claimBorrow(v: unknown, resource: string, path: string): void {
    const r = this.#table.live(v, resource, path);
    if (this.#claimed.includes(r)) throw passedTwice(resource, path);
    this.#borrowed.push(r);
  }
}

function passedTwice(resource: string, path: string): WitplugError {
  return new WitplugError(ErrorCodes.TYPE_MISMATCH, `${path}: the ${resource} handle is passed as own<> and again in this call`, { path });
}
