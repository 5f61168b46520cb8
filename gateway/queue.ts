import type { Context } from 'hono';
import type { AppEnv, Env } from './env.js';
import { numberVar } from './env.js';
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

export function shardOfJob(jobId: string): number | null {
  const match = JOB_ID.exec(jobId);
  return match?.[1] ? parseInt(match[1], 36) : null;
}

export function shardCount(env: Env): number {
  return Math.floor(numberVar(env.QUEUE_SHARDS, 4));
}

export function shardStub(env: Env, shard: number): DurableObjectStub<QueueShard> {
  return env.QUEUE_SHARD.get(env.QUEUE_SHARD.idFromName(`shard-${shard}`));
}

/** The shard holding `jobId`, or null for an id that is not one of ours. */
export function shardForJob(c: Context<AppEnv>, jobId: string): DurableObjectStub<QueueShard> | null {
  const shard = shardOfJob(jobId);
  return shard === null ? null : shardStub(c.env, shard);
}
