import type { GatewayConfig } from '../config.js';

/** Completions remembered for the estimate. */
const RATE_WINDOW = 64;

/**
 * A QueueShard's measured time per completed job, for admission's wait
 * estimates. In memory: a restarted object starts from the configured guess
 * again, which is what it would have after a quiet minute anyway.
 */
export class Throughput {
  /** Recent completion times (ms). */
  readonly #completions: number[] = [];

  constructor(private readonly config: () => Pick<GatewayConfig, 'admissionDefaultJobMs' | 'queueShards'>) {}

  recordCompletion(at = Date.now()): void {
    this.#completions.push(at);
    if (this.#completions.length > RATE_WINDOW) this.#completions.shift();
  }

  /**
   * Measured milliseconds per completed job in this shard. Workers sweep every
   * shard alike, so a shard drains at 1/shards of the fleet's rate; until it has
   * data it assumes the configured per-job time at that share.
   */
  perJobMs(now = Date.now()): number {
    const { admissionDefaultJobMs, queueShards } = this.config();
    const fallback = admissionDefaultJobMs * queueShards;
    const recent = this.#completions.filter((at) => now - at < 60_000);
    if (recent.length < 3) return fallback;
    const span = Math.max(1_000, now - recent[0]!);
    return span / recent.length;
  }
}
