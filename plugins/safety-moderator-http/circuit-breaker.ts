import type { Logger } from '../sdk/index.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long the circuit stays open before one trial call is let through (ms). */
  readonly cooldownMs: number;
  /** Prefixed to every log line, e.g. the stage name. */
  readonly label: string;
  /** The clock; injectable so tests need not sleep. */
  readonly now?: () => number;
}

/**
 * A consecutive-failure circuit breaker. Closed: every call goes through.
 * Open (after `failureThreshold` failures in a row): no call goes through
 * until `cooldownMs` have passed. Half-open: exactly one trial call goes
 * through; its success closes the circuit, its failure opens it again. Jobs
 * run concurrently on one stage instance, so while the trial is in flight
 * every other caller is refused, and a dead service costs one timeout per
 * cooldown, not one per request.
 */
export class CircuitBreaker {
  #state: BreakerState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #trialInFlight = false;
  readonly #now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.#now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.options.cooldownMs) return 'half-open';
    return this.#state;
  }

  /**
   * Asks to make a call. Returns a ticket to settle with `succeeded`,
   * `failed` or `abandoned` (the caller gave up for its own reasons, which
   * says nothing about the service), or undefined when the circuit refuses.
   */
  tryAcquire(logger: Logger): CallTicket | undefined {
    const state = this.state;
    if (state === 'closed') return this.#ticket(logger, false);
    if (state === 'open' || this.#trialInFlight) return undefined;
    if (this.#state === 'open') {
      this.#state = 'half-open';
      logger.info(`${this.options.label}: circuit half-open, sending one trial call`);
    }
    this.#trialInFlight = true;
    return this.#ticket(logger, true);
  }

  #ticket(logger: Logger, trial: boolean): CallTicket {
    let settled = false;
    const settle = (outcome: 'succeeded' | 'failed' | 'abandoned', detail?: string) => {
      if (settled) return;
      settled = true;
      if (trial) this.#trialInFlight = false;
      if (outcome === 'abandoned') return;
      if (outcome === 'succeeded') {
        if (this.#state !== 'closed') logger.info(`${this.options.label}: circuit closed, the service answered again`);
        this.#state = 'closed';
        this.#failures = 0;
        return;
      }
      this.#failures += 1;
      // A failure that raced a trial call from the closed state must not reopen a circuit the trial just closed.
      if (this.#state === 'half-open' && trial) {
        this.#open(logger, `the trial call failed (${detail ?? 'unknown error'})`);
      } else if (this.#state === 'closed' && this.#failures >= this.options.failureThreshold) {
        this.#open(logger, `${this.#failures} consecutive failures, the last: ${detail ?? 'unknown error'}`);
      }
    };
    return {
      succeeded: () => settle('succeeded'),
      failed: (detail) => settle('failed', detail),
      abandoned: () => settle('abandoned'),
    };
  }

  #open(logger: Logger, why: string): void {
    this.#state = 'open';
    this.#openedAt = this.#now();
    logger.warn(`${this.options.label}: circuit open for ${this.options.cooldownMs} ms after ${why}`, {
      cooldownMs: this.options.cooldownMs,
    });
  }
}

export interface CallTicket {
  succeeded(): void;
  failed(detail?: string): void;
  abandoned(): void;
}
