// Checks real answers against the OpenAPI document (gateway/openapi.ts): the
// route and status must be documented, the content type must be one the
// answer lists, and a JSON body (or each event of a stream) must match its
// schema, compiled with ajv in the 2020-12 dialect OpenAPI 3.1 uses.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../gateway/openapi.js';
import { errorBodySchema } from '../../protocol/openai.js';

const DOCUMENT_ID = 'https://lumen.invalid/openapi.json';
export const openApi = openApiDocument();

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// OpenAPI's annotation for file parts; bodies of that kind are not JSON and never reach ajv.
ajv.addFormat('binary', true);
ajv.addSchema({ ...openApi, $id: DOCUMENT_ID });

const compiled = new Map<string, ValidateFunction>();
const pointer = (...segments: string[]) => segments.map((segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

function validatorAt(...segments: string[]): ValidateFunction {
  const ref = `${DOCUMENT_ID}#/${pointer(...segments)}`;
  let validate = compiled.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    compiled.set(ref, validate);
  }
  return validate;
}

interface MediaMatch {
  /** The media type as the document lists it (e.g. `image/*`). */
  listed: string;
  status: string;
}

function documentedMedia(method: string, pathTemplate: string, status: number, contentType: string): MediaMatch {
  const operation = openApi.paths?.[pathTemplate]?.[method.toLowerCase() as 'get'];
  if (!operation) throw new Error(`${method} ${pathTemplate} is not in the OpenAPI document`);
  const answer = operation.responses?.[String(status)] as { content?: Record<string, unknown> } | undefined;
  if (!answer) throw new Error(`${method} ${pathTemplate} answered ${status}, which the OpenAPI document does not list (it lists ${Object.keys(operation.responses ?? {}).join(', ')})`);
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  const listed = Object.keys(answer.content ?? {});
  const found = listed.find((candidate) => candidate === media || (candidate.endsWith('/*') && media.startsWith(candidate.slice(0, -1))));
  if (!found) throw new Error(`${method} ${pathTemplate} ${status} answered ${contentType || 'no content type'}; the document lists ${listed.join(', ') || 'no content'}`);
  return { listed: found, status: String(status) };
}

function expectValid(validate: ValidateFunction, value: unknown, what: string): void {
  if (validate(value)) return;
  const problems = (validate.errors ?? []).slice(0, 8).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
  throw new Error(`${what} does not match the OpenAPI document:\n  ${problems.join('\n  ')}\nbody: ${JSON.stringify(value).slice(0, 600)}`);
}

/** One server-sent event: its name (`event:`) and its data. */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

/** Parses a text/event-stream body into its events (comments and keep-alives dropped). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return events;
}

/**
 * Throws unless the answer is documented: `body` is the parsed JSON for a JSON
 * answer, the raw text of a text/event-stream (each event's data is checked,
 * and an image stream's event name must equal its `type`), and is not looked
 * at for binary answers.
 */
export function expectMatchesOpenApi(method: string, pathTemplate: string, status: number, contentType: string, body: unknown): void {
  const { listed } = documentedMedia(method, pathTemplate, status, contentType);
  const segments = ['paths', pathTemplate, method.toLowerCase(), 'responses', String(status), 'content', listed, 'schema'];
  const what = `${method} ${pathTemplate} ${status} (${listed})`;
  if (listed === 'application/json') {
    expectValid(validatorAt(...segments), body, what);
  } else if (listed === 'text/event-stream') {
    if (typeof body !== 'string') throw new Error(`${what}: pass the stream's text`);
    const events = parseSse(body);
    if (events.length === 0) throw new Error(`${what}: the stream has no events`);
    for (const { event, data } of events) {
      const parsed: unknown = JSON.parse(data);
      expectValid(validatorAt(...segments), parsed, `${what} event ${event ?? '(unnamed)'}`);
      const type = (parsed as { type?: unknown }).type;
      if (typeof type === 'string' && event !== type) throw new Error(`${what}: event '${event}' carries type '${type}'`);
    }
  }
}

/** Path parameters whose values may hold slashes: a file's storage key, a model pack id (`lumen/…`). */
const MULTI_SEGMENT_PARAMETERS = new Set(['key', 'model']);

/** The documented path template a concrete path falls under, or undefined. */
export function pathTemplateOf(pathname: string): string | undefined {
  for (const template of Object.keys(openApi.paths ?? {})) {
    const pattern = template
      .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      .replace(/\{([^}]+)\}/g, (_, name: string) => (MULTI_SEGMENT_PARAMETERS.has(name) ? '.+' : '[^/]+'));
    if (new RegExp(`^${pattern}$`).test(pathname)) return template;
  }
  return undefined;
}

