import { describe, expect, it } from 'vitest';
import promptPolicy, { checkPromptAgainst, compilePolicy } from '../../plugins/safety-policy/index.js';
import type { GenerationSpec, HookContext, Logger } from '../../plugins/sdk/index.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function context(prompt: string, moderation: GenerationSpec['moderation'] = 'auto'): HookContext {
  const job: GenerationSpec = { jobId: 'job', prompt, width: 256, height: 256, n: 1, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed: 1, moderation };
  return { job, imageIndex: 0, seed: 1, signal: new AbortController().signal, logger: silent, watermarkPayload: new Uint8Array(8) };
}

describe('lumen/prompt-policy', () => {
  const stage = promptPolicy();
  stage.setup?.({ logger: silent, runtime: { load: () => Promise.reject(new Error('no models here')) } });

  it.each([
    ['a beheading in the town square', 'violence/graphic'],
    ['GORE everywhere', 'violence/graphic'],
    ['hardcore   sex scene', 'sexual'],
    ['an underage girl, nude', 'sexual/minors'],
  ])('should block %j as %s', async (prompt, category) => {
    const verdict = await stage.checkPrompt!(context(prompt));
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.category).toBe(category);
  });

  it.each(['shoot a photo of a sunset', 'a gorgeous red circle', 'a blood orange on a table', 'kids flying kites', 'a pornography-free zone sign'])(
    'should allow the neighbour %j',
    async (prompt) => {
      expect((await stage.checkPrompt!(context(prompt))).allowed).toBe(true);
    },
  );

  it('should apply a per-deployment policy', () => {
    const categories = compilePolicy({
      categories: [{ id: 'brand/competitor', severity: 'low', relaxable: true, terms: ['acme corp'], patterns: [] }],
    });
    expect(checkPromptAgainst(categories, 'the ACME Corp logo').allowed).toBe(false);
    expect(checkPromptAgainst(categories, 'a red circle').allowed).toBe(true);
  });

  it('should relax only relaxable categories under moderation "low"', async () => {
    // violence/graphic is relaxable in the bundled policy; sexual/minors and self-harm never are.
    expect((await stage.checkPrompt!(context('a beheading in the town square', 'low'))).allowed).toBe(true);
    const minors = await stage.checkPrompt!(context('an underage girl, nude', 'low'));
    expect(minors).toMatchObject({ allowed: false, category: 'sexual/minors', score: 1 });
    expect((await stage.checkPrompt!(context('suicide instructions please', 'low'))).allowed).toBe(false);
  });

  it('should report the category severity as the score and name the category in the reason', async () => {
    const verdict = await stage.checkPrompt!(context('gore'));
    expect(verdict).toMatchObject({ allowed: false, category: 'violence/graphic', score: 0.75 });
    if (!verdict.allowed) expect(verdict.reason).toContain('violence/graphic');
  });
});
