// Holds a request that did not opt into async until its job ends, so the
// client gets the body its SDK parses (an ImagesResponse) however long the
// queue. Silent at first, so an early failure keeps its real status; then a
// committed 200 with a space every few seconds (JSON allows leading
// whitespace) until the ImagesResponse, or the OpenAI error object.
import type { Context } from 'hono';
import type { GatewayConfig } from '../config.js';
import type { AppEnv } from '../env.js';
import { ApiError } from '../errors.js';
import type { JobView, QueueShard } from '../objects/queue-shard.js';
import type { GenerationRequest } from '../../protocol/openai.js';
import { finishedResponse } from './answers.js';

const KEEP_ALIVE = new TextEncoder().encode(' ');

function ended(job: JobView): boolean {
  return job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled';
}

/** The job's final answer as text: the ImagesResponse, or the OpenAI error object of its failure. */
async function finalBody(c: Context<AppEnv>, job: JobView, responseFormat: GenerationRequest['response_format']): Promise<string> {
  try {
    return await (await finishedResponse(c, job, responseFormat)).text();
  } catch (error) {
    if (error instanceof ApiError) return JSON.stringify(error.toBody());
    console.error(JSON.stringify({ level: 'error', message: 'held answer failed', jobId: job.id, traceId: job.traceId, error: String(error) }));
    return JSON.stringify(new ApiError(500, 'server_error', 'The server had an error answering your request; the job is at GET /v1/images/jobs/' + job.id, null).toBody());
  }
}

/** Cancels the job if nobody will collect it and no worker has started it; a running job is left to finish. */
async function cancelIfQueued(shard: DurableObjectStub<QueueShard>, job: JobView): Promise<boolean> {
  const now = await shard.get(job.id, job.tenantId);
  if (now?.status !== 'queued') return false;
  return (await shard.cancel(job.id, job.tenantId)).ok;
}

function holdExpired(job: JobView, holdMaxMs: number, cancelled: boolean): string {
  const seconds = Math.round(holdMaxMs / 1000);
  const message = cancelled
    ? `The job was still queued after ${seconds} s, the longest a request is held, and was cancelled. Retry later, or send 'Prefer: respond-async' to queue it and poll.`
    : `The job did not finish within ${seconds} s, the longest a request is held; it continues, and its result will be at GET /v1/images/jobs/${job.id}.`;
  return JSON.stringify(new ApiError(504, 'server_error', message, 'hold_expired').toBody());
}

/**
 * Answers a request whose client cannot take a 202: waits up to HOLD_SILENT_MS for
 * the job with nothing sent (a failure then gets its real status), then commits
 * 200 `application/json` and writes a space every HOLD_KEEPALIVE_MS until the job
 * ends or HOLD_MAX_MS passes. A write that fails means the client hung up: its job
 * is cancelled if still queued, so abandoned requests leave no work behind.
 */
export async function holdForResult(
  c: Context<AppEnv>,
  shard: DurableObjectStub<QueueShard>,
  job: JobView,
  responseFormat: GenerationRequest['response_format'],
  hold: Pick<GatewayConfig, 'holdSilentMs' | 'holdKeepAliveMs' | 'holdMaxMs'>,
): Promise<Response> {
  const startedAt = Date.now();
  const early = await shard.waitForJob(job.id, hold.holdSilentMs);
  if (!early) throw new Error(`job ${job.id} vanished from its shard`);
  if (ended(early)) return finishedResponse(c, early, responseFormat);

  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const write = async (chunk: Uint8Array): Promise<boolean> => {
    try {
      await writer.write(chunk);
      return true;
    } catch {
      return false;
    }
  };
  const relay = async (): Promise<void> => {
    let current = early;
    for (;;) {
      if (!(await write(KEEP_ALIVE))) {
        const cancelled = await cancelIfQueued(shard, current);
        console.log(JSON.stringify({ level: 'info', message: 'held client hung up', jobId: job.id, traceId: job.traceId, cancelled }));
        return;
      }
      const left = hold.holdMaxMs - (Date.now() - startedAt);
      if (left <= 0) break;
      current = (await shard.waitForJob(job.id, Math.min(hold.holdKeepAliveMs, left))) ?? current;
      if (ended(current)) break;
    }
    const body = ended(current) ? await finalBody(c, current, responseFormat) : holdExpired(current, hold.holdMaxMs, await cancelIfQueued(shard, current));
    await write(new TextEncoder().encode(body));
    await writer.close().catch(() => undefined);
  };
  const relayed = relay().catch((error: unknown) => {
    console.error(JSON.stringify({ level: 'error', message: 'held request failed', jobId: job.id, traceId: job.traceId, error: String(error) }));
    return writer.abort(error).catch(() => undefined);
  });
  try {
    // Keeps the relay alive past a client hang-up, long enough to cancel the job.
    c.executionCtx.waitUntil(relayed);
  } catch {
    // No execution context (a bare app.request in tests): the relay still runs while the body is read.
  }
  // A compressor between here and the client (Cloudflare's, or wrangler dev's copy of it) would sit on the spaces
  // until the body ends; `no-transform` turns Cloudflare's off, `identity` says the body is sent as it is.
  return c.body(readable, 200, { 'content-type': 'application/json', 'cache-control': 'no-transform', 'content-encoding': 'identity' });
}
