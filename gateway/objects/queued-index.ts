// In-memory order of a shard's queued jobs, so queue positions and per-tier
// counts cost a binary search instead of a COUNT over every queued row.

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

/**
 * Creation times of the queued jobs, one sorted list per priority. Lease order
 * is priority (high first) then age, so a job's position is every queued job
 * of a higher priority plus the older ones of its own. The lists are a cache
 * of the jobs table: built from it once, then kept in step by the shard on
 * every transition into or out of `queued`.
 */
export class QueuedIndex {
  readonly #byPriority = new Map<number, number[]>();
  #size = 0;

  constructor(rows: Iterable<{ priority: number; createdAt: number }>) {
    for (const row of rows) this.add(row.priority, row.createdAt);
  }

  get size(): number {
    return this.#size;
  }

  add(priority: number, createdAt: number): void {
    let list = this.#byPriority.get(priority);
    if (!list) {
      list = [];
      this.#byPriority.set(priority, list);
    }
    list.splice(lowerBound(list, createdAt), 0, createdAt);
    this.#size++;
  }

  remove(priority: number, createdAt: number): void {
    const list = this.#byPriority.get(priority);
    if (!list) return;
    const at = lowerBound(list, createdAt);
    if (list[at] !== createdAt) return;
    list.splice(at, 1);
    this.#size--;
  }

  /** Queued jobs of this priority. */
  count(priority: number): number {
    return this.#byPriority.get(priority)?.length ?? 0;
  }

  /** Queued jobs leased before one of `priority` created at `createdAt`. */
  ahead(priority: number, createdAt: number): number {
    let ahead = 0;
    for (const [other, list] of this.#byPriority) {
      if (other > priority) ahead += list.length;
      else if (other === priority) ahead += lowerBound(list, createdAt);
    }
    return ahead;
  }
}
