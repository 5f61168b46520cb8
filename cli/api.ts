// The HTTP side of the CLI: where the server is, the key, and how each kind of
// failure answer becomes one of the CLI's errors (cli/errors.ts).
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { errorBodySchema } from '../protocol/openai.js';
import { AuthError, FailedError, InterruptedError, RefusedError, UsageError, type CliError } from './errors.js';

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8787';

export interface Connection {
  /** The server's origin, without `/v1`. */
  baseUrl: string;
  apiKey: string | undefined;
  /** Where each setting came from, for error messages that tell the user what to change. */
  keyVariable: string | undefined;
}

/** A base URL as either family of variables writes it: OPENAI_BASE_URL conventionally ends in /v1, LUMEN_BASE_URL need not. */
export function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`The base URL '${raw}' is not a URL; set LUMEN_BASE_URL to e.g. ${DEFAULT_BASE_URL}.`);
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${url.origin}${path}`;
}

/** LUMEN_* first, then the OPENAI_* variables an OpenAI client already has set. */
export function connectionFrom(env: NodeJS.ProcessEnv, baseUrlOption?: string): Connection {
  const keyVariable = env.LUMEN_API_KEY ? 'LUMEN_API_KEY' : env.OPENAI_API_KEY ? 'OPENAI_API_KEY' : undefined;
  const baseUrl = baseUrlOption || env.LUMEN_BASE_URL || env.OPENAI_BASE_URL || DEFAULT_BASE_URL;
  return { baseUrl: normaliseBaseUrl(baseUrl), apiKey: keyVariable && env[keyVariable], keyVariable };
}

export interface RequestOptions {
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Signup is the one route that needs no key. */
  anonymous?: boolean;
}

export interface ServerEvent {
  id: string | undefined;
  event: string;
  data: Record<string, unknown>;
}

export class LumenClient {
  constructor(readonly connection: Connection) {}

  /** Sends a request and returns the response if it is a 2xx; any other answer throws the matching CliError. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': 'lumen-cli', ...options.headers };
    if (!options.anonymous) headers.authorization = `Bearer ${this.#key()}`;
    let body: string | FormData | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      body = options.form;
    }
    const url = `${this.connection.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, signal: options.signal });
    } catch (error) {
      throw networkError(error, this.connection.baseUrl, options.signal);
    }
    if (!response.ok) throw await errorOfResponse(response);
    return response;
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, options);
    return (await response.json()) as T;
  }

  /** The server-sent events of `path`, parsed; ends when the server closes the stream. */
  async *events(path: string, lastEventId: string | undefined, signal: AbortSignal): AsyncGenerator<ServerEvent> {
    const response = await this.request('GET', path, { headers: { accept: 'text/event-stream', ...(lastEventId && { 'last-event-id': lastEventId }) }, signal });
    if (!response.body) return;
    const stream = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
    try {
      for await (const message of stream) {
        let data: unknown;
        try {
          data = JSON.parse(message.data);
        } catch {
          continue;
        }
        if (data && typeof data === 'object') yield { id: message.id, event: message.event ?? 'message', data: data as Record<string, unknown> };
      }
    } catch (error) {
      throw networkError(error, this.connection.baseUrl, signal);
    }
  }

  #key(): string {
    const key = this.connection.apiKey;
    if (!key) throw new AuthError('No API key: set LUMEN_API_KEY (or OPENAI_API_KEY); `lumen signup` gets a free one.');
    return key;
  }
}

function networkError(error: unknown, baseUrl: string, signal: AbortSignal | undefined): CliError {
  if (signal?.aborted) return new InterruptedError('Interrupted.');
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
  return new FailedError(`Cannot reach ${baseUrl}: ${cause}. Is the server running? (set LUMEN_BASE_URL to point elsewhere)`);
}

/** An error answer as one line: what the server said, its code, and what to do about a wait. */
async function errorOfResponse(response: Response): Promise<CliError> {
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const body = errorBodySchema.safeParse(parsed);
  const error = body.success ? body.data.error : undefined;
  const code = error?.code ?? null;
  const details = [`${response.status}${code ? ` ${code}` : ''}`];
  const said = (error?.message ?? text.trim().split('\n')[0]) || response.statusText;
  if (typeof error?.category === 'string' && !said.includes(error.category)) details.push(`category ${error.category}`);
  const retryAfter = response.headers.get('retry-after');
  if (response.status === 429 && retryAfter) details.push(`retry after ${retryAfter} s`);
  const message = `${said} (${details.join(', ')})`;
  if (response.status === 401 || code === 'auth_throttled') return new AuthError(message);
  if (response.status >= 400 && response.status < 500) return new RefusedError(message);
  return new FailedError(message);
}