/** Reads a copy of the response and checks it (streams to their end); the response itself stays unread. */
export async function expectResponseMatchesOpenApi(method: string, response: Response, pathTemplate?: string): Promise<void> {
  const path = new URL(response.url).pathname;
  const template = pathTemplate ?? pathTemplateOf(path);
  if (!template) {
    // The playground's and console's static files are not API routes.
    if (!API_PATH.test(path)) return;
    // An unknown API path is a 404 in the OpenAI error shape, which no route of the document describes.
    if (response.status === 404 && errorBodySchema.safeParse(await response.clone().json().catch(() => null)).success) return;
    throw new Error(`${method} ${path} is not in the OpenAPI document`);
  }
  const contentType = response.headers.get('content-type') ?? '';
  const copy = response.clone();
  const media = contentType.split(';')[0]!.trim();
  const body = media === 'application/json' ? ((await copy.json()) as unknown) : media === 'text/event-stream' ? await copy.text() : await copy.arrayBuffer();
  expectMatchesOpenApi(method, template, response.status, contentType, body);
}

/** Paths the worker answers; every other path is a static asset. */
const API_PATH = /^\/(v1\/|internal\/|\.well-known\/|openapi\.json$|docs$|healthz$)/;

/** Routes the document leaves out on purpose (operators and origin workers). */
const UNDOCUMENTED_PREFIXES = ['/v1/admin/', '/internal/'];

const watched = new Map<string, { violations: string[]; pending: Set<Promise<void>> }>();
let unwrappedFetch: typeof fetch | undefined;

/**
 * Checks every answer `fetch` gets from `baseUrl` against the document, from
 * now until the returned stop(), which throws if any did not match. The caller
 * reads its answers as usual; the check reads a copy. Streams are left to
 * openapi.test.ts, which reads them to the end: a copy of a stream the caller
 * stops reading early would be held open by this.
 */
export function checkAnswersAgainstOpenApi(baseUrl: string): { stop(): Promise<void> } {
  const state = { violations: [] as string[], pending: new Set<Promise<void>>() };
  watched.set(baseUrl, state);
  if (!unwrappedFetch) {
    const original = globalThis.fetch;
    unwrappedFetch = original;
    globalThis.fetch = async (input, init) => {
      const response = await original(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
      const watcher = [...watched.entries()].find(([base]) => url.startsWith(base))?.[1];
      const path = new URL(url).pathname;
      const media = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
      if (watcher && !UNDOCUMENTED_PREFIXES.some((prefix) => path.startsWith(prefix)) && media !== 'text/event-stream') {
        const check: Promise<void> = expectResponseMatchesOpenApi(method, response)
          .catch((error: unknown) => {
            watcher.violations.push(`${method} ${path} → ${response.status}: ${error instanceof Error ? error.message : String(error)}`);
          })
          .finally(() => watcher.pending.delete(check));
        watcher.pending.add(check);
      }
      return response;
    };
  }
  return {
    async stop() {
      await Promise.all(state.pending);
      watched.delete(baseUrl);
      if (watched.size === 0 && unwrappedFetch) {
        globalThis.fetch = unwrappedFetch;
        unwrappedFetch = undefined;
      }
      if (state.violations.length > 0) throw new Error(`answers that do not match /openapi.json:\n${state.violations.join('\n')}`);
    },
  };
}
