import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv, RateLimitState } from '../env.js';
import { RateLimitError } from '../errors.js';
import { TIER_CONFIG_CACHE_MS } from '../limits.js';
import { MAX_ALLOWANCE, tenantStub, type AllowanceAsk, type RateSnapshot, type ReadSnapshot, type RequestDecision } from '../objects/tenant.js';
import { liveTierConfig, rateLimitHeaders, readRateLimitHeaders } from '../tier-limits.js';

function setHeaders(c: Context<AppEnv>, headers: Record<string, string>): void {
  try {
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  } catch {
    // Headers of a response passed through from fetch() are immutable; copy it once.
    const copy = new Response(c.res.body, c.res);
    for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
    c.res = copy;
  }
}

// ---------------------------------------------------------------------------
// Known-empty request buckets

type RequestRefusal = Extract<RequestDecision, { ok: false }>;

/**
 * Tenants whose request bucket this isolate saw empty, until the next token
 * is due (and for at most TIER_CONFIG_CACHE_MS): their requests are refused
 * here, as their Tenant would refuse them, with no call and before any body
 * is read or any upload decoded. Only an admin raising the limit or an
 * idempotent refund could admit one sooner, and a limit change already takes
 * TIER_CONFIG_CACHE_MS to reach an isolate.
 */
const emptyRequestBuckets = new Map<string, { until: number; tokenDueAt: number; refusal: RequestRefusal }>();
const EMPTY_BUCKETS_KEPT = 10_000;

/** Records a refusal for a request token, from the middleware or from an admission (jobs/slots.ts). */
export function noteRequestRefusal(tenantId: string, refusal: RequestRefusal, now = Date.now()): void {
  emptyRequestBuckets.delete(tenantId);
  emptyRequestBuckets.set(tenantId, { until: now + Math.min(refusal.retryAfterMs, TIER_CONFIG_CACHE_MS), tokenDueAt: now + refusal.retryAfterMs, refusal });
  if (emptyRequestBuckets.size > EMPTY_BUCKETS_KEPT) emptyRequestBuckets.delete(emptyRequestBuckets.keys().next().value as string);
}

/**
 * Forgets what this isolate knows of one tenant's buckets (a refusal, tokens
 * taken ahead), or of every tenant's, for an admin change to limits made
 * through this isolate; others forget within TIER_CONFIG_CACHE_MS.
 */
export function forgetBucketState(tenantId?: string): void {
  if (tenantId === undefined) emptyRequestBuckets.clear();
  else emptyRequestBuckets.delete(tenantId);
  requestAllowances.forget(tenantId);
  readAllowances.forget(tenantId);
}

function requestRefusalError(refusal: RequestRefusal, retryAfterMs: number): RateLimitError {
  return new RateLimitError('requests', refusal.message, retryAfterMs, rateLimitHeaders(refusal.rate));
}

function knownEmpty(tenantId: string, now: number): RateLimitError | null {
  const known = emptyRequestBuckets.get(tenantId);
  if (!known) return null;
  if (known.until <= now) {
    emptyRequestBuckets.delete(tenantId);
    return null;
  }
  return requestRefusalError(known.refusal, known.tokenDueAt - now);
}

// ---------------------------------------------------------------------------
// Allowances

/** How long tokens taken ahead may be spent before they go back to the bucket. */
const ALLOWANCE_MS = 100;
const ALLOWANCES_KEPT = 10_000;

/**
 * Tokens a busy isolate took ahead from one tenant's bucket, to spend without
 * a Tenant call. The Tenant took them from the bucket when it handed them
 * out, so admissions still never exceed what the bucket holds. It hands out
 * at most a tenth of the bucket and nothing from its second half; and an
 * isolate asks for more than one only after a whole second in which it saw
 * at least 1,000 / ALLOWANCE_MS requests from the tenant. So ordinary
 * traffic, the first second of a burst and a bucket running low are still
 * decided by the Tenant request by request. What an allowance leaves unspent
 * after ALLOWANCE_MS goes back with the next call.
 */
class Allowances<Snapshot> {
  readonly #held = new Map<string, { tokens: number; expiresAt: number; rate: Snapshot }>();
  readonly #arrivals = new Map<string, { second: number; count: number; previous: number }>();
  /** Tenants with a call for an allowance under way: concurrent requests ask for one token each, not a whole allowance each. */
  readonly #asking = new Set<string>();

