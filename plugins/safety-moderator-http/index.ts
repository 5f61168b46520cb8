// A prompt check that asks an external, OpenAI-compatible moderation
// endpoint (OpenAI's /v1/moderations, or a self-hosted Llama Guard behind an
// OpenAI-style server) and fails closed when it cannot get an answer.
// docs/PLUGINS.md ("The external moderator") states the exact semantics.
import { isIP } from 'node:net';
import { z } from 'zod';
import { compilePolicy, DEFAULT_POLICY, moderateText } from '../safety-policy/engine.js';
import { defineStage, type GenerationSpec, type SafetyVerdict } from '../sdk/index.js';
import { CircuitBreaker } from './circuit-breaker.js';

export { CircuitBreaker, type BreakerState, type CallTicket, type CircuitBreakerOptions } from './circuit-breaker.js';

const STAGE_NAME = 'lumen/external-moderator';

/**
 * Categories (OpenAI's names) that block even under `moderation: "low"` and
 * that the local policy still guards when the moderator is down and
 * `onUnavailable` is `allow`: sexual content involving minors, instructions
 * for self-harm, instructions for violent crime (weapons, attacks) and
 * threats against protected groups. `violence/graphic` is left out on
 * purpose: gore is legitimate in horror and war art, and the bundled local
 * policy marks it relaxable too.
 */
export const DEFAULT_CRITICAL_CATEGORIES: readonly string[] = ['sexual/minors', 'self-harm/instructions', 'illicit/violent', 'hate/threatening'];

/** Categories a job with `moderation: "low"` does not block on, unless the options say otherwise (as in the bundled local policy). */
export const DEFAULT_RELAXABLE_CATEGORIES: readonly string[] = ['sexual', 'violence/graphic'];

/** The verdict category of a prompt refused because the moderator gave no usable answer. */
export const UNAVAILABLE_CATEGORY = 'moderation-unavailable';

/** The verdict category when the moderator says `flagged` but names no category. */
export const UNSPECIFIED_CATEGORY = 'unspecified';

/** Answers larger than this are not moderation results; reading stops there. */
const MAX_RESPONSE_BYTES = 1 << 20;

export interface ExternalModeratorOptions {
  /** The moderation endpoint, POSTed `{ model, input }`, e.g. `https://api.openai.com/v1/moderations`. */
  url: string;
  /** Bearer token. Prefer `apiKeyEnv`: the host logs a plugin's options when they are rejected. */
  apiKey?: string;
  /** Name of the environment variable that holds the bearer token (read once, when the pipeline loads). */
  apiKeyEnv?: string;
  /** The `model` field of the request. Default `omni-moderation-latest`. */
  model?: string;
  /** How long one call may take, answer included (ms). Default 1500. */
  timeoutMs?: number;
  /** What happens to a prompt when the moderator gives no usable answer. Default `block`. */
  onUnavailable?: 'block' | 'allow';
  /** Categories that are never relaxed and are checked locally when the moderator is down. Default {@link DEFAULT_CRITICAL_CATEGORIES}. */
  criticalCategories?: readonly string[];
  /** Categories `moderation: "low"` does not block on; none may be critical. Default {@link DEFAULT_RELAXABLE_CATEGORIES}. */
  relaxableCategories?: readonly string[];
  /** Consecutive failures after which no call is made for `cooldownMs`. Default 3. */
  failureThreshold?: number;
  /** How long the circuit stays open before one trial call (ms). Default 30 000. */
  cooldownMs?: number;
}

const categoryList = z.array(z.string().min(1));

const optionsSchema = z
  .object({
    url: z
      .string()
      .url()
      .refine((url) => !URL.canParse(url) || ['http:', 'https:'].includes(new URL(url).protocol), 'must be an http:// or https:// URL'),
    apiKey: z.string().min(1).optional(),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable')
      .optional(),
    model: z.string().min(1).default('omni-moderation-latest'),
    timeoutMs: z.number().int().min(1).max(120_000).default(1500),
    onUnavailable: z.enum(['block', 'allow']).default('block'),
    criticalCategories: categoryList.default([...DEFAULT_CRITICAL_CATEGORIES]),
    relaxableCategories: categoryList.default([...DEFAULT_RELAXABLE_CATEGORIES]),
    failureThreshold: z.number().int().min(1).default(3),
    cooldownMs: z.number().int().min(0).default(30_000),
  })
  .strict()
  .refine((options) => !(options.apiKey && options.apiKeyEnv), { message: 'give apiKey or apiKeyEnv, not both', path: ['apiKey'] })
  .superRefine((options, ctx) => {
    const both = options.relaxableCategories.filter((category) => options.criticalCategories.includes(category));
    if (both.length > 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['relaxableCategories'],
        message: `${both.map((c) => `"${c}"`).join(', ')} ${both.length === 1 ? 'is' : 'are'} critical and cannot be relaxed`,
      });
    }
  });

