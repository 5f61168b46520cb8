import type { Client } from '@libsql/client';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLibsql } from '../../origin-gpu/db.js';
import { readManifest } from '../../plugins/c2pa-manifest/index.js';
import { FLAG_MARKER } from '../fixtures/plugins/flag-at-pass/index.js';
import { startTestStack, type TestStack } from './stack.js';

const FLAGGER_PIPELINE = fileURLToPath(new URL('../fixtures/pipelines/with-flagger.json', import.meta.url));

interface ErrorBody {
  error: { message: string; type: string; code: string; param: string | null; moderation_stage?: string; category?: string; pass?: number };
}

interface Verdict {
  job_id: string;
  stage: string;
  plugin: string;
  allowed: boolean;
  category: string | null;
  pass: number;
  passes_skipped: number | null;
}

interface Verification {
  made_by_lumen: boolean;
  match: string;
  watermark: { detected: boolean; scale?: number };
  record?: { job_id: string; image_index: number; created_at: number; key_id: string; signature_valid: boolean; sha256_matches: boolean };
}

describe('end to end: safety that aborts mid-render, and provenance that survives re-encoding', () => {
  let stack: TestStack;
  let ownerKey: string;
  let otherKey: string;
  let db: Client;

  beforeAll(async () => {
    stack = await startTestStack({ origins: 0 });
    // The only origin runs the default pipeline plus a test classifier that flags pass 2 of marked prompts.
    await stack.addOrigin('origin-1', { LUMEN_PIPELINE: FLAGGER_PIPELINE });
    ownerKey = await stack.key('safeowner', 'pro');
    otherKey = await stack.key('safeother', 'pro');
    db = connectLibsql(stack.dbUrl);
  });

  afterAll(async () => {
    db?.close();
    await stack?.stop();
  });

  const generate = (body: Record<string, unknown>, key = ownerKey) =>
    fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ size: '256x256', ...body }),
    });

  const verdictsOf = async (jobId: string): Promise<Verdict[]> => {
    const response = await fetch(`${stack.url}/v1/admin/safety?job=${jobId}`, { headers: { authorization: `Bearer ${stack.secrets.adminSecret}` } });
    expect(response.status).toBe(200);
    return ((await response.json()) as { data: Verdict[] }).data;
  };

  const verify = (image: Uint8Array, key = ownerKey, type = 'image/png') =>
    fetch(`${stack.url}/v1/provenance/verify`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': type }, body: image });

  const jobIdOf = async (response: Response) => {
    const jobId = response.headers.get('lumen-job-id');
    expect(jobId).toBeTruthy();
    return jobId!;
  };

  describe('input policy', () => {
    it('should refuse a prompt in a blocked category at the gateway, before any job exists, in the OpenAI moderation shape', async () => {
      const response = await generate({ prompt: 'a beheading in the town square' });
      expect(response.status).toBe(400);
      const body = (await response.json()) as ErrorBody;
      expect(body.error).toMatchObject({ type: 'image_generation_user_error', code: 'moderation_blocked', moderation_stage: 'input', category: 'violence/graphic' });
      expect(response.headers.get('lumen-job-id')).toBeNull();
      // No job was made; the block's own id stands in for one in the audit log, written just after the answer.
      const moderationId = response.headers.get('lumen-moderation-id')!;
      expect(moderationId).toMatch(/^modr_/);
      let verdicts: Verdict[] = [];
      for (const deadline = Date.now() + 10_000; verdicts.length === 0 && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        verdicts = await verdictsOf(moderationId);
      }
      expect(verdicts).toHaveLength(1);
      expect(verdicts[0]).toMatchObject({ stage: 'input', plugin: 'lumen/gateway-moderation', allowed: false, category: 'violence/graphic', pass: 0 });
      const runs = await db.execute({ sql: 'select count(*) as n from runs where job_id = ?', args: [moderationId] });
      expect(runs.rows[0]!.n).toBe(0);
    });

    it('should allow neighbours of blocked terms, and relax relaxable categories under moderation "low"', async () => {
      expect((await generate({ prompt: 'shoot a photo of a red circle' })).status).toBe(200);
      expect((await generate({ prompt: 'a gore-free red circle', moderation: 'low' })).status).toBe(200);
      const strict = await generate({ prompt: 'an underage nude', moderation: 'low' });
      expect(strict.status).toBe(400);
      expect(((await strict.json()) as ErrorBody).error.category).toBe('sexual/minors');
    });
  });

  describe('output checks', () => {
    it('should abort at the flagged pass, run no later pass and store no image or preview', async () => {
      const response = await generate({ prompt: `a red circle ${FLAG_MARKER}`, stream: true, partial_images: 3 });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain('event: error');
      expect(text).not.toContain('image_generation.completed');
      const errorLine = text.split('\n').find((line) => line.startsWith('data:') && line.includes('moderation_blocked'));
      const error = (JSON.parse(errorLine!.slice('data:'.length)) as ErrorBody).error;
      expect(error).toMatchObject({ code: 'moderation_blocked', moderation_stage: 'output', category: 'test/flagged', pass: 2 });

      const jobId = await jobIdOf(response);
      const verdicts = await verdictsOf(jobId);
      const block = verdicts.find((verdict) => !verdict.allowed)!;
      expect(block).toMatchObject({ stage: 'output', plugin: 'test/flag-at-pass', pass: 2, passes_skipped: 2 });
      expect(verdicts.some((verdict) => verdict.pass > 2)).toBe(false);

      const runs = await db.execute({ sql: 'select passes_done, status from runs where job_id = ?', args: [jobId] });
      expect(runs.rows.map((row) => [row.passes_done, row.status])).toEqual([[1, 'failed']]);
      const records = await db.execute({ sql: 'select count(*) as n from provenance_records where job_id = ?', args: [jobId] });
      expect(records.rows[0]!.n).toBe(0);

      const job = (await (await fetch(`${stack.url}/v1/images/jobs/${jobId}`, { headers: { authorization: `Bearer ${ownerKey}` } })).json()) as {
        status: string;
        result: unknown;
      };
      expect(job.status).toBe('failed');
      expect(job.result ?? null).toBeNull();
    });
  });

  describe('provenance', () => {
    let png: Buffer;
    let jobId: string;

    beforeAll(async () => {
      const response = await generate({ prompt: 'a yellow star and a blue circle on a white background', size: '1024x1024', seed: 5 });
      expect(response.status).toBe(200);
      jobId = await jobIdOf(response);
      png = Buffer.from(((await response.json()) as { data: { b64_json: string }[] }).data[0]!.b64_json, 'base64');
    });

    it('should label outputs as trainedAlgorithmicMedia in XMP', async () => {
      const { xmp } = await sharp(png).metadata();
      expect(xmp?.toString()).toContain('http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia');
    });

    it('should verify the delivered bytes exactly, with a valid signed record, for the owner', async () => {
      const response = await verify(png);
      expect(response.status).toBe(200);
      const body = (await response.json()) as Verification;
      expect(body).toMatchObject({ made_by_lumen: true, match: 'exact' });
      expect(body.record).toMatchObject({ job_id: jobId, image_index: 0, signature_valid: true, sha256_matches: true });

      const wellKnown = (await (await fetch(`${stack.url}/.well-known/lumen-provenance.json`)).json()) as { keys: { kid: string; crv: string }[] };
      expect(wellKnown.keys.map((key) => key.kid)).toContain(body.record!.key_id);
      expect(wellKnown.keys[0]!.crv).toBe('Ed25519');
    });

    it('should carry a C2PA manifest, trusted under the root the gateway publishes, that a re-encode drops', async () => {
      const wellKnown = (await (await fetch(`${stack.url}/.well-known/lumen-provenance.json`)).json()) as { c2pa: { trust_anchors: string[] } };
      expect(wellKnown.c2pa.trust_anchors[0]).toContain('BEGIN CERTIFICATE');
      const reading = await readManifest(png, 'png', wellKnown.c2pa.trust_anchors.join('\n'));
      expect(reading).toMatchObject({ state: 'Trusted', failures: [] });
      const assertion = (label: string) => reading.manifest?.assertions?.find((candidate) => candidate.label.startsWith(label))?.data;
      expect(assertion('c2pa.actions')).toMatchObject({
        actions: [{ action: 'c2pa.created', digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia' }],
      });
      expect(assertion('lumen.provenance')).toMatchObject({ job_id: jobId, image_index: 0 });
      expect((await readManifest(new Uint8Array(await sharp(png).png().toBuffer()), 'png')).state).toBe('none');
    });

    it('should recognise the image after JPEG quality 75 and a resize to half', async () => {
      const attacked = await sharp(await sharp(png).jpeg({ quality: 75 }).toBuffer()).resize(512, 512).jpeg({ quality: 75 }).toBuffer();
      const body = (await (await verify(attacked, ownerKey, 'image/jpeg')).json()) as Verification;
      expect(body).toMatchObject({ made_by_lumen: true, match: 'watermark', watermark: { detected: true } });
      expect(body.record).toMatchObject({ job_id: jobId, signature_valid: true, sha256_matches: false });
    });

    it('should recognise a 10% crop', async () => {
      const cropped = await sharp(png).extract({ left: 60, top: 37, width: 922, height: 922 }).png().toBuffer();
      const body = (await (await verify(cropped)).json()) as Verification;
      expect(body).toMatchObject({ made_by_lumen: true, match: 'watermark' });
      expect(body.record?.job_id).toBe(jobId);
    });

    it('should tell another tenant only that the service made it', async () => {
      const body = (await (await verify(png, otherKey)).json()) as Verification;
      expect(body).toMatchObject({ made_by_lumen: true, match: 'exact' });
      expect(body.record).toBeUndefined();
      expect(JSON.stringify(body)).not.toContain(jobId);
    });

    it('should not claim an image it did not make', async () => {
      const foreign = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 40, g: 120, b: 200 } } })
        .composite([{ input: Buffer.from('<svg width="640" height="480"><circle cx="320" cy="240" r="150" fill="orange"/></svg>') }])
        .png()
        .toBuffer();
      const body = (await (await verify(foreign)).json()) as Verification;
      expect(body).toMatchObject({ made_by_lumen: false, match: 'none', watermark: { detected: false } });
    });

    it.each([
      ['a text file', Buffer.from('hello, this is not an image'), 'image/png', 'invalid_image'],
      ['a truncated PNG', null, 'image/png', 'invalid_image'],
      ['an image over 40 megapixels', 'huge', 'image/png', 'image_too_many_pixels'],
      ['a body over 25 MB', Buffer.alloc(25 * 1024 * 1024 + 1, 7), 'image/png', 'image_too_large'],
    ] as const)('should answer %s with a clear 400', async (_name, input, type, code) => {
      let bytes: Buffer;
      if (input === null) bytes = png.subarray(0, Math.floor(png.length / 2));
      else if (input === 'huge') bytes = await sharp({ create: { width: 8000, height: 6000, channels: 3, background: '#808080' } }).png().toBuffer();
      else bytes = input;
      const response = await verify(bytes, ownerKey, type);
      expect(response.status).toBe(400);
      const body = (await response.json()) as ErrorBody;
      expect(body.error).toMatchObject({ type: 'invalid_request_error', code });
      expect(body.error.message.length).toBeGreaterThan(10);
    });

    it('should refuse a verify request without an API key', async () => {
      const response = await fetch(`${stack.url}/v1/provenance/verify`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
      expect(response.status).toBe(401);
    });
  });
});
