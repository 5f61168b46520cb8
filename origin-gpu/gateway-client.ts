import { setTimeout as sleep } from 'node:timers/promises';
import { policySnapshotSchema, type PolicySnapshot } from '../protocol/policy.js';
import { signInternalRequest } from '../protocol/signature.js';
import type {
  CompleteBatchResponse,
  CompleteMultipart,
  Completion,
  CompletionResult,
  DepartRequest,
  FailRequest,
  HeartbeatRequest,
  HeartbeatResponse,
  LeaseRequest,
  LeaseResponse,
  StoredImage,
  Usage,
} from '../protocol/jobs.js';
import type { OutputFormat } from '../protocol/images.js';
import { COMPLETIONS_PART, MAX_COMPLETE_BODY_BYTES, MAX_JOBS_PER_CALL } from '../protocol/jobs.js';
import { traceparentForCall } from './tracing.js';

/** The gateway answered an internal call with an error status. */
export class GatewayCallError extends Error {
  override name = 'GatewayCallError';
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }
}

const encoder = new TextEncoder();

/** A finished image as the worker hands it to `complete`: the bytes travel in the completion call. */
export type FinishedImage = { index: number; format: OutputFormat; bytes: Uint8Array };
export type FinishedJob = { jobId: string; leaseId: string; images: FinishedImage[]; usage: Usage };

type PendingCompletion = { job: FinishedJob; bytes: number; resolve: (ok: { ok: true }) => void; reject: (error: unknown) => void };

/** Room for a part's boundary and headers, and for the JSON part's own: generous, so an estimate never undershoots. */
const PART_OVERHEAD_BYTES = 512;

/** What a job adds to a multipart completion body, at most. */
function completionBytes({ jobId, leaseId, images }: FinishedJob): number {
  return images.reduce((sum, image) => sum + image.bytes.byteLength + PART_OVERHEAD_BYTES + 64, PART_OVERHEAD_BYTES + jobId.length + leaseId.length + 128);
}

/** Takes the next call's jobs off the front of `pending`: up to MAX_JOBS_PER_CALL that fit one body; the first always goes. */
function takeBatch(pending: PendingCompletion[]): PendingCompletion[] {
  let bytes = PART_OVERHEAD_BYTES;
  let count = 0;
  while (count < pending.length && count < MAX_JOBS_PER_CALL) {
    bytes += pending[count]!.bytes;
    if (count > 0 && bytes > MAX_COMPLETE_BODY_BYTES) break;
    count++;
  }
  return pending.splice(0, count);
}
/** What a restarting or overloaded gateway answers; worth retrying. */
const TRANSIENT_STATUSES = new Set([502, 503, 504]);

/** Signed calls from an origin worker to the gateway's /internal API. */
export class GatewayClient {
  constructor(
    private readonly baseUrl: string,
    private readonly secret: string,
    /** How long one call keeps retrying transient gateway failures before giving up. */
    private readonly retryForMs = 15_000,
    /**
     * Completion calls at once. A completion carries its images, so one call takes a while: a job that
     * finished next to others goes at once while fewer than this are in flight, rather than waiting
     * behind them; only what finishes while all are in flight is batched into the next.
     */
    private readonly completionsInFlight = 4,
  ) {}

  lease(request: LeaseRequest, signal?: AbortSignal): Promise<LeaseResponse> {
    return this.#json('POST', '/internal/lease', request, signal);
  }

  /** Tells the gateway that this lease session is leaving: none of its lease calls, open or not, gets a job from then on. */
  depart(request: DepartRequest, signal?: AbortSignal): Promise<{ ok: true }> {
    return this.#json('POST', '/internal/depart', request, signal);
  }

  heartbeat(jobId: string, request: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.#json('POST', `/internal/jobs/${jobId}/heartbeat`, request);
  }

  uploadImage(jobId: string, leaseId: string, index: number, format: OutputFormat, bytes: Uint8Array): Promise<StoredImage> {
    const path = `/internal/jobs/${jobId}/images/${index}?lease=${encodeURIComponent(leaseId)}&format=${format}`;
    return this.#send('PUT', path, bytes, 'application/octet-stream');
  }

  uploadPreview(jobId: string, leaseId: string, pass: number, imageIndex: number, partialImageIndex: number, bytes: Uint8Array): Promise<{ key: string }> {
    const query = `lease=${encodeURIComponent(leaseId)}&image=${imageIndex}&partial=${partialImageIndex}`;
    return this.#send('PUT', `/internal/jobs/${jobId}/previews/${pass}?${query}`, bytes, 'image/webp');
  }

  /** An edit's uploaded image or mask, by its R2 key. */
  downloadInput(jobId: string, leaseId: string, key: string): Promise<Uint8Array> {
    const path = `/internal/jobs/${jobId}/inputs?lease=${encodeURIComponent(leaseId)}&key=${encodeURIComponent(key)}`;
    return this.#send('GET', path, new Uint8Array(), 'application/octet-stream', undefined, async (response) => new Uint8Array(await response.arrayBuffer()));
  }

  /** The live safety policy: the base and every tenant's overlay (or only `tenantId`'s), validated. */
  policy(tenantId?: string, signal?: AbortSignal): Promise<PolicySnapshot> {
    const path = tenantId === undefined ? '/internal/policy' : `/internal/policy?tenant=${encodeURIComponent(tenantId)}`;
    return this.#send('GET', path, new Uint8Array(), 'application/json', signal, async (response) => policySnapshotSchema.parse(await response.json()));
  }

  /** Reports several finished jobs whose images are stored already (`uploadImage`); each result says whether that job's lease still held. */
  completeMany(completions: Completion[]): Promise<CompletionResult[]> {
    return this.#json<CompleteBatchResponse>('POST', '/internal/complete', { completions }).then(({ results }) => results);
  }