/** The part of an OpenAI moderation response the stage reads; anything else in the body is ignored. */
const moderationResponse = z.object({
  results: z
    .array(
      z.object({
        flagged: z.boolean(),
        // OpenAI sends null for categories a model does not cover.
        categories: z.record(z.string(), z.boolean().nullable()),
        category_scores: z.record(z.string(), z.number().min(0).max(1)).optional(),
      }),
    )
    .min(1),
});

export type ModeratorResult = z.infer<typeof moderationResponse>['results'][number];

export interface ModerationPolicy {
  readonly critical: ReadonlySet<string>;
  readonly relaxable: ReadonlySet<string>;
}

/**
 * Turns one moderation result into a verdict. Every category the moderator
 * flags (`true`) blocks, except relaxable ones under `moderation: "low"`; of
 * several, a critical one wins, then the highest score, then the name, so
 * the answer does not depend on the order of the JSON keys. A result that is
 * `flagged` without naming a category blocks as {@link UNSPECIFIED_CATEGORY}.
 */
export function verdictFromResult(result: ModeratorResult, policy: ModerationPolicy, moderation: GenerationSpec['moderation'] = 'auto'): SafetyVerdict {
  const scores = result.category_scores ?? {};
  const scoreOf = (category: string) => scores[category] ?? 1;
  const named = Object.entries(result.categories)
    .filter(([, flagged]) => flagged === true)
    .map(([category]) => category);
  const blocking = named.filter((category) => policy.critical.has(category) || !(moderation === 'low' && policy.relaxable.has(category)));
  const highest = Math.max(0, ...Object.values(scores));
  if (blocking.length === 0) {
    if (result.flagged && named.length === 0) {
      return { allowed: false, category: UNSPECIFIED_CATEGORY, score: 1, reason: 'The content moderator flagged the prompt without naming a category.' };
    }
    return { allowed: true, score: highest };
  }
  const rank = (category: string) => (policy.critical.has(category) ? 1 : 0);
  const [worst] = blocking.sort((a, b) => rank(b) - rank(a) || scoreOf(b) - scoreOf(a) || a.localeCompare(b));
  const category = worst!;
  const severity = policy.critical.has(category) ? 'critical' : 'high';
  const relaxHint = policy.relaxable.has(category) ? ' Requests with moderation "low" allow this category.' : '';
  return {
    allowed: false,
    category,
    score: scoreOf(category),
    reason: `The content moderator flagged the prompt as "${category}" (severity ${severity}).${relaxHint}`,
  };
}

/** Why a call gave no usable answer. The message is safe to show a client (no URL, no address, no key); `detail` is for the log. */
class ModeratorUnavailable extends Error {
  override name = 'ModeratorUnavailable';
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

function parseOptions(options: ExternalModeratorOptions) {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
    throw new TypeError(`${STAGE_NAME}: ${problems.join('; ')}`);
  }
  const { apiKeyEnv, ...rest } = parsed.data;
  let apiKey = rest.apiKey;
  if (apiKeyEnv !== undefined) {
    apiKey = process.env[apiKeyEnv];
    if (!apiKey) throw new TypeError(`${STAGE_NAME}: apiKeyEnv names ${apiKeyEnv}, which is not set in the worker's environment`);
  }
  return { ...rest, apiKey };
}

const isLoopback = (hostname: string) =>
  hostname === 'localhost' || hostname === '[::1]' || (isIP(hostname) === 4 && hostname.startsWith('127.'));

/**
 * Checks every prompt with an external moderation endpoint before any token
 * is made. Without a usable answer (down, slow, garbage, redirect) the prompt
 * is blocked, or with `onUnavailable: "allow"` blocked only if the bundled
 * local policy finds a critical category in it. A circuit breaker stops
 * calling a moderator that keeps failing.
 */
