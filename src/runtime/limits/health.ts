/**
 * Crash-loop protection (like Envoy's restart limit):
 * each trap replaces the instance; `maxTraps` traps within `windowMs` disable
 * the plugin until it is reloaded.
 */
export interface HealthPolicy {
  /** Traps tolerated inside the window before the plugin is disabled (default 5). */
  readonly maxTraps: number;
  /** Sliding window in ms (default 60 000). */
  readonly windowMs: number;
}

export const DEFAULT_HEALTH: HealthPolicy = { maxTraps: 5, windowMs: 60_000 };

export class PluginHealth {
  readonly policy: HealthPolicy;
  #trapTimes: number[] = [];
  #disabledReason: string | null = null;
  traps = 0;

  constructor(policy: Partial<HealthPolicy> = {}) {
    this.policy = { ...DEFAULT_HEALTH, ...policy };
  }

  get disabledReason(): string | null {
    return this.#disabledReason;
  }

  /** Records a trap; returns true when this trap disabled the plugin. */
  recordTrap(now = Date.now()): boolean {
    this.traps++;
    this.#trapTimes = this.#trapTimes.filter((t) => now - t < this.policy.windowMs);
    this.#trapTimes.push(now);
    if (this.#trapTimes.length >= this.policy.maxTraps && this.#disabledReason === null) {
      this.#disabledReason = `${this.#trapTimes.length} traps within ${this.policy.windowMs} ms`;
      return true;
    }
    return false;
  }

  reset(): void {
    this.#trapTimes = [];
    this.#disabledReason = null;
  }
}