  /**
   * Reports several finished jobs with their images in the same call (multipart): the gateway stores the images of
   * the jobs whose lease holds and completes those. A retry sends the same bytes to the same lease-prefixed keys.
   */
  async completeWithImages(jobs: readonly FinishedJob[]): Promise<CompletionResult[]> {
    const form = new FormData();
    const completions: CompleteMultipart['completions'] = jobs.map(({ jobId, leaseId, images, usage }, job) => ({
      jobId,
      leaseId,
      usage,
      images: images.map(({ index, format }) => ({ index, format, part: `image-${job}-${index}` })),
    }));
    form.append(COMPLETIONS_PART, JSON.stringify({ completions } satisfies CompleteMultipart));
    jobs.forEach(({ images }, job) => {
      for (const { index, format, bytes } of images) form.append(`image-${job}-${index}`, new Blob([bytes]), `${index}.${format}`);
    });
    // Encoded once, so every attempt signs and sends the same bytes.
    const encoded = new Response(form);
    const body = new Uint8Array(await encoded.arrayBuffer());
    const { results } = await this.#send<CompleteBatchResponse>('POST', '/internal/complete', body, encoded.headers.get('content-type')!);
    return results;
  }

  /**
   * Reports one finished job with its images: at once while fewer than `completionsInFlight` calls are out, else in a
   * batch with whatever else finishes meanwhile (up to MAX_JOBS_PER_CALL jobs and MAX_COMPLETE_BODY_BYTES). No job waits for a timer.
   * Throws `stale_lease` (as a single call's 409 would) when the lease was lost.
   */
  complete(job: FinishedJob): Promise<{ ok: true }> {
    return new Promise((resolve, reject) => {
      this.#pendingCompletions.push({ job, bytes: completionBytes(job), resolve, reject });
      this.#flushCompletions();
    });
  }

  readonly #pendingCompletions: PendingCompletion[] = [];
  #completionCalls = 0;

  #flushCompletions(): void {
    while (this.#pendingCompletions.length > 0 && this.#completionCalls < this.completionsInFlight) {
      const batch = takeBatch(this.#pendingCompletions);
      this.#completionCalls++;
      void this.#sendCompletions(batch).finally(() => {
        this.#completionCalls--;
        this.#flushCompletions();
      });
    }
  }

  async #sendCompletions(batch: PendingCompletion[]): Promise<void> {
    try {
      const results = batch[0]!.bytes > MAX_COMPLETE_BODY_BYTES ? await this.#uploadThenComplete(batch[0]!.job) : await this.completeWithImages(batch.map((pending) => pending.job));
      batch.forEach((pending, i) => {
        const result = results[i];
        if (result?.ok) pending.resolve({ ok: true });
        else pending.reject(new GatewayCallError(result?.code === 'unknown_job' ? 404 : 409, result?.code ?? 'stale_lease', result?.message ?? `job ${pending.job.jobId}: no result`));
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }

  /** A job too big for one completion body: its images one PUT each, then a JSON completion naming them. */
  async #uploadThenComplete({ jobId, leaseId, images, usage }: FinishedJob): Promise<CompletionResult[]> {
    const stored: StoredImage[] = [];
    for (const { index, format, bytes } of images) stored.push(await this.uploadImage(jobId, leaseId, index, format, bytes));
    return this.completeMany([{ jobId, leaseId, images: stored, usage }]);
  }

  fail(jobId: string, request: FailRequest): Promise<{ ok: true }> {
    return this.#json('POST', `/internal/jobs/${jobId}/fail`, request);
  }

  #json<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.#send(method, path, encoder.encode(JSON.stringify(body)), 'application/json', signal);
  }

  /**
   * Sends one signed call, retrying what a gateway restart or deploy causes
   * (network errors, 502/503/504) with jittered backoff for up to `retryForMs`.
   * Every internal call is safe to repeat: the lease fences the ones that
   * change state, and uploads write the same key.
   */
  async #send<T>(
    method: string,
    path: string,
    body: Uint8Array,
    contentType: string,
    signal?: AbortSignal,
    read: (response: Response) => Promise<T> = async (response) => JSON.parse(await response.text()) as T,
  ): Promise<T> {
    const deadline = Date.now() + this.retryForMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#sendOnce<T>(method, path, body, contentType, signal, read);
      } catch (error) {
        const transient = error instanceof GatewayCallError ? TRANSIENT_STATUSES.has(error.status) : !signal?.aborted;
        const backoffMs = Math.min(4_000, 200 * 2 ** (attempt - 1)) * (0.5 + Math.random());
        if (!transient || Date.now() + backoffMs > deadline) throw error;
        // A draining worker aborts its lease call; it must not sit out a backoff first.
        await sleep(backoffMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  async #sendOnce<T>(
    method: string,
    path: string,
    body: Uint8Array,
    contentType: string,
    signal: AbortSignal | undefined,
    read: (response: Response) => Promise<T>,
  ): Promise<T> {
    // Signed per attempt, so a retry never carries a stale timestamp.
    const headers = await signInternalRequest(this.secret, method, path, body);
    const traceparent = traceparentForCall();
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      body: method === 'GET' ? undefined : body,
      headers: { ...headers, 'content-type': contentType, ...(traceparent && { traceparent }) },
      signal,
    });
    if (!response.ok) {
      const text = await response.text();
      let code: string | null = null;
      let message = text;
      try {
        const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
        code = parsed.error?.code ?? null;
        message = parsed.error?.message ?? text;
      } catch {
        // not JSON: keep the raw text
      }
      throw new GatewayCallError(response.status, code, `${method} ${path} -> ${response.status}: ${message}`);
    }
    return read(response);
  }
}