export default defineStage('safety', (options: ExternalModeratorOptions) => {
  const config = parseOptions(options);
  const policy: ModerationPolicy = { critical: new Set(config.criticalCategories), relaxable: new Set(config.relaxableCategories) };
  const breaker = new CircuitBreaker({ failureThreshold: config.failureThreshold, cooldownMs: config.cooldownMs, label: STAGE_NAME });
  // Only the `allow` path consults the local engine, so only it pays for compiling the policy.
  const localPolicy = config.onUnavailable === 'allow' ? compilePolicy(DEFAULT_POLICY) : undefined;

  /** One POST to the moderator; resolves to its first result or rejects with ModeratorUnavailable (or the job's abort reason). */
  async function ask(prompt: string, signal: AbortSignal): Promise<ModeratorResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
    const timeout = AbortSignal.timeout(config.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(config.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: config.model, input: prompt }),
        // A redirect could carry the bearer token to another host: never follow one.
        redirect: 'manual',
        signal: AbortSignal.any([signal, timeout]),
      });
      const declared = Number(response.headers.get('content-length') ?? 0);
      if (declared > MAX_RESPONSE_BYTES) {
        await response.body?.cancel();
        throw new ModeratorUnavailable(`the moderator sent ${declared} bytes, more than a moderation result`);
      }
      text = await response.text();
    } catch (error) {
      signal.throwIfAborted();
      if (error instanceof ModeratorUnavailable) throw error;
      if (timeout.aborted) throw new ModeratorUnavailable(`the moderator did not answer within ${config.timeoutMs} ms`);
      throw new ModeratorUnavailable('the moderator could not be reached', String((error as Error).cause ?? error));
    }
    if (response.status >= 300 && response.status < 400) throw new ModeratorUnavailable(`the moderator answered with a redirect (HTTP ${response.status}), which is not followed`);
    if (!response.ok) throw new ModeratorUnavailable(`the moderator answered HTTP ${response.status}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ModeratorUnavailable('the moderator answered with something that is not JSON');
    }
    const parsed = moderationResponse.safeParse(body);
    if (!parsed.success) throw new ModeratorUnavailable('the moderator answered JSON that is not a moderation result');
    return parsed.data.results[0]!;
  }

  /** The verdict when the moderator gave no usable answer; see `onUnavailable`. */
  function unavailable(prompt: string, why: string, moderation: GenerationSpec['moderation']): SafetyVerdict {
    if (!localPolicy) {
      return { allowed: false, category: UNAVAILABLE_CATEGORY, score: 1, reason: `The content moderator is unavailable (${why}), so prompts are refused. Try again later.` };
    }
    const local = moderateText(localPolicy, prompt, { moderation });
    // Critical here: critical in the local policy (`blocked` ranks by severity) or listed in criticalCategories.
    const critical =
      local.blocked?.severity === 'critical'
        ? local.blocked.category
        : Object.entries(local.categories).find(([category, hit]) => hit && policy.critical.has(category))?.[0];
    if (critical) {
      return {
        allowed: false,
        category: critical,
        score: 1,
        reason: `The content moderator is unavailable (${why}) and the local policy finds the critical category "${critical}" in the prompt.`,
      };
    }
    return { allowed: true, score: 0 };
  }

  return {
    name: STAGE_NAME,
    order: 'pre',
    setup({ logger }) {
      const url = new URL(config.url);
      if (config.apiKey && url.protocol === 'http:' && !isLoopback(url.hostname)) {
        logger.warn(`${STAGE_NAME}: the API key is sent over plain http to ${url.host}; use https outside a private network`);
      }
    },
    async checkPrompt(ctx) {
      ctx.signal.throwIfAborted();
      const { logger } = ctx;
      const ticket = breaker.tryAcquire(logger);
      if (!ticket) return unavailable(ctx.job.prompt, 'it failed repeatedly and is not asked again for a while', ctx.job.moderation);
      let result: ModeratorResult;
      try {
        result = await ask(ctx.job.prompt, ctx.signal);
      } catch (error) {
        if (!(error instanceof ModeratorUnavailable)) {
          ticket.abandoned();
          throw error;
        }
        ticket.failed(error.message);
        logger.warn(`${STAGE_NAME}: no usable answer: ${error.message}`, { detail: error.detail, onUnavailable: config.onUnavailable });
        return unavailable(ctx.job.prompt, error.message, ctx.job.moderation);
      }
      ticket.succeeded();
      return verdictFromResult(result, policy, ctx.job.moderation);
    },
  };
});
