/**
 * Gives one shared resource (a worker thread, a device) to one caller at a
 * time: every other call before the low-priority ones
 * (`GenerationSpec.lowPriority`), each kind in arrival order.
 *
 * A worker runs several jobs at once, and their stage calls meet wherever a
 * stage keeps one thread or device. Without this, a paid job's call waits
 * behind every free job's call queued there first. A low-priority call that
 * has waited `maxLowPriorityWaitMs` goes next, so a steady stream of other
 * work cannot starve it.
 *
 * ```ts
 * const turns = new TurnQueue();
 * const scores = await turns.run(() => worker.call({ pixels }), { lowPriority: ctx.job.lowPriority, signal: ctx.signal });
 * ```
 */
export class TurnQueue {
  readonly #maxLowPriorityWaitMs: number;
  readonly #normal: Waiter[] = [];
  readonly #lowPriority: Waiter[] = [];
  #busy = false;

  constructor({ maxLowPriorityWaitMs = 2_000 }: { maxLowPriorityWaitMs?: number } = {}) {
    if (!(maxLowPriorityWaitMs >= 0)) throw new RangeError(`maxLowPriorityWaitMs must be 0 or more, got ${maxLowPriorityWaitMs}`);
    this.#maxLowPriorityWaitMs = maxLowPriorityWaitMs;
  }

  /** How many calls wait for their turn (not counting the one running). */
  get waiting(): number {
    return this.#normal.length + this.#lowPriority.length;
  }

  /** Runs `task` once it is this call's turn. Rejects with the signal's reason if `signal` aborts while waiting. */
  async run<T>(task: () => Promise<T>, { lowPriority = false, signal }: { lowPriority?: boolean; signal?: AbortSignal } = {}): Promise<T> {
    await this.#turn(lowPriority, signal);
    try {
      return await task();
    } finally {
      this.#next();
    }
  }

  #turn(lowPriority: boolean, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (!this.#busy) {
      this.#busy = true;
      return Promise.resolve();
    }
    const queue = lowPriority ? this.#lowPriority : this.#normal;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        queue.splice(queue.indexOf(waiter), 1);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        since: performance.now(),
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  }

  /** Hands the resource straight to the next caller, so it never looks free while calls wait. */
  #next(): void {
    const oldestLowPriority = this.#lowPriority[0];
    const lowPriorityOverdue = oldestLowPriority !== undefined && performance.now() - oldestLowPriority.since >= this.#maxLowPriorityWaitMs;
    const next = (lowPriorityOverdue ? this.#lowPriority.shift() : undefined) ?? this.#normal.shift() ?? this.#lowPriority.shift();
    if (next) next.start();
    else this.#busy = false;
  }
}

interface Waiter {
  readonly since: number;
  readonly start: () => void;
}
