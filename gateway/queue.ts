import type { Context } from 'hono';
import { config } from './config.js';
import type { AppEnv, Env } from './env.js';
import type { QueueShard } from './objects/queue-shard.js';

/**
 * Job ids carry their shard: `job_<shard in base 36>_<random>`. Routing needs
 * no lookup table, and changing QUEUE_SHARDS later never strands old jobs.
 */
const JOB_ID = /^job_([0-9a-z]{1,4})_([0-9a-f]{32})$/;

/** A new job id in `shard`. */
export function jobIdInShard(shard: number): string {
  return `job_${shard.toString(36)}_${crypto.randomUUID().replaceAll('-', '')}`;
}

/** A new job id in a shard picked at random. */
export function newJobId(shardCount: number): string {
  return jobIdInShard(Math.floor(Math.random() * shardCount));
}

/** The shard written in `jobId`, or null for an id that is not one of ours. Says nothing of whether that shard exists. */
export function shardOfJob(jobId: string): number | null {
  const match = JOB_ID.exec(jobId);
  return match?.[1] ? parseInt(match[1], 36) : null;
}

export function shardCount(env: Env): number {
  return config(env).queueShards;
}

/**
 * The most shards any job id may name: the largest QUEUE_SHARDS ever
 * configured. QUEUE_SHARDS_MAX must never be lowered, or jobs in the shards
 * above it become unreachable.
 */
export function maxShardCount(env: Env): number {
  return config(env).queueShardsMax;
}

export function shardStub(env: Env, shard: number): DurableObjectStub<QueueShard> {
  return env.QUEUE_SHARD.get(env.QUEUE_SHARD.idFromName(`shard-${shard}`));
}

/**
 * The shard holding `jobId`, or null for an id that is not one of ours or
 * names a shard that never existed (at or past QUEUE_SHARDS_MAX): answer 404
 * then, so a made-up id never brings a QueueShard object, and its storage, into being.
 */
export function shardForJob(c: Context<AppEnv>, jobId: string): DurableObjectStub<QueueShard> | null {
  const shard = shardOfJob(jobId);
  return shard === null || shard >= maxShardCount(c.env) ? null : shardStub(c.env, shard);
}
