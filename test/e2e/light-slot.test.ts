// The light slot (origin-gpu/worker.ts): a worker whose slots one tenant fills
// still starts another tenant's job at once, instead of after one of the
// flood's jobs ends.
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { jobView, startTestStack, submitAsync, until, type TestStack } from './stack.js';

/** 4 passes of 700 ms each: a job holds its slot for about 3 s. */
const SLOW_PIPELINE = fileURLToPath(new URL('./fixtures/slow-pipeline.json', import.meta.url));
const REQUEST = { prompt: 'a red circle and a small yellow star on a blue background', size: '256x256' };

describe('end to end: the light slot', () => {
  let stack: TestStack | undefined;
  afterAll(async () => {
    await stack?.stop();
  });

  const submit = (key: string) => submitAsync(stack!.url, key, REQUEST);
  const status = async (key: string, id: string) => (await jobView(stack!.url, key, id)).status;

  it("should start a second tenant's job while one tenant's job holds the worker's only slot, run no more than one extra, and finish them all", { timeout: 120_000 }, async () => {
    stack = await startTestStack({ origins: 0 });
    // One slot (LUMEN_SLOTS defaults to 1), so without the light slot every job waits for the one before it.
    await stack.addOrigin('one-slot', { LUMEN_PIPELINE: SLOW_PIPELINE });
    const flood = await stack.key('lightflood', 'pro');
    const small = await stack.key('lightsmall', 'pro');
    const floodJobs = [await submit(flood), await submit(flood), await submit(flood)];
    await until('the flood holding the slot', async () => ((await status(flood, floodJobs[0]!)) === 'running' ? true : undefined));

    const smallJob = await submit(small);
    const whenSmallStarted = await until('the small job started', async () => {
      if ((await status(small, smallJob)) === 'queued') return undefined;
      return { floodFirst: await status(flood, floodJobs[0]!), floodSecond: await status(flood, floodJobs[1]!) };
    });
    expect(whenSmallStarted.floodFirst).toBe('running');
    // The extra job is the only one: the flood's next waits for a slot.
    expect(whenSmallStarted.floodSecond).toBe('queued');

    for (const [key, id] of [[small, smallJob], ...floodJobs.map((id) => [flood, id])] as const) {
      await until(`job ${id} to succeed`, async () => ((await status(key, id)) === 'succeeded' ? true : undefined), 60_000);
    }
  });
});
