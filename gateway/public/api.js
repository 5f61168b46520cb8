// The playground's side of the HTTP API: requests with the key, server-sent
// events read from fetch (EventSource cannot send Authorization), and errors
// and limits put into words.

/** Thrown for any non-2xx answer; `message` is already in words for a person. */
export class ApiProblem extends Error {
  /** @param {string} message @param {number} status @param {Record<string, unknown> | null} error @param {Headers | null} headers */
  constructor(message, status, error, headers) {
    super(message);
    this.status = status;
    this.error = error;
    this.headers = headers;
  }
}

/** @param {string} key @param {HeadersInit} [extra] */
export function authHeaders(key, extra = {}) {
  return { authorization: `Bearer ${key}`, ...extra };
}

const CATEGORY_WORDS = {
  'sexual/minors': 'sexual content involving minors',
  'sexual/non-consensual': 'non-consensual sexual content',
  'sexual/deepfake': 'sexual deepfakes of real people',
  sexual: 'sexual content',
  harassment: 'harassment',
  'harassment/threatening': 'threatening harassment',
  hate: 'hate',
  'hate/threatening': 'threatening hate',
  illicit: 'help with illegal activity',
  'illicit/violent': 'help with violent wrongdoing',
  'self-harm': 'self-harm',
  'self-harm/intent': 'intent of self-harm',
  'self-harm/instructions': 'instructions for self-harm',
  violence: 'violence',
  'violence/graphic': 'graphic violence',
  extremism: 'violent extremism',
};

/** @param {string} category */
export function categoryInWords(category) {
  return CATEGORY_WORDS[/** @type {keyof typeof CATEGORY_WORDS} */ (category)] ?? category.replace(/[/_-]/g, ' ');
}

/** @param {number} seconds */
export function waitInWords(seconds) {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

const LIMIT_WORDS = {
  images: 'You have used up the images your plan allows per minute.',
  requests: 'You have sent as many requests as your plan allows per minute.',
  concurrent: 'You already have as many jobs running as your plan allows.',
  reads: 'You have checked on jobs too often this minute.',
  signups: 'Too many free keys were made from here recently.',
  auth_failures: 'Too many wrong keys were tried from here.',
};

/**
 * A person-readable sentence for an error answer.
 * @param {number} status @param {any} error the OpenAI error object, if any @param {Headers} headers
 */
export function describeError(status, error, headers) {
  const message = typeof error?.message === 'string' ? error.message : `The server answered ${status}.`;
  const retryAfter = Number(headers.get('retry-after'));
  const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? ` Try again in ${waitInWords(retryAfter)}.` : '';
  if (error?.code === 'moderation_blocked') {
    const category = typeof error.category === 'string' ? categoryInWords(error.category) : 'content the safety policy does not allow';
    const where = error.moderation_stage === 'output' ? 'The rendered image was stopped' : 'This prompt was blocked';
    return `${where} by the safety policy: it asks for ${category}. Change the prompt and try again.`;
  }
  if (status === 401) return `The API key was not accepted: ${message} Paste a valid key, or get a free one.`;
  if (status === 429) {
    const what = LIMIT_WORDS[/** @type {keyof typeof LIMIT_WORDS} */ (error?.type)] ?? 'You have reached a rate limit.';
    return `${what}${wait || ' Try again shortly.'} (${message})`;
  }
  if (status === 503 && error?.code === 'queue_full') return `The queue is full right now.${wait}`;
  if (status === 409 && error?.code === 'job_cancelled') return 'The job was cancelled.';
  if (status === 400 || status === 404 || status === 413 || status === 422) {
    const param = typeof error?.param === 'string' && error.param ? ` (field: ${error.param})` : '';
    return `${message}${param}`;
  }
  if (status >= 500) return `The server could not finish this: ${message}${wait}`;
  return message;
}

/** @param {Response} response */
export async function problemOf(response) {
  let error = null;
  try {
    const body = await response.json();
    error = body && typeof body === 'object' ? body.error ?? null : null;
  } catch {
    // not JSON: the status alone has to do
  }
  return new ApiProblem(describeError(response.status, error, response.headers), response.status, error, response.headers);
}

/**
 * "N of M images left this minute" from the x-ratelimit-* headers, or null when the answer has none.
 * @param {Headers} headers
 */
export function limitsInWords(headers) {
  const remaining = headers.get('x-ratelimit-remaining-images');
  const limit = headers.get('x-ratelimit-limit-images');
  if (remaining === null || limit === null) return null;
  const requests = headers.get('x-ratelimit-remaining-requests');
  const requestLimit = headers.get('x-ratelimit-limit-requests');
  const tail = requests !== null && requestLimit !== null ? ` · ${requests} of ${requestLimit} requests` : '';
  return `${remaining} of ${limit} images left this minute${tail}`;
}

/**
 * Reads a text/event-stream body, calling `onEvent` for each event as it arrives.
 * Resolves when the stream ends; rejects with an AbortError when `signal` aborts.
 * @param {Response} response
 * @param {(event: { event: string, data: string, id: string | null }) => void} onEvent
 */
export async function readEvents(response, onEvent) {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      let id = null;
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
        else if (field === 'id') id = text;
      }
      if (data.length > 0) onEvent({ event, data: data.join('\n'), id });
    }
  }
}

/** @param {string} b64 @param {string} type */
export function blobOfBase64(b64, type) {
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type });
}
