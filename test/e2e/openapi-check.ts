// Checks real answers against the OpenAPI document (gateway/openapi.ts): the
// route and status must be documented, the content type must be one the
// answer lists, and a JSON body (or each event of a stream) must match its
// schema, compiled with ajv in the 2020-12 dialect OpenAPI 3.1 uses.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../gateway/openapi.js';

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

/** The documented path template a concrete path falls under, or undefined. */
export function pathTemplateOf(pathname: string): string | undefined {
  for (const template of Object.keys(openApi.paths ?? {})) {
    // `{key}` of /v1/files may hold slashes; every other parameter is one segment.
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{key\}/g, '.+').replace(/\{[^}]+\}/g, '[^/]+');
    if (new RegExp(`^${pattern}$`).test(pathname)) return template;
  }
  return undefined;
}

/** Reads a copy of the response and checks it (streams to their end); the response itself stays unread. */
export async function expectResponseMatchesOpenApi(method: string, response: Response, pathTemplate?: string): Promise<void> {
  const path = new URL(response.url).pathname;
  const template = pathTemplate ?? pathTemplateOf(path);
  if (!template) throw new Error(`${method} ${path} is not in the OpenAPI document`);
  const contentType = response.headers.get('content-type') ?? '';
  const copy = response.clone();
  const media = contentType.split(';')[0]!.trim();
  const body = media === 'application/json' ? ((await copy.json()) as unknown) : media === 'text/event-stream' ? await copy.text() : await copy.arrayBuffer();
  expectMatchesOpenApi(method, template, response.status, contentType, body);
}
