import OpenAI, { BadRequestError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, OPENAI_MODERATION_CATEGORIES, type SafetyPolicy } from '../../plugins/safety-policy/engine.js';
import { ISSUE_NEIGHBOURS, ISSUE_REFUSED } from '../fixtures/moderation/issue-examples.js';
import { startTestStack, type TestStack } from './stack.js';

const REFUSED = ISSUE_REFUSED;
/** Neighbours of blocked words that must render. */
const RENDERED = ['a child flying a kite', 'a cake shaped like a bomb', 'blood orange still life', 'a Holocaust memorial'];

interface Verdict {
  job_id: string;
  tenant_id: string;
  stage: string;
  plugin: string;
  allowed: boolean;
  category: string | null;
}

describe('end to end: moderation at the gateway, /v1/moderations and the live policy on the origin', () => {
  let stack: TestStack;
  let client: OpenAI;
  const admin = () => ({ authorization: `Bearer ${stack.secrets.adminSecret}`, 'content-type': 'application/json' });

  beforeAll(async () => {
    // No origin at first: every refusal below must come from the gateway alone.
    stack = await startTestStack({ origins: 0 });
    client = new OpenAI({ apiKey: await stack.key('modsdk', 'pro'), baseURL: `${stack.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const verdicts = async (query: string): Promise<Verdict[]> => {
    const response = await fetch(`${stack.url}/v1/admin/safety?${query}`, { headers: admin() });
    expect(response.status).toBe(200);
    return ((await response.json()) as { data: Verdict[] }).data;
  };

  it('should answer client.moderations.create with a string and with an array', async () => {
    const single = await client.moderations.create({ input: 'recruitment poster for a terrorist organization' });
    expect(single.id).toMatch(/^modr-/);
    expect(single.results).toHaveLength(1);
    expect(Object.keys(single.results[0]!.categories)).toEqual(expect.arrayContaining([...OPENAI_MODERATION_CATEGORIES]));
    expect(single.results[0]!.flagged).toBe(true);

    const many = await client.moderations.create({ model: 'omni-moderation-latest', input: ['a child flying a kite', 'sexualized image of a minor'] });
    expect(many.model).toBe('omni-moderation-latest');
    expect(many.results.map((result) => result.flagged)).toEqual([false, true]);
    expect(many.results[1]!.categories['sexual/minors']).toBe(true);
    expect(many.results[1]!.category_scores['sexual/minors']).toBeGreaterThan(0.5);
    expect(many.results[0]!.category_scores['sexual/minors']).toBeLessThan(0.5);
  });

  it('should flag every prompt quoted in issue 11 and none of its listed neighbours through client.moderations.create', async () => {
    const answer = await client.moderations.create({ input: [...REFUSED.map(([prompt]) => prompt), ...ISSUE_NEIGHBOURS] });
    const flagged = answer.results.map((result) => result.flagged);
    expect(flagged).toEqual([...REFUSED.map(() => true), ...ISSUE_NEIGHBOURS.map(() => false)]);
  });

  it('should refuse each harmful prompt at the gateway with BadRequestError naming its category', async () => {
    for (const [prompt, category] of REFUSED) {
      const started = Date.now();
      // wait=5: were the gateway to let it through, the call would come back 202 (and fail the test) instead of hanging.
      const error = await client.images.generate({ prompt, size: '256x256' }, { headers: { prefer: 'wait=5' } }).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error, prompt).toBeInstanceOf(BadRequestError);
      const refusal = error as BadRequestError;
      expect(refusal.status).toBe(400);
      expect(refusal.code).toBe('moderation_blocked');
      expect(refusal.error, prompt).toMatchObject({ moderation_stage: 'input', category });
      expect(refusal.headers.get('lumen-moderation-id')).toMatch(/^modr_/);
      expect(Date.now() - started).toBeLessThan(2_000);
    }
  });

  it('should run the same live policy on the origin, refusing a job queued before the policy changed', async () => {
    const key = await stack.key('modlate', 'pro');
    const generate = (prompt: string, headers: Record<string, string> = {}) =>
      fetch(`${stack.url}/v1/images/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ prompt, size: '256x256' }),
      });
    const queued = await generate('a purple elephant parade', { prefer: 'respond-async' });
    expect(queued.status).toBe(202);
    const { id } = (await queued.json()) as { id: string };

    const current = (await (await fetch(`${stack.url}/v1/admin/policy`, { headers: admin() })).json()) as { version: number; policy: SafetyPolicy };
    const stricter: SafetyPolicy = {
      ...current.policy,
      categories: current.policy.categories.map((category) => (category.id === 'violence' ? { ...category, enabled: true, terms: [...(category.terms ?? []), 'purple elephant'] } : category)),
    };
    const put = await fetch(`${stack.url}/v1/admin/policy`, { method: 'PUT', headers: admin(), body: JSON.stringify(stricter) });
    expect(put.status).toBe(200);
    expect(((await put.json()) as { version: number }).version).toBe(current.version + 1);

    // The gateway enforces it on the next request …
    const now = await generate('a purple elephant parade');
    expect(now.status).toBe(400);
    expect(((await now.json()) as { error: { category: string } }).error.category).toBe('violence');

    // … and an origin started now refuses the job that was queued under the old policy.
    await stack.addOrigin('origin-1').catch((error: unknown) => {
      throw new Error(`${String(error)}\n${stack.logs.filter((line) => line.startsWith('[origin')).slice(-20).join('\n')}`);
    });
    let job: { status: string; error: { code: string } | null } = { status: 'queued', error: null };
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && (job.status === 'queued' || job.status === 'running'); ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      job = (await (await fetch(`${stack.url}/v1/images/jobs/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as typeof job;
    }
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('moderation_blocked');
    const [originVerdict] = await verdicts(`job=${id}`);
    expect(originVerdict).toMatchObject({ stage: 'input', plugin: 'lumen/prompt-policy', allowed: false, category: 'violence' });

    const restore = await fetch(`${stack.url}/v1/admin/policy`, { method: 'PUT', headers: admin(), body: JSON.stringify({ ...DEFAULT_POLICY, version: undefined }) });
    expect(restore.status).toBe(200);
  });

  it('should render prompts that only look like blocked ones', async () => {
    for (const prompt of RENDERED) {
      const result = await client.images.generate({ prompt, size: '256x256', quality: 'low' });
      expect(result.data?.[0]?.b64_json, prompt).toBeTruthy();
    }
  });

  it('should list gateway-side blocks in GET /v1/admin/safety next to the origins\' verdicts', async () => {
    // The audit is written to the origin API after the 400 has gone out; the origin started above serves it.
    const auditor = new OpenAI({ apiKey: await stack.key('modaudit', 'pro'), baseURL: `${stack.url}/v1`, maxRetries: 0 });
    const audited = REFUSED.slice(2, 4);
    const ids: string[] = [];
    for (const [prompt] of audited) {
      const error = (await auditor.images.generate({ prompt, size: '256x256' }).catch((caught: unknown) => caught)) as BadRequestError;
      ids.push(error.headers.get('lumen-moderation-id')!);
    }
    let blocks: Verdict[] = [];
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && blocks.length < audited.length; ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      blocks = await verdicts('tenant=modaudit&blocked=true');
    }
    expect(blocks.map((verdict) => verdict.job_id).sort()).toEqual([...ids].sort());
    expect(blocks.every((verdict) => verdict.plugin === 'lumen/gateway-moderation' && verdict.stage === 'input' && !verdict.allowed)).toBe(true);
    expect(blocks.map((verdict) => verdict.category).sort()).toEqual(audited.map(([, category]) => category).sort());
  });
});
