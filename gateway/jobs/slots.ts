// A job's concurrency slot, in one place. The images route takes it when it
// admits a request and gives it back only when no job came of the request;
// once a job exists, its QueueShard frees the slot when the job ends. Each is
// one Tenant call, and every one of them is idempotent.
import type { Context } from 'hono';
import type { AppEnv, Env } from '../env.js';
import { InvalidRequestError, RateLimitError } from '../errors.js';
import { noteRequestRefusal } from '../isolate-buckets.js';
import { tenantStub } from '../objects/tenant.js';
import { liveTierConfig, rateLimitHeaders } from '../tier-limits.js';
import type { ImageSize, Quality } from '../../protocol/images.js';

export interface Admission {
  /** The concurrency slot's key (the job id when one was given). */
  readonly jobId: string;
  /**
   * Gives the slot back when no job came of this admission: `charged` keeps the
   * tokens taken (the request failed or the queue was full), `refunded` also gives back
   * the image tokens and the request token (an identical first attempt already has the job).
   * One Tenant call; later calls do nothing.
   */
  noJob(tokens: 'charged' | 'refunded'): Promise<void>;
}

/**
 * Admits one generation for the authenticated tenant: 400 (with `param`) when
 * its plan does not allow this n / size / quality, 429 when its concurrency
 * slots or image bucket are exhausted; otherwise it holds a concurrency slot
 * keyed by `jobId` and has taken `n` image tokens. Call after validating the
 * body and before enqueueing; give the slot back with `noJob()` if no job is
 * created. Once the job exists, its shard frees the slot (`releaseJobSlot`).
 */
export async function admitGeneration(
  c: Context<AppEnv>,
  n: number,
  size: ImageSize | 'auto',
  quality: Quality,
  jobId: string = `slot_${crypto.randomUUID().replaceAll('-', '')}`,
): Promise<Admission> {
  const tenant = c.get('tenant');
  // Left to this call by the rateLimit() middleware, so the whole admission is one Tenant call.
  const requestToken = c.get('requestTokenAtAdmission');
  c.set('requestTokenAtAdmission', undefined);
  // The middleware took this request's token already exactly when it set 'rateLimit'.
  const tookRequestToken = requestToken !== undefined || c.get('rateLimit') !== undefined;
  const tiers = requestToken?.tiers ?? c.get('rateLimit')?.tiers ?? (await liveTierConfig(c.env)).tiers;
  const stub = tenantStub(c.env, tenant.id);
  const decision = await stub.admitGeneration(tiers, { n, size, quality, jobId, takeRequestToken: requestToken !== undefined });
  c.set('rateLimit', { rate: decision.rate, tiers });
  if (!decision.ok) {
    if (decision.kind === 'invalid') throw new InvalidRequestError(decision.message, decision.param, 'not_allowed_on_plan');
    if (decision.kind === 'requests') noteRequestRefusal(tenant.id, decision);
    throw new RateLimitError(decision.kind, decision.message, decision.retryAfterMs, rateLimitHeaders(decision.rate));
  }
  let returned: Promise<void> | undefined;
  return {
    jobId,
    noJob: (tokens) =>
      (returned ??=
        tokens === 'charged'
          ? stub.releaseSlot(jobId).then(() => undefined)
          : stub.refundAdmission(tiers, jobId, { requests: tookRequestToken ? 1 : 0, images: n }).then((rate) => {
              c.set('rateLimit', { rate, tiers });
            })),
  };
}

/** Frees a job's concurrency slot; its QueueShard calls it when the job reaches a terminal state. Idempotent. */
export async function releaseJobSlot(env: Env, tenantId: string, jobId: string): Promise<void> {
  await tenantStub(env, tenantId).releaseSlot(jobId);
}
