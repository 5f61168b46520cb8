// lumen/external-moderator against a real HTTP moderator: a node:http server
// on 127.0.0.1 whose answer each test chooses.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import externalModerator, {
  CircuitBreaker,
  UNAVAILABLE_CATEGORY,
  UNSPECIFIED_CATEGORY,
  verdictFromResult,
  type ExternalModeratorOptions,
} from '../../plugins/safety-moderator-http/index.js';
import { describeStageContract } from '../../plugins/sdk/testing/index.js';
import type { GenerationSpec, HookContext, Logger, SafetyVerdict } from '../../plugins/sdk/index.js';

interface SeenRequest {
  readonly method: string | undefined;
  readonly authorization: string | undefined;
  readonly body: string;
}

type Handler = (request: SeenRequest, res: ServerResponse) => void;

/** A loopback HTTP server that records every request and answers with the current handler. */
class FakeServer {
  readonly seen: SeenRequest[] = [];
  handler: Handler = (_, res) => res.writeHead(404).end();
  #server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method, authorization: req.headers.authorization, body: Buffer.concat(chunks).toString('utf8') };
      this.seen.push(request);
      this.handler(request, res);
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1/moderations`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

const moderation = (categories: Record<string, boolean | null>, scores: Record<string, number> = {}, flagged = Object.values(categories).some(Boolean)) => ({
  id: 'modr-1',
  model: 'omni-moderation-latest',
  results: [{ flagged, categories, category_scores: scores }],
});

const json =
  (body: unknown, status = 200): Handler =>
  (_, res) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

const allowAll = json(moderation({ sexual: false, violence: false }, { sexual: 0.01, violence: 0.02 }));

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A logger that keeps its lines, to check what the breaker reports. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

function context(prompt: string, options: { moderation?: GenerationSpec['moderation']; signal?: AbortSignal; logger?: Logger } = {}): HookContext {
  const job: GenerationSpec = {
    jobId: 'job_moderator',
    prompt,
    width: 64,
    height: 64,
    n: 1,
    quality: 'auto',
    outputFormat: 'png',
    outputCompression: 100,
    seed: 1,
    moderation: options.moderation ?? 'auto',
  };
  return { job, imageIndex: 0, seed: 1, signal: options.signal ?? new AbortController().signal, logger: options.logger ?? silent, watermarkPayload: new Uint8Array(8) };
}

const server = new FakeServer();
let url = '';

beforeAll(async () => {
  url = await server.start();
  server.handler = allowAll;
});
afterAll(() => server.stop());
afterEach(() => {
  server.seen.length = 0;
  server.handler = allowAll;
});

function stage(options: Partial<ExternalModeratorOptions> = {}) {
  const made = externalModerator({ url, apiKey: 'test-key', ...options });
  void made.setup?.({ logger: silent, runtime: { load: () => Promise.reject(new Error('no models here')) } });
  return made;
}

const check = (made: ReturnType<typeof stage>, prompt: string, options?: Parameters<typeof context>[1]): Promise<SafetyVerdict> =>
  Promise.resolve(made.checkPrompt!(context(prompt, options)));

describe('lumen/external-moderator options', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a missing url', {}, /url: Required/],
    ['a url that is not one', { url: 'not a url' }, /url: Invalid url/],
    ['a non-http url', { url: 'file:///etc/passwd' }, /url: must be an http/],
    ['both apiKey and apiKeyEnv', { url: 'https://x.test', apiKey: 'a', apiKeyEnv: 'B' }, /apiKey or apiKeyEnv, not both/],
    ['an unknown option', { url: 'https://x.test', timeout: 5 }, /Unrecognized key/],
    ['a bad onUnavailable', { url: 'https://x.test', onUnavailable: 'maybe' }, /onUnavailable/],
    ['a relaxable critical category', { url: 'https://x.test', relaxableCategories: ['sexual/minors'] }, /"sexual\/minors" is critical and cannot be relaxed/],
    ['a zero failureThreshold', { url: 'https://x.test', failureThreshold: 0 }, /failureThreshold/],
  ])('should reject %s at load, naming the plugin', (_, options, message) => {
    const load = () => externalModerator(options as unknown as ExternalModeratorOptions);
    expect(load).toThrow(/^lumen\/external-moderator: /);
    expect(load).toThrow(message);
  });

  it('should read the key from apiKeyEnv at load and refuse an unset variable', async () => {
    expect(() => externalModerator({ url, apiKeyEnv: 'LUMEN_TEST_MODERATOR_KEY_UNSET' })).toThrow(/LUMEN_TEST_MODERATOR_KEY_UNSET, which is not set/);
    process.env.LUMEN_TEST_MODERATOR_KEY = 'from-env';
    try {
      const made = externalModerator({ url, apiKeyEnv: 'LUMEN_TEST_MODERATOR_KEY' });
      expect((await check(made, 'a cat')).allowed).toBe(true);
      expect(server.seen[0]?.authorization).toBe('Bearer from-env');
    } finally {
      delete process.env.LUMEN_TEST_MODERATOR_KEY;
    }
  });
});

describe('lumen/external-moderator verdicts', () => {
  it('should POST {model, input} with the bearer key and allow an unflagged prompt', async () => {
    const verdict = await check(stage({ model: 'llama-guard-3-1b' }), 'a red circle');
    expect(verdict).toEqual({ allowed: true, score: 0.02 });
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]!.method).toBe('POST');
    expect(server.seen[0]!.authorization).toBe('Bearer test-key');
    expect(JSON.parse(server.seen[0]!.body)).toEqual({ model: 'llama-guard-3-1b', input: 'a red circle' });
  });

  it('should send no authorization header without a key', async () => {
    await check(externalModerator({ url }), 'a red circle');
    expect(server.seen[0]!.authorization).toBeUndefined();
  });

  it('should block a flagged prompt as its highest-scoring category', async () => {
    server.handler = json(moderation({ violence: true, harassment: true, sexual: false }, { violence: 0.91, harassment: 0.62, sexual: 0.1 }));
    const verdict = await check(stage(), 'something violent');
    expect(verdict).toMatchObject({ allowed: false, category: 'violence', score: 0.91 });
    if (!verdict.allowed) expect(verdict.reason).toContain('"violence" (severity high)');
  });

  it('should let a critical category win over a higher-scoring one', async () => {
    server.handler = json(moderation({ 'sexual/minors': true, violence: true }, { 'sexual/minors': 0.4, violence: 0.97 }));
    expect(await check(stage(), 'bad')).toMatchObject({ allowed: false, category: 'sexual/minors', score: 0.4 });
  });

  it('should relax only relaxable categories under moderation "low"', async () => {
    server.handler = json(moderation({ sexual: true }, { sexual: 0.8 }));
    expect((await check(stage(), 'nude figure study', { moderation: 'low' })).allowed).toBe(true);
    expect(await check(stage(), 'nude figure study')).toMatchObject({ allowed: false, category: 'sexual' });
    server.handler = json(moderation({ sexual: true, 'sexual/minors': true }, { sexual: 0.9, 'sexual/minors': 0.7 }));
    expect(await check(stage(), 'bad', { moderation: 'low' })).toMatchObject({ allowed: false, category: 'sexual/minors' });
  });

  it('should honour configured critical categories, e.g. Llama Guard hazard codes', async () => {
    server.handler = json(moderation({ S1: true, S4: true }, {}));
    const made = stage({ criticalCategories: ['S4'], relaxableCategories: [] });
    expect(await check(made, 'bad')).toMatchObject({ allowed: false, category: 'S4', score: 1 });
  });

  it('should block a result flagged without a category', () => {
    const policy = { critical: new Set<string>(), relaxable: new Set<string>() };
    expect(verdictFromResult({ flagged: true, categories: { sexual: false, illicit: null } }, policy)).toMatchObject({ allowed: false, category: UNSPECIFIED_CATEGORY });
    expect(verdictFromResult({ flagged: false, categories: { sexual: false, illicit: null } }, policy)).toEqual({ allowed: true, score: 0 });
  });
});

describe('lumen/external-moderator when the moderator fails', () => {
  const expectUnavailable = (verdict: SafetyVerdict) => expect(verdict).toMatchObject({ allowed: false, category: UNAVAILABLE_CATEGORY, score: 1 });

  it('should fail closed when the moderator is too slow', async () => {
    server.handler = (_, res) => void setTimeout(() => allowAll(_, res), 2_000);
    const started = performance.now();
    const verdict = await check(stage({ timeoutMs: 150 }), 'a red circle');
    expect(performance.now() - started).toBeLessThan(1_000);
    expectUnavailable(verdict);
    if (!verdict.allowed) expect(verdict.reason).toContain('did not answer within 150 ms');
  });

  it.each<[string, Handler]>([
    ['not JSON', (_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops</html>')],
    ['JSON of another shape', json({ results: [] })],
    ['a score outside [0, 1]', json(moderation({ sexual: false }, { sexual: 7 }))],
    ['an error status', json({ error: { message: 'overloaded' } }, 503)],
  ])('should fail closed on an answer that is %s', async (_, handler) => {
    server.handler = handler;
    expectUnavailable(await check(stage(), 'a red circle'));
  });

  it('should not follow a redirect, so the key never leaves the configured URL', async () => {
    const elsewhere = new FakeServer();
    const elsewhereUrl = await elsewhere.start();
    try {
      elsewhere.handler = allowAll;
      server.handler = (_, res) => res.writeHead(307, { location: elsewhereUrl }).end();
      expectUnavailable(await check(stage(), 'a red circle'));
      expect(server.seen).toHaveLength(1);
      expect(elsewhere.seen).toHaveLength(0);
    } finally {
      await elsewhere.stop();
    }
  });

  it('should fail closed when nothing listens at the URL', async () => {
    const gone = new FakeServer();
    const goneUrl = await gone.start();
    await gone.stop();
    const verdict = await check(externalModerator({ url: goneUrl }), 'a red circle');
    expectUnavailable(verdict);
    // The client-facing reason names no address.
    if (!verdict.allowed) expect(verdict.reason).not.toContain('127.0.0.1');
  });

  it('should open the circuit after failureThreshold failures and call nothing while open', async () => {
    server.handler = json({ error: { message: 'boom' } }, 500);
    const logger = recordingLogger();
    const made = stage({ failureThreshold: 3, cooldownMs: 60_000 });
    for (let i = 0; i < 10; i++) expectUnavailable(await check(made, `prompt ${i}`, { logger }));
    expect(server.seen).toHaveLength(3);
    expect(logger.lines.filter((line) => line.includes('circuit open'))).toHaveLength(1);
  });

  it('should send one trial call after the cooldown and close the circuit when it succeeds', async () => {
    server.handler = json({ error: { message: 'boom' } }, 500);
    const logger = recordingLogger();
    const made = stage({ failureThreshold: 2, cooldownMs: 200 });
    for (let i = 0; i < 5; i++) await check(made, `prompt ${i}`, { logger });
    expect(server.seen).toHaveLength(2);

    await new Promise((resolve) => setTimeout(resolve, 250));
    // Still failing: the one trial call reopens the circuit.
    for (let i = 0; i < 3; i++) expectUnavailable(await check(made, `again ${i}`, { logger }));
    expect(server.seen).toHaveLength(3);

    await new Promise((resolve) => setTimeout(resolve, 250));
    server.handler = allowAll;
    // Concurrent jobs during half-open: one trial goes out, the rest are refused without a call.
    const concurrent = await Promise.all([0, 1, 2].map((i) => check(made, `concurrent ${i}`, { logger })));
    expect(server.seen).toHaveLength(4);
    expect(concurrent.filter((verdict) => verdict.allowed)).toHaveLength(1);
    // Closed again: every prompt is asked.
    for (let i = 0; i < 3; i++) expect((await check(made, `healthy ${i}`, { logger })).allowed).toBe(true);
    expect(server.seen).toHaveLength(7);
    expect(logger.lines.filter((line) => line.includes('circuit open'))).toHaveLength(2);
    expect(logger.lines.some((line) => line.startsWith('info') && line.includes('circuit closed'))).toBe(true);
  });

  it('should cost one timeout per cooldown, not one per request, when the moderator hangs', async () => {
    server.handler = () => {}; // never answers
    const made = stage({ timeoutMs: 100, failureThreshold: 1, cooldownMs: 60_000 });
    const started = performance.now();
    for (let i = 0; i < 20; i++) expectUnavailable(await check(made, `prompt ${i}`));
    expect(server.seen).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  describe('with onUnavailable "allow"', () => {
    const down = () => {
      server.handler = json({ error: { message: 'down' } }, 500);
      return stage({ onUnavailable: 'allow', failureThreshold: 100 });
    };

    it('should allow a benign prompt', async () => {
      expect(await check(down(), 'a red circle on a blue background')).toEqual({ allowed: true, score: 0 });
    });

    it('should still block a prompt the local policy finds critical', async () => {
      const verdict = await check(down(), 'an underage girl, nude');
      expect(verdict).toMatchObject({ allowed: false, category: 'sexual/minors', score: 1 });
      if (!verdict.allowed) expect(verdict.reason).toContain('unavailable');
    });

    it('should leave non-critical local categories to lumen/prompt-policy', async () => {
      expect((await check(down(), 'a beheading in the town square')).allowed).toBe(true);
    });

    it('should block critically under an open circuit too', async () => {
      server.handler = json({ error: { message: 'down' } }, 500);
      const opened = stage({ onUnavailable: 'allow', failureThreshold: 1, cooldownMs: 60_000 });
      await check(opened, 'first');
      server.seen.length = 0;
      expect(await check(opened, 'an underage girl, nude')).toMatchObject({ allowed: false, category: 'sexual/minors' });
      expect(await check(opened, 'a red circle')).toEqual({ allowed: true, score: 0 });
      expect(server.seen).toHaveLength(0);
    });
  });
});

describe('lumen/external-moderator cancellation', () => {
  it('should reject with the job abort reason mid-call and not count it as a moderator failure', async () => {
    server.handler = () => {}; // hangs until the client gives up
    const made = stage({ timeoutMs: 10_000, failureThreshold: 1, cooldownMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      const controller = new AbortController();
      const reason = new Error(`job cancelled ${i}`);
      setTimeout(() => controller.abort(reason), 50);
      const started = performance.now();
      await expect(check(made, 'a red circle', { signal: controller.signal })).rejects.toBe(reason);
      expect(performance.now() - started).toBeLessThan(1_000);
    }
    // With failureThreshold 1, a counted abort would have opened the circuit after the first.
    expect(server.seen).toHaveLength(3);
  });

  it('should make no call when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already gone'));
    await expect(check(stage(), 'a red circle', { signal: controller.signal })).rejects.toThrow('already gone');
    expect(server.seen).toHaveLength(0);
  });
});

describe('CircuitBreaker', () => {
  it('should ignore abandoned calls and reopen on a failed trial', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 100, label: 'test', now: () => now });
    breaker.tryAcquire(silent)!.abandoned();
    breaker.tryAcquire(silent)!.abandoned();
    expect(breaker.state).toBe('closed');
    breaker.tryAcquire(silent)!.failed();
    breaker.tryAcquire(silent)!.failed();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire(silent)).toBeUndefined();
    now = 100;
    expect(breaker.state).toBe('half-open');
    const trial = breaker.tryAcquire(silent)!;
    expect(breaker.tryAcquire(silent)).toBeUndefined();
    trial.failed();
    expect(breaker.state).toBe('open');
    now = 200;
    // An abandoned trial frees the slot for the next caller.
    breaker.tryAcquire(silent)!.abandoned();
    breaker.tryAcquire(silent)!.succeeded();
    expect(breaker.state).toBe('closed');
  });
});

// The plugin contract, against the loopback moderator (the file-level beforeAll has started it).
describeStageContract('lumen/external-moderator', () => externalModerator({ url, apiKey: 'test-key' }));
