import { signInternalRequest } from '../gateway/protocol/signature.js';
import type {
  CompleteRequest,
  FailRequest,
  HeartbeatRequest,
  HeartbeatResponse,
  LeaseRequest,
  LeaseResponse,
  OutputFormat,
  StoredImage,
} from '../gateway/protocol/jobs.js';

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

/** Signed calls from an origin worker to the gateway's /internal API. */
export class GatewayClient {
  constructor(
    private readonly baseUrl: string,
    private readonly secret: string,
  ) {}

  lease(request: LeaseRequest, signal?: AbortSignal): Promise<LeaseResponse> {
    return this.#json('POST', '/internal/lease', request, signal);
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

  complete(jobId: string, request: CompleteRequest): Promise<{ ok: true }> {
    return this.#json('POST', `/internal/jobs/${jobId}/complete`, request);
  }

  fail(jobId: string, request: FailRequest): Promise<{ ok: true }> {
    return this.#json('POST', `/internal/jobs/${jobId}/fail`, request);
  }

  #json<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.#send(method, path, encoder.encode(JSON.stringify(body)), 'application/json', signal);
  }

  async #send<T>(method: string, path: string, body: Uint8Array, contentType: string, signal?: AbortSignal): Promise<T> {
    const headers = await signInternalRequest(this.secret, method, path, body);
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      body,
      headers: { ...headers, 'content-type': contentType },
      signal,
    });
    const text = await response.text();
    if (!response.ok) {
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
    return JSON.parse(text) as T;
  }
}
