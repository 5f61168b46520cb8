import { setTimeout as sleep } from 'node:timers/promises';
import { policySnapshotSchema, type PolicySnapshot } from '../protocol/policy.js';
import { signInternalRequest } from '../protocol/signature.js';
import type {
  CompleteBatchResponse,
  CompleteRequest,
  Completion,
  CompletionResult,
  DepartRequest,
  FailRequest,
  HeartbeatRequest,
  HeartbeatResponse,
  LeaseRequest,
  LeaseResponse,
  StoredImage,
} from '../protocol/jobs.js';
import type { OutputFormat } from '../protocol/images.js';
import { MAX_JOBS_PER_CALL } from '../protocol/jobs.js';
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
/** What a restarting or overloaded gateway answers; worth retrying. */
const TRANSIENT_STATUSES = new Set([502, 503, 504]);

/** Signed calls from an origin worker to the gateway's /internal API. */
export class GatewayClient {
  constructor(
    private readonly baseUrl: string,
    private readonly secret: string,
    /** How long one call keeps retrying transient gateway failures before giving up. */
    private readonly retryForMs = 15_000,
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

  /** Reports several finished jobs in one call; each result says whether that job's lease still held. */
  completeMany(completions: Completion[]): Promise<CompletionResult[]> {
    return this.#json<CompleteBatchResponse>('POST', '/internal/complete', { completions }).then(({ results }) => results);
  }

  /**
   * Reports one finished job, in a batch with whatever else finishes while an earlier report is in flight:
   * one call at a time, and no job waits for a timer. Throws `stale_lease` (as a single call's 409 would) when the lease was lost.
   */
  complete(jobId: string, request: CompleteRequest): Promise<{ ok: true }> {
    return new Promise((resolve, reject) => {
      this.#pendingCompletions.push({ completion: { jobId, ...request }, resolve, reject });
      void this.#flushCompletions();
    });
  }

  readonly #pendingCompletions: { completion: Completion; resolve: (ok: { ok: true }) => void; reject: (error: unknown) => void }[] = [];
  #completing = false;

  async #flushCompletions(): Promise<void> {
    if (this.#completing) return;
    this.#completing = true;
    try {
      while (this.#pendingCompletions.length > 0) {
        const batch = this.#pendingCompletions.splice(0, MAX_JOBS_PER_CALL);
        try {
          const results = await this.completeMany(batch.map((pending) => pending.completion));
          batch.forEach((pending, i) => {
            const result = results[i];
            if (result?.ok) pending.resolve({ ok: true });
            else pending.reject(new GatewayCallError(result?.code === 'unknown_job' ? 404 : 409, result?.code ?? 'stale_lease', result?.message ?? `job ${pending.completion.jobId}: no result`));
          });
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.#completing = false;
    }
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