  /** Counts the request, and spends a held token: the bucket reading to report, or null when the Tenant must be asked. */
  spend(tenantId: string, now: number): Snapshot | null {
    const second = Math.floor(now / 1000);
    const arrivals = this.#arrivals.get(tenantId);
    if (!arrivals || arrivals.second !== second) {
      this.#arrivals.delete(tenantId);
      this.#arrivals.set(tenantId, { second, count: 1, previous: arrivals?.second === second - 1 ? arrivals.count : 0 });
      if (this.#arrivals.size > ALLOWANCES_KEPT) this.#arrivals.delete(this.#arrivals.keys().next().value as string);
    } else arrivals.count++;
    const held = this.#held.get(tenantId);
    if (!held || held.tokens <= 0 || held.expiresAt <= now) return null;
    held.tokens--;
    return held.rate;
  }

  /** What to ask the Tenant for: tokens for ALLOWANCE_MS at this isolate's recent rate, after giving back an expired allowance's rest. */
  ask(tenantId: string, now: number): AllowanceAsk {
    const held = this.#held.get(tenantId);
    let giveBack = 0;
    if (held && held.expiresAt <= now) {
      giveBack = held.tokens;
      this.#held.delete(tenantId);
    }
    const arrivals = this.#arrivals.get(tenantId);
    const perSecond = arrivals?.second === Math.floor(now / 1000) ? arrivals.previous : 0;
    const want = this.#asking.has(tenantId) ? 1 : Math.max(1, Math.min(MAX_ALLOWANCE, Math.ceil((perSecond * ALLOWANCE_MS) / 1000)));
    if (want > 1) this.#asking.add(tenantId);
    return { want, giveBack };
  }

  /** Keeps what a call granted beyond the one token its request used. */
  keep(tenantId: string, granted: number, rate: Snapshot, now: number): void {
    if (granted <= 1) return;
    const held = this.#held.get(tenantId);
    // An allowance that lapsed meanwhile still goes back: its tokens join the new one, which the next call returns if unspent.
    const tokens = (held?.tokens ?? 0) + granted - 1;
    this.#held.set(tenantId, { tokens, expiresAt: now + ALLOWANCE_MS, rate });
    if (this.#held.size > ALLOWANCES_KEPT) this.#held.delete(this.#held.keys().next().value as string);
  }

  /** Ends an ask, whatever its call answered; every ask must end here. */
  settled(tenantId: string, ask: AllowanceAsk): void {
    if (ask.want > 1) this.#asking.delete(tenantId);
  }

  forget(tenantId?: string): void {
    if (tenantId === undefined) this.#held.clear();
    else this.#held.delete(tenantId);
  }
}

const requestAllowances = new Allowances<RateSnapshot>();
const readAllowances = new Allowances<ReadSnapshot>();

// ---------------------------------------------------------------------------
// Middleware

export interface RateLimitOptions {
  /** How long an isolate trusts its copy of the live tier limits (the propagation delay of admin changes). */
  configTtlMs?: number;
  /** Requests that take no request token, e.g. an idempotent retry already answered by its first attempt. */
  exempt?: (c: Context<AppEnv>) => boolean;
  /** Requests that take a token from the read bucket instead of the request bucket (job views, events, result files). */
  read?: (c: Context<AppEnv>) => boolean;
  /**
   * Submissions whose admission (jobs/slots.ts) takes the request token in its
   * own Tenant call, so a submission makes one Tenant call, not two. One that
   * ends before admission (a bad body, a refused prompt) takes it afterwards.
   */
  atAdmission?: (c: Context<AppEnv>) => boolean;
}

/**
 * Takes one token from the tenant's request bucket, or for a read its read
 * bucket (in its Tenant object: one call either way), and puts the
 * x-ratelimit-* / RateLimit headers on every response, 429s included.
 * A submission's token is taken by its admission instead (`atAdmission`).
 * Runs after apiKeyAuth().
 */
export const rateLimit = ({ configTtlMs = TIER_CONFIG_CACHE_MS, exempt = () => false, read = () => false, atAdmission = () => false }: RateLimitOptions = {}): MiddlewareHandler<AppEnv> =>
  createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const tenant = c.get('tenant') as AppEnv['Variables']['tenant'] | undefined;
    if (!tenant) throw new Error('rateLimit() must run after apiKeyAuth()');
    // An exempt request touches no bucket, so it has no bucket state to report either.
    if (exempt(c)) return next();
    const { tiers } = await liveTierConfig(c.env, configTtlMs);
    const now = Date.now();
    if (read(c)) {
      // Reads leave the 'rateLimit' state unset: nothing downstream admits a job.
      let rate = readAllowances.spend(tenant.id, now);
      if (!rate) {
        const ask = readAllowances.ask(tenant.id, now);
        const reads = await tenantStub(c.env, tenant.id).takeRead(tiers, ask).finally(() => readAllowances.settled(tenant.id, ask));
        if (!reads.ok) throw new RateLimitError('reads', reads.message, reads.retryAfterMs, readRateLimitHeaders(reads.rate));
        readAllowances.keep(tenant.id, reads.granted, reads.rate, Date.now());
        rate = reads.rate;
      }
      await next();
      setHeaders(c, readRateLimitHeaders(rate));
      return;
    }
    const known = knownEmpty(tenant.id, now);
    if (known) throw known;
    if (atAdmission(c)) {
      c.set('requestTokenAtAdmission', { tiers });
      await next();
      if (c.get('requestTokenAtAdmission')) {
        // No admission ran: the request still spends its token. Its answer is already made, so a 429 here only shows in the headers.
        c.set('requestTokenAtAdmission', undefined);
        const late = await tenantStub(c.env, tenant.id).takeRequest(tiers);
        if (!late.ok) noteRequestRefusal(tenant.id, late);
        c.set('rateLimit', { rate: late.rate, tiers });
      }
      const state: RateLimitState | undefined = c.get('rateLimit');
      if (state) setHeaders(c, rateLimitHeaders(state.rate));
      return;
    }
    const held = requestAllowances.spend(tenant.id, now);
    if (held) c.set('rateLimit', { rate: held, tiers });
    else {
      const ask = requestAllowances.ask(tenant.id, now);
      const decision = await tenantStub(c.env, tenant.id).takeRequest(tiers, ask).finally(() => requestAllowances.settled(tenant.id, ask));
      c.set('rateLimit', { rate: decision.rate, tiers });
      if (!decision.ok) {
        noteRequestRefusal(tenant.id, decision);
        throw requestRefusalError(decision, decision.retryAfterMs);
      }
      requestAllowances.keep(tenant.id, decision.granted, decision.rate, Date.now());
    }
    await next();
    const state: RateLimitState | undefined = c.get('rateLimit');
    if (state) setHeaders(c, rateLimitHeaders(state.rate));
  });
