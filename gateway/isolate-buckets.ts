// What one isolate knows of tenants' buckets between Tenant calls: request
// buckets it saw refuse (until their next token is due), and tokens it took
// ahead for busy tenants (allowances). Shared by the rateLimit() middleware,
// admission (jobs/slots.ts) and the admin routes that change limits.
import { setNewest } from './bounded-map.js';
import { RateLimitError } from './errors.js';
import { TIER_CONFIG_CACHE_MS } from './limits.js';
import { MAX_ALLOWANCE, type AllowanceAsk, type RateSnapshot, type ReadSnapshot, type RequestDecision } from './objects/tenant.js';
import { rateLimitHeaders } from './tier-limits.js';

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
  setNewest(emptyRequestBuckets, tenantId, { until: now + Math.min(refusal.retryAfterMs, TIER_CONFIG_CACHE_MS), tokenDueAt: now + refusal.retryAfterMs, refusal }, EMPTY_BUCKETS_KEPT);
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

export function requestRefusalError(refusal: RequestRefusal, retryAfterMs: number): RateLimitError {
  return new RateLimitError('requests', refusal.message, retryAfterMs, rateLimitHeaders(refusal.rate));
}

export function knownEmpty(tenantId: string, now: number): RateLimitError | null {
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

/** How long tokens taken ahead may be spent before they go back to the bucket; also the window the isolate's rate is counted in. */
const ALLOWANCE_MS = 100;
const ALLOWANCES_KEPT = 10_000;

/**
 * Tokens a busy isolate took ahead from one tenant's bucket, to spend without
 * a Tenant call. The Tenant took them from the bucket when it handed them
 * out, so admissions still never exceed what the bucket holds. It hands out
 * at most a tenth of the bucket and nothing from its second half; and an
 * isolate asks for more than one token only after a whole ALLOWANCE_MS window
 * in which it saw at least two requests from the tenant (20 a second), and
 * then for as many as that window saw. So ordinary traffic, the first 100 to
 * 200 ms of a burst and a bucket running low are still decided by the Tenant
 * request by request. What an allowance leaves unspent after ALLOWANCE_MS
 * goes back with the next call.
 */
class Allowances<Snapshot> {
  readonly #held = new Map<string, { tokens: number; expiresAt: number; rate: Snapshot }>();
  /** Requests seen per tenant in the current ALLOWANCE_MS window, and in the one before it if that was the last. */
  readonly #arrivals = new Map<string, { window: number; count: number; previous: number }>();
  /** Tenants with a call for an allowance under way: concurrent requests ask for one token each, not a whole allowance each. */
  readonly #asking = new Set<string>();

  /** Counts the request, and spends a held token: the bucket reading to report, or null when the Tenant must be asked. */
  spend(tenantId: string, now: number): Snapshot | null {
    const window = Math.floor(now / ALLOWANCE_MS);
    const arrivals = this.#arrivals.get(tenantId);
    if (!arrivals || arrivals.window !== window) {
      setNewest(this.#arrivals, tenantId, { window, count: 1, previous: arrivals?.window === window - 1 ? arrivals.count : 0 }, ALLOWANCES_KEPT);
    } else arrivals.count++;
    const held = this.#held.get(tenantId);
    if (!held || held.tokens <= 0 || held.expiresAt <= now) return null;
    held.tokens--;
    return held.rate;
  }

  /** What to ask the Tenant for: tokens for the next ALLOWANCE_MS at the last window's rate, after giving back an expired allowance's rest. */
  ask(tenantId: string, now: number): AllowanceAsk {
    const held = this.#held.get(tenantId);
    let giveBack = 0;
    if (held && held.expiresAt <= now) {
      giveBack = held.tokens;
      this.#held.delete(tenantId);
    }
    const arrivals = this.#arrivals.get(tenantId);
    const lastWindow = arrivals?.window === Math.floor(now / ALLOWANCE_MS) ? arrivals.previous : 0;
    const want = this.#asking.has(tenantId) ? 1 : Math.max(1, Math.min(MAX_ALLOWANCE, lastWindow));
    if (want > 1) this.#asking.add(tenantId);
    return { want, giveBack };
  }

  /** Keeps what a call granted beyond the one token its request used. */
  keep(tenantId: string, granted: number, rate: Snapshot, now: number): void {
    if (granted <= 1) return;
    const held = this.#held.get(tenantId);
    // An allowance that lapsed meanwhile still goes back: its tokens join the new one, which the next call returns if unspent.
    const tokens = (held?.tokens ?? 0) + granted - 1;
    setNewest(this.#held, tenantId, { tokens, expiresAt: now + ALLOWANCE_MS, rate }, ALLOWANCES_KEPT);
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

export const requestAllowances = new Allowances<RateSnapshot>();
export const readAllowances = new Allowances<ReadSnapshot>();

