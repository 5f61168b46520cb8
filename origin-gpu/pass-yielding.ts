// Who waits at a pass boundary on one worker. Jobs on a worker share its
// cores, so a job rendered beside others runs at their pace. Two rules:
// - a free job waits while paid work runs here (access over latency);
// - a job waits while a tenant of the same kind (paid or free) runs fewer jobs
//   here than its own tenant does, so a light tenant's job renders at nearly
//   its unloaded pace beside a flood, not at the flood's (isolation).
// Waiting ends once nothing outranks the job any more, after `maxMs` (so no
// job starves), or on abort.

export type PassYieldReason = 'paid' | 'lighter_tenant';
export type PassYieldEnd = 'paid_idle' | 'lighter_done' | 'timeout' | 'aborted';

interface RunningJob {
  tenantId: string;
  paid: boolean;
}

export class PassYielding {
  readonly #running = new Map<string, RunningJob>();
  readonly #waiters = new Set<() => void>();

  constructor(private readonly options: { tenantFairness: boolean }) {}

  started(jobId: string, tenantId: string, paid: boolean): void {
    this.#running.set(jobId, { tenantId, paid });
  }

  ended(jobId: string): void {
    if (!this.#running.delete(jobId)) return;
    for (const wake of [...this.#waiters]) wake();
  }

  /** Why `jobId` should let others have the cores now, or null when nothing running here outranks it. */
  outrankedBy(jobId: string): PassYieldReason | null {
    const job = this.#running.get(jobId);
    if (!job) return null;
    const running = [...this.#running.values()];
    if (!job.paid && running.some((other) => other.paid)) return 'paid';
    if (!this.options.tenantFairness) return null;
    const sameKind = running.filter((other) => other.paid === job.paid);
    const countOf = (tenantId: string) => sameKind.filter((other) => other.tenantId === tenantId).length;
    const own = countOf(job.tenantId);
    return sameKind.some((other) => other.tenantId !== job.tenantId && countOf(other.tenantId) < own) ? 'lighter_tenant' : null;
  }

  /** Waits while `jobId` stays outranked, having been for `reason` (from outrankedBy); says how the wait ended. */
  wait(jobId: string, reason: PassYieldReason, signal: AbortSignal, maxMs: number): Promise<PassYieldEnd> {
    if (signal.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const done = (end: PassYieldEnd) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', aborted);
        this.#waiters.delete(recheck);
        resolve(end);
      };
      // Any job ending may leave nothing that outranks this one.
      const recheck = () => {
        if (this.outrankedBy(jobId) === null) done(reason === 'paid' ? 'paid_idle' : 'lighter_done');
      };
      const aborted = () => done('aborted');
      const timer = setTimeout(() => done('timeout'), maxMs);
      signal.addEventListener('abort', aborted, { once: true });
      this.#waiters.add(recheck);
      recheck();
    });
  }
}
