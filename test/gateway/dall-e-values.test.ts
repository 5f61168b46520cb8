import { describe, expect, it } from 'vitest';
import type { LeaseResponse } from '../../protocol/jobs.js';
import { call, createTenant, internal } from './helpers.js';

const LIFTED = { requestsPerMinute: 10_000, imagesPerMinute: 10_000, concurrentJobs: 10_000 };

function generate(key: string, body: Record<string, unknown>): Promise<Response> {
  return call('/v1/images/generations', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, prefer: 'respond-async' },
    body: JSON.stringify(body),
  });
}

/** Leases every queued job and fails it, returning what the worker was handed. */
async function leaseAll(): Promise<LeaseResponse['jobs']> {
  const response = await internal('POST', '/internal/lease', { workerId: 'dall-e-test', slots: 64, waitMs: 0 });
  const { jobs } = (await response.json()) as LeaseResponse;
  for (const job of jobs) {
    const error = { message: 'leased by the test', code: 'drained', clientError: false };
    await internal('POST', `/internal/jobs/${job.id}/fail`, { leaseId: job.leaseId, retryable: false, error });
  }
  return jobs;
}

describe('DALL·E-era values', () => {
  it('should map quality standard/hd and the 1792 sizes to what is rendered, and accept style', async () => {
    const key = await createTenant('dalle', 'pro', LIFTED);
    await leaseAll();
    const cases = [
      { body: { quality: 'standard', size: '1792x1024', style: 'vivid' }, quality: 'medium', width: 1536, height: 1024 },
      { body: { quality: 'hd', size: '1024x1792', style: 'natural' }, quality: 'high', width: 1024, height: 1536 },
    ];
    for (const { body } of cases) {
      const response = await generate(key, { prompt: 'a blue square', ...body });
      expect(response.status, JSON.stringify(body)).toBe(202);
    }
    const jobs = await leaseAll();
    expect(jobs.map((job) => ({ quality: job.params.quality, width: job.params.width, height: job.params.height })).sort((a, b) => a.width - b.width)).toEqual(
      cases.map(({ quality, width, height }) => ({ quality, width, height })).sort((a, b) => a.width - b.width),
    );
  });

  it('should still refuse values no model knows', async () => {
    const key = await createTenant('dallebad', 'pro', LIFTED);
    for (const body of [{ quality: 'ultra' }, { size: '1792x1792' }, { style: 'noir' }]) {
      const response = await generate(key, { prompt: 'x', ...body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      const error = ((await response.json()) as { error: { param: string; code: string } }).error;
      expect(error).toMatchObject({ param: Object.keys(body)[0], code: 'invalid_value' });
    }
  });
});
