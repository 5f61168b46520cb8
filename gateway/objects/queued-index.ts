// In-memory order of a shard's queued jobs, so lease picks, queue positions and
// per-tier counts cost a map lookup or a binary search instead of a scan of
// every queued row. It also keeps each tier's fair share between tenants.

function lowerBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

export interface QueuedEntry {
  priority: number;
  tenantId: string;
  createdAt: number;
}

/** The tenants of one priority with queued jobs: their jobs' creation times, sorted, and the work they were leased. */
interface PriorityQueue {
  byTenant: Map<string, number[]>;
  /** Virtual time: work units leased to each tenant with queued jobs since it last became active. */
  served: Map<string, number>;
  size: number;
}

/**
 * The queued jobs, by priority then tenant. Lease order is priority (high
 * first); within a priority, when fairness is on, the tenant with the least
 * work leased goes next (start-time fair queuing: a tenant that becomes active
 * starts at the least virtual time of those already waiting, so idling banks
 * no credit), and within a tenant the oldest job. With fairness off the order
 * within a priority is plain age. The index is a cache of the jobs table:
 * built from it once, then kept in step by the shard on every transition into
 * or out of `queued`.
 */
export class QueuedIndex {
  readonly #byPriority = new Map<number, PriorityQueue>();
  #size = 0;

  constructor(
    rows: Iterable<QueuedEntry>,
    readonly fair: boolean,
  ) {
    for (const row of rows) this.add(row);
  }

  get size(): number {
    return this.#size;
  }

  add({ priority, tenantId, createdAt }: QueuedEntry): void {
    let queue = this.#byPriority.get(priority);
    if (!queue) {
      queue = { byTenant: new Map(), served: new Map(), size: 0 };
      this.#byPriority.set(priority, queue);
    }
    let list = queue.byTenant.get(tenantId);
    if (!list) {
      list = [];
      queue.byTenant.set(tenantId, list);
      queue.served.set(tenantId, leastServed(queue) ?? 0);
    }
    list.splice(lowerBound(list, createdAt), 0, createdAt);
    queue.size++;
    this.#size++;
  }

  remove({ priority, tenantId, createdAt }: QueuedEntry): void {
    const queue = this.#byPriority.get(priority);
    const list = queue?.byTenant.get(tenantId);
    if (!queue || !list) return;
    const at = lowerBound(list, createdAt);
    if (list[at] !== createdAt) return;
    list.splice(at, 1);
    queue.size--;
    this.#size--;
    if (list.length === 0) {
      queue.byTenant.delete(tenantId);
      queue.served.delete(tenantId);
    }
  }

  /** Queued jobs of this priority. */
  count(priority: number): number {
    return this.#byPriority.get(priority)?.size ?? 0;
  }

  /** Queued jobs of this priority whose tenant is not in `except`. */
  countOutside(priority: number, except: ReadonlySet<string>): number {
    const queue = this.#byPriority.get(priority);
    if (!queue) return 0;
    let count = queue.size;
    for (const tenantId of except) count -= queue.byTenant.get(tenantId)?.length ?? 0;
    return count;
  }

  /** Queued jobs of one tenant at one priority. */
  tenantCount(priority: number, tenantId: string): number {
    return this.#byPriority.get(priority)?.byTenant.get(tenantId)?.length ?? 0;
  }

  /** The highest priority with queued jobs of a tenant not in `except`, at least `minPriority`; undefined when none waits. */
  highestPriority(minPriority = -Infinity, except?: ReadonlySet<string>): number | undefined {
    let highest: number | undefined;
    for (const [priority, queue] of this.#byPriority) {
      if (priority < minPriority || (highest !== undefined && priority <= highest)) continue;
      if ((except?.size ? this.countOutside(priority, except) : queue.size) > 0) highest = priority;
    }
    return highest;
  }

  /**
   * The tenant whose job of `priority` is leased next, never one in `except`.
   * Undefined means "the oldest job": fairness is off and nobody is excepted,
   * or no tenant is left.
   */
  nextTenant(priority: number, except?: ReadonlySet<string>): string | undefined {
    const queue = this.#byPriority.get(priority);
    if (!queue) return undefined;
    if (!this.fair) return except?.size ? oldestOutside(queue, except) : undefined;
    let next: string | undefined;
    let least = Infinity;
    let nextQueued = Infinity;
    for (const [tenantId, served] of queue.served) {
      if (except?.has(tenantId)) continue;
      // Between tenants served alike, the one with fewer jobs waiting goes first: a newcomer starts level with a flood, and should not lose the tie to it.
      const queued = queue.byTenant.get(tenantId)?.length ?? 0;
      if (served < least || (served === least && queued < nextQueued)) {
        least = served;
        nextQueued = queued;
        next = tenantId;
      }
    }
    return next;
  }

  /** Records that a job of `tenantId` worth `units` of work was leased. Call before removing it. */
  charge(priority: number, tenantId: string, units: number): void {
    const served = this.#byPriority.get(priority)?.served;
    const current = served?.get(tenantId);
    if (served && current !== undefined) served.set(tenantId, current + units);
  }

  /**
   * Queued jobs leased before this one. Exact without fairness; with it, an
   * estimate that assumes jobs of equal work: before a tenant's k-th oldest job
   * goes, every other tenant of its priority gets up to k jobs (k - 1 if it
   * has been served more).
   */
  ahead({ priority, tenantId, createdAt }: QueuedEntry): number {
    let ahead = 0;
    for (const [other, queue] of this.#byPriority) {
      if (other > priority) ahead += queue.size;
      if (other !== priority) continue;
      if (!this.fair) {
        for (const list of queue.byTenant.values()) ahead += lowerBound(list, createdAt);
        continue;
      }
      const own = queue.byTenant.get(tenantId);
      const olderOwn = own ? lowerBound(own, createdAt) : 0;
      const ownServed = queue.served.get(tenantId) ?? 0;
      ahead += olderOwn;
      for (const [otherTenant, list] of queue.byTenant) {
        if (otherTenant === tenantId) continue;
        const turns = (queue.served.get(otherTenant) ?? 0) <= ownServed ? olderOwn + 1 : olderOwn;
        ahead += Math.min(list.length, turns);
      }
    }
    return ahead;
  }
}

/** Without fairness, the tenant outside `except` whose oldest job is oldest. */
function oldestOutside(queue: PriorityQueue, except: ReadonlySet<string>): string | undefined {
  let oldest: string | undefined;
  let oldestAt = Infinity;
  for (const [tenantId, list] of queue.byTenant) {
    if (!except.has(tenantId) && list.length > 0 && list[0]! < oldestAt) {
      oldestAt = list[0]!;
      oldest = tenantId;
    }
  }
  return oldest;
}

function leastServed(queue: PriorityQueue): number | undefined {
  let least: number | undefined;
  for (const served of queue.served.values()) if (least === undefined || served < least) least = served;
  return least;
}
