import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';

/** What the registry knows of one origin worker (one `LUMEN_WORKER_ID`). */
export interface WorkerEntry {
  id: string;
  /** Its current lease session: one per process, so a restart under the same id is a new session. */
  session: string | null;
  /** All its slots, busy or not (the largest free-slot count it asked for, for a worker that does not say). */
  slots: number;
  firstSeenAt: number;
  lastLeaseAt: number;
  /** Set while the session is draining: its lease calls get no jobs and are told to leave. */
  drainingSince: number | null;
}

const PREFIX = 'worker:';
/** Entries unseen for this long are forgotten even if no listing pruned them. */
const FORGET_AFTER_MS = 24 * 60 * 60_000;

/**
 * The origin workers that announced themselves: every lease call does, with
 * its worker id, session and slots. One object for the deployment: a worker
 * calls at most once per lease (long polls last up to 25 s), far below what one
 * object serves. Drains are kept here, per session: the drained process is
 * told to leave, and a new process under the same id starts undrained.
 */
export class WorkerRegistry extends DurableObject<Env> {
  /** Records a lease call; answers whether this session is draining. */
  async announce(id: string, session: string | null, freeSlots: number, totalSlots: number | null): Promise<{ drain: boolean }> {
    const now = Date.now();
    const known = this.#get(id);
    const sameProcess = known !== undefined && known.session === session;
    const entry: WorkerEntry = {
      id,
      session,
      slots: totalSlots ?? Math.max(freeSlots, sameProcess ? known.slots : 0),
      firstSeenAt: sameProcess ? known.firstSeenAt : now,
      lastLeaseAt: now,
      drainingSince: sameProcess ? known.drainingSince : null,
    };
    this.ctx.storage.kv.put(PREFIX + id, entry);
    return { drain: entry.drainingSince !== null };
  }

  /** Whether `id`'s current process, if it is `session`, is draining. */
  async draining(id: string, session: string | null): Promise<boolean> {
    const entry = this.#get(id);
    return entry !== undefined && entry.session === session && entry.drainingSince !== null;
  }

  /** Marks the worker's current session draining; null for a worker never seen. */
  async drain(id: string): Promise<WorkerEntry | null> {
    const entry = this.#get(id);
    if (!entry) return null;
    const drained = { ...entry, drainingSince: entry.drainingSince ?? Date.now() };
    this.ctx.storage.kv.put(PREFIX + id, drained);
    return drained;
  }

  /**
   * Every worker seen within `expiryMs`, by its lease calls or by `heartbeats`
   * (last heartbeat per worker id, from the shards: a worker busy with long jobs
   * makes no lease call). Workers silent for longer are forgotten: they left.
   */
  async list(expiryMs: number, heartbeats: Record<string, number>): Promise<WorkerEntry[]> {
    const now = Date.now();
    const live: WorkerEntry[] = [];
    for (const [key, value] of [...this.ctx.storage.kv.list<WorkerEntry>({ prefix: PREFIX })]) {
      const lastSeen = Math.max(value.lastLeaseAt, heartbeats[value.id] ?? 0);
      if (now - lastSeen <= expiryMs) live.push(value);
      else this.ctx.storage.kv.delete(key);
    }
    return live;
  }

  #get(id: string): WorkerEntry | undefined {
    const entry = this.ctx.storage.kv.get<WorkerEntry>(PREFIX + id);
    if (entry && Date.now() - entry.lastLeaseAt > FORGET_AFTER_MS) return undefined;
    return entry;
  }
}

export function workerRegistryStub(env: Env): DurableObjectStub<WorkerRegistry> {
  return env.WORKER_REGISTRY.get(env.WORKER_REGISTRY.idFromName('global'));
}
