import { runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { MAX_COMPLETE_BODY_BYTES, MAX_IMAGE_BYTES, type CompleteBatchResponse, type InlineImage, type LeaseResponse, type LeasedJob, type StoredImage } from '../../protocol/jobs.js';
import { signInternalRequest } from '../../protocol/signature.js';
import { jobIdInShard, shardOfJob, shardStub } from '../../gateway/queue.js';
import { call, env, internal, ORIGIN_SECRET } from './helpers.js';

const params = { prompt: 'a red circle', n: 1, width: 256, height: 256, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed: 7, partialImages: 0 } as const;
const TTL_MS = Number(env.LEASE_TTL_MS ?? 10_000);
const usage = { inputTokens: 1, outputTokens: 4 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const checkpoint = (passesDone: number) => ({ passesDone, grids: [{ rows: 2, cols: 2, codebookSize: 256, tokensBase64: 'AAAAAAAAAAAAAAAAAAAAAA==' }] });

async function upload(job: Pick<LeasedJob, 'id' | 'leaseId'>): Promise<StoredImage> {
  const path = `/internal/jobs/${job.id}/images/0?lease=${job.leaseId}&format=png`;
  const bytes = new Uint8Array([137, 80, 78, 71]);
  const headers = await signInternalRequest(ORIGIN_SECRET, 'PUT', path, bytes);
  const response = await call(path, { method: 'PUT', body: bytes, headers: { ...headers, 'content-type': 'application/octet-stream' } });
  expect(response.status).toBe(200);
  return (await response.json()) as StoredImage;
}

async function lease(workerId: string, slots: number, maxFree?: number): Promise<LeasedJob[]> {
  const response = await internal('POST', '/internal/lease', { workerId, slots, waitMs: 0, ...(maxFree !== undefined && { maxFree }) });
  expect(response.status).toBe(200);
  return ((await response.json()) as LeaseResponse).jobs;
}

async function completeBatch(completions: unknown): Promise<Response> {
  return internal('POST', '/internal/complete', { completions });
}

/** Image bytes for one file part, recognisable per job and index. */
const imageBytes = (jobId: string, index: number) => new TextEncoder().encode(`png ${jobId} ${index}`);

type InlineJob = { jobId: string; leaseId: string; images: InlineImage[]; usage: typeof usage };

/** A job's completion with its images in the body: one file part per image, named after the job and index. */
function inline(job: Pick<LeasedJob, 'id' | 'leaseId'>, formats: InlineImage['format'][] = ['png']): { completion: InlineJob; files: [string, Uint8Array][] } {
  const images = formats.map((format, index) => ({ index, format, part: `${job.id}-${index}` }));
  return { completion: { jobId: job.id, leaseId: job.leaseId, images, usage }, files: images.map(({ index, part }) => [part, imageBytes(job.id, index)]) };
}

/** Signs and sends a multipart completion built from `parts` ([name, text or bytes]) as it is, malformed or not. */
async function completeMultipart(parts: [string, string | Uint8Array][]): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of parts) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, new Blob([value]), 'image');
  }
  const encoded = new Response(form);
  const bytes = new Uint8Array(await encoded.arrayBuffer());
  const headers = await signInternalRequest(ORIGIN_SECRET, 'POST', '/internal/complete', bytes);
  return call('/internal/complete', { method: 'POST', body: bytes, headers: { ...headers, 'content-type': encoded.headers.get('content-type')! } });
}

function completeInline(jobs: { completion: InlineJob; files: [string, Uint8Array][] }[]): Promise<Response> {
  return completeMultipart([['completions', JSON.stringify({ completions: jobs.map((job) => job.completion) })], ...jobs.flatMap((job) => job.files)]);
}

async function storedUnder(prefix: string): Promise<string[]> {
  return (await env.IMAGES.list({ prefix })).objects.map((object) => object.key).sort();
}

async function statusOf(id: string, tenantId: string): Promise<string | undefined> {
  return (await shardStub(env, shardOfJob(id)!).get(id, tenantId))?.status;
}

describe('batched leases', () => {
  it('should hand out up to `slots` jobs in one call, across shards, paid before free and no more free than `maxFree`', async () => {
    const ids = { free1: jobIdInShard(0), free2: jobIdInShard(1), pro: jobIdInShard(1), enterprise: jobIdInShard(2) };
    await shardStub(env, 0).enqueue({ id: ids.free1, tenantId: 'bl-a', tier: 'free', params, queueLimit: 10 });
    await shardStub(env, 1).enqueue({ id: ids.free2, tenantId: 'bl-b', tier: 'free', params, queueLimit: 10 });
    await shardStub(env, 1).enqueue({ id: ids.pro, tenantId: 'bl-c', tier: 'pro', params, queueLimit: 10 });
    await shardStub(env, 2).enqueue({ id: ids.enterprise, tenantId: 'bl-d', tier: 'enterprise', params, queueLimit: 10 });

    const jobs = await lease('batch-worker', 4, 1);
    expect(jobs.map((job) => job.tier)).toEqual(['enterprise', 'pro', 'free']);
    expect(new Set(jobs.map((job) => job.leaseId)).size).toBe(3);
    const rest = await lease('batch-worker-2', 4);
    expect(rest).toHaveLength(1);

    const all = [...jobs, ...rest];
    const response = await completeBatch(await Promise.all(all.map(async (job) => ({ jobId: job.id, leaseId: job.leaseId, images: [await upload(job)], usage }))));
    expect(response.status).toBe(200);
    expect(((await response.json()) as CompleteBatchResponse).results).toEqual(all.map((job) => ({ jobId: job.id, ok: true })));
    for (const job of all) expect(await statusOf(job.id, job.tenantId)).toBe('succeeded');
  });
});

describe('batched completions', () => {
  it('should complete the good jobs of a batch and refuse only the one whose lease is stale', async () => {
    const ids = [jobIdInShard(0), jobIdInShard(1), jobIdInShard(3)];
    for (const id of ids) await shardStub(env, shardOfJob(id)!).enqueue({ id, tenantId: 'bl-stale', tier: 'pro', params, queueLimit: 10 });
    const jobs = await lease('first-worker', 3);
    expect(jobs.map((job) => job.id).sort()).toEqual([...ids].sort());
    const [lapsing, ...held] = jobs;
    for (const job of held) await shardStub(env, shardOfJob(job.id)!).heartbeat(job.id, job.leaseId, 0);
    const staleImage = await upload(lapsing!);
    // The first worker never confirms one job: its lease lapses and another worker takes it over. The others it keeps beating.
    const lapsed = Date.now() + TTL_MS + 50;
    while (Date.now() < lapsed) {
      for (const job of held) expect(await shardStub(env, shardOfJob(job.id)!).heartbeat(job.id, job.leaseId, 0)).toEqual({ keep: true });
      await sleep(TTL_MS / 4);
    }
    await runDurableObjectAlarm(shardStub(env, shardOfJob(lapsing!.id)!));
    const [takenOver] = await lease('second-worker', 1);
    expect(takenOver?.id).toBe(lapsing!.id);

    const batch = [...held.map(async (job) => ({ jobId: job.id, leaseId: job.leaseId, images: [await upload(job)], usage })), Promise.resolve({ jobId: lapsing!.id, leaseId: lapsing!.leaseId, images: [staleImage], usage })];
    const response = await completeBatch(await Promise.all(batch));
    expect(response.status).toBe(200);
    const { results } = (await response.json()) as CompleteBatchResponse;
    expect(results).toEqual([
      ...held.map((job) => ({ jobId: job.id, ok: true })),
      { jobId: lapsing!.id, ok: false, code: 'stale_lease', message: expect.stringContaining(lapsing!.id) },
    ]);
    for (const job of held) expect(await statusOf(job.id, 'bl-stale')).toBe('succeeded');
    expect(await statusOf(lapsing!.id, 'bl-stale')).toBe('running');

    // The worker holding the current lease completes it; completing it again is refused, so nothing completes twice.
    const winner = { jobId: takenOver!.id, leaseId: takenOver!.leaseId, images: [await upload(takenOver!)], usage };
    expect(((await (await completeBatch([winner])).json()) as CompleteBatchResponse).results).toEqual([{ jobId: winner.jobId, ok: true }]);
    expect(((await (await completeBatch([winner])).json()) as CompleteBatchResponse).results[0]).toMatchObject({ ok: false, code: 'stale_lease' });
    const log = await shardStub(env, shardOfJob(winner.jobId)!).events(winner.jobId, 'bl-stale', 0, 0);
    expect(log!.events.filter((event) => event.type === 'completed')).toHaveLength(1);
  });

  it('should answer a job it has never heard of as unknown in its result, not fail the batch', async () => {
    const id = jobIdInShard(2);
    await shardStub(env, 2).enqueue({ id, tenantId: 'bl-unknown', tier: 'pro', params, queueLimit: 10 });
    const [job] = await lease('unknown-worker', 1);
    const response = await completeBatch([
      { jobId: 'job_zz_nope', leaseId: 'l', images: [{ index: 0, key: 'images/t/job_zz_nope/l/0.png', contentType: 'image/png', bytes: 1 }], usage },
      { jobId: job!.id, leaseId: job!.leaseId, images: [await upload(job!)], usage },
    ]);
    expect(((await response.json()) as CompleteBatchResponse).results).toEqual([
      { jobId: 'job_zz_nope', ok: false, code: 'unknown_job', message: expect.any(String) },
      { jobId: job!.id, ok: true },
    ]);
  });

  it('should refuse a malformed batch with a 400 in the OpenAI error shape and complete nothing of it', async () => {
    const id = jobIdInShard(0);
    await shardStub(env, 0).enqueue({ id, tenantId: 'bl-bad', tier: 'pro', params, queueLimit: 10 });
    const [job] = await lease('bad-worker', 1);
    const good = { jobId: job!.id, leaseId: job!.leaseId, images: [await upload(job!)], usage };
    const bad: unknown[] = [
      [],
      'not-a-list',
      [{ ...good, usage: { inputTokens: -1, outputTokens: 0 } }],
      [good, { ...good }],
      [good, { jobId: job!.id.replace(/.$/, 'x'), leaseId: job!.leaseId, images: good.images, usage }],
      Array.from({ length: 65 }, () => good),
    ];
    for (const completions of bad) {
      const response = await completeBatch(completions);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ message: expect.any(String), type: 'invalid_request_error' });
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    }
    expect(await statusOf(job!.id, 'bl-bad')).toBe('running');
    expect(((await (await completeBatch([good])).json()) as CompleteBatchResponse).results).toEqual([{ jobId: job!.id, ok: true }]);
  });
});

describe('completions carrying their images', () => {
  it('should store each image of a multipart completion under its own lease\'s prefix and complete every job', async () => {
    const ids = [jobIdInShard(0), jobIdInShard(1), jobIdInShard(2)];
    for (const id of ids) await shardStub(env, shardOfJob(id)!).enqueue({ id, tenantId: 'bl-inline', tier: 'pro', params, queueLimit: 10 });
    const jobs = await lease('inline-worker', 3);
    expect(jobs.map((job) => job.id).sort()).toEqual([...ids].sort());
    const formats: InlineImage['format'][][] = [['png'], ['jpeg', 'webp'], ['png']];
    const response = await completeInline(jobs.map((job, i) => inline(job, formats[i])));
    expect(response.status).toBe(200);
    expect(((await response.json()) as CompleteBatchResponse).results).toEqual(jobs.map((job) => ({ jobId: job.id, ok: true })));
    for (const [i, job] of jobs.entries()) {
      const view = await shardStub(env, shardOfJob(job.id)!).get(job.id, 'bl-inline');
      expect(view?.status).toBe('succeeded');
      const keys = formats[i]!.map((format, index) => `images/bl-inline/${job.id}/${job.leaseId}/${index}.${format}`);
      expect(await storedUnder(`images/bl-inline/${job.id}/`)).toEqual([...keys].sort());
      for (const [index, key] of keys.entries()) {
        const object = await env.IMAGES.get(key);
        expect(new Uint8Array(await object!.arrayBuffer())).toEqual(imageBytes(job.id, index));
        expect(object!.httpMetadata?.contentType).toBe(`image/${formats[i]![index]}`);
      }
      expect(view?.result?.images.map((image) => image.key)).toEqual(keys);
    }
  });

  it('should refuse only the job whose lease is stale, storing none of its bytes, and complete the others', async () => {
    const ids = [jobIdInShard(0), jobIdInShard(1), jobIdInShard(3)];
    for (const id of ids) await shardStub(env, shardOfJob(id)!).enqueue({ id, tenantId: 'bl-inline-stale', tier: 'pro', params, queueLimit: 10 });
    const jobs = await lease('inline-first', 3);
    const [lapsing, ...held] = jobs;
    for (const job of held) await shardStub(env, shardOfJob(job.id)!).heartbeat(job.id, job.leaseId, 0);
    const lapsed = Date.now() + TTL_MS + 50;
    while (Date.now() < lapsed) {
      for (const job of held) expect(await shardStub(env, shardOfJob(job.id)!).heartbeat(job.id, job.leaseId, 0)).toEqual({ keep: true });
      await sleep(TTL_MS / 4);
    }
    await runDurableObjectAlarm(shardStub(env, shardOfJob(lapsing!.id)!));
    const [takenOver] = await lease('inline-second', 1);
    expect(takenOver?.id).toBe(lapsing!.id);

    const response = await completeInline([...held, lapsing!].map((job) => inline(job)));
    expect(response.status).toBe(200);
    expect(((await response.json()) as CompleteBatchResponse).results).toEqual([
      ...held.map((job) => ({ jobId: job.id, ok: true })),
      { jobId: lapsing!.id, ok: false, code: 'stale_lease', message: expect.stringContaining(lapsing!.id) },
    ]);
    for (const job of held) {
      expect(await statusOf(job.id, 'bl-inline-stale')).toBe('succeeded');
      expect(await storedUnder(`images/bl-inline-stale/${job.id}/`)).toEqual([`images/bl-inline-stale/${job.id}/${job.leaseId}/0.png`]);
    }
    expect(await storedUnder(`images/bl-inline-stale/${lapsing!.id}/`)).toEqual([]);

    // The winner completes with its own bytes under its own lease; sending it again is refused and stores nothing new.
    const winner = inline(takenOver!);
    expect(((await (await completeInline([winner])).json()) as CompleteBatchResponse).results).toEqual([{ jobId: takenOver!.id, ok: true }]);
    expect(((await (await completeInline([winner])).json()) as CompleteBatchResponse).results[0]).toMatchObject({ ok: false, code: 'stale_lease' });
    expect(await storedUnder(`images/bl-inline-stale/${lapsing!.id}/`)).toEqual([`images/bl-inline-stale/${lapsing!.id}/${takenOver!.leaseId}/0.png`]);
  });

  it('should refuse malformed multipart input with a 400 in the OpenAI error shape, storing and completing nothing', async () => {
    const id = jobIdInShard(0);
    await shardStub(env, 0).enqueue({ id, tenantId: 'bl-inline-bad', tier: 'pro', params, queueLimit: 10 });
    const [job] = await lease('inline-bad', 1);
    const good = inline(job!);
    const json = (completions: unknown) => ['completions', JSON.stringify({ completions })] as [string, string];
    const file = good.files[0]!;
    const bad: Record<string, [string, string | Uint8Array][]> = {
      'no completions part': [file],
      'two completions parts': [json([good.completion]), json([good.completion]), file],
      'completions not JSON': [['completions', '{"completions": ['], file],
      'no completions': [json([]), file],
      'an image without its part': [json([good.completion])],
      'a part no image names': [json([good.completion]), file, ['stray', new Uint8Array([1])]],
      'a part sent twice': [json([good.completion]), file, file],
      'a text part for an image': [json([good.completion]), [file[0], 'not a file']],
      'an empty image': [json([good.completion]), [file[0], new Uint8Array()]],
      'a bad format': [json([{ ...good.completion, images: [{ ...good.completion.images[0]!, format: 'gif' }] }]), file],
      'a job twice': [json([good.completion, good.completion]), file],
      'an index twice': [json([{ ...good.completion, images: [good.completion.images[0]!, { ...good.completion.images[0]!, part: 'other' }] }]), file, ['other', new Uint8Array([1])]],
      'one part for two images': [json([{ ...good.completion, images: [good.completion.images[0]!, { ...good.completion.images[0]!, index: 1 }] }]), file],
      'an image named by key': [json([{ ...good.completion, images: [{ index: 0, key: `images/t/${id}/${job!.leaseId}/0.png`, contentType: 'image/png', bytes: 1 }] }])],
    };
    // Each case beats first: a lease must be kept past a few cases.
    const beat = async () => expect(await shardStub(env, 0).heartbeat(id, job!.leaseId, 0)).toEqual({ keep: true });
    for (const [what, parts] of Object.entries(bad)) {
      await beat();
      const response = await completeMultipart(parts);
      expect(response.status, what).toBe(400);
      const body = (await response.json()) as { error: Record<string, unknown> };
      expect(body.error, what).toMatchObject({ message: expect.any(String), type: 'invalid_request_error' });
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    }
    // Not multipart at all, under a multipart content type.
    const garbage = new TextEncoder().encode('not multipart');
    const signed = await signInternalRequest(ORIGIN_SECRET, 'POST', '/internal/complete', garbage);
    const unparsable = await call('/internal/complete', { method: 'POST', body: garbage, headers: { ...signed, 'content-type': 'multipart/form-data; boundary=x' } });
    expect(unparsable.status).toBe(400);
    expect(((await unparsable.json()) as { error: { code: string } }).error.code).toBe('invalid_multipart');
    // The signature covers the multipart bytes: one image byte changed after signing is refused.
    const form = new FormData();
    form.append('completions', JSON.stringify({ completions: [good.completion] }));
    form.append(file[0], new Blob([file[1]]), 'image');
    const encoded = new Response(form);
    const signedBytes = new Uint8Array(await encoded.arrayBuffer());
    const tamperedHeaders = await signInternalRequest(ORIGIN_SECRET, 'POST', '/internal/complete', signedBytes);
    const at = new TextDecoder().decode(signedBytes).indexOf('png ');
    signedBytes[at] = 'P'.charCodeAt(0);
    const tampered = await call('/internal/complete', { method: 'POST', body: signedBytes, headers: { ...tamperedHeaders, 'content-type': encoded.headers.get('content-type')! } });
    expect(tampered.status).toBe(401);

    await beat();
    expect(await statusOf(id, 'bl-inline-bad')).toBe('running');
    expect(await storedUnder(`images/bl-inline-bad/${id}/`)).toEqual([]);
    expect(((await (await completeInline([good])).json()) as CompleteBatchResponse).results).toEqual([{ jobId: id, ok: true }]);

    // The size cap, once the job is done (a large body takes longer to build than the test's lease lasts): checked before any lease.
    // A signed completion whose one image is over the body cap (an image that size goes by PUT):
    const tooLarge = await completeMultipart([json([good.completion]), [file[0], new Uint8Array(MAX_COMPLETE_BODY_BYTES + 1)]]);
    expect(tooLarge.status).toBe(413);
    expect(MAX_COMPLETE_BODY_BYTES).toBeLessThan(MAX_IMAGE_BYTES);
    // Any body over the cap: refused from its length, before anything is read (or signed).
    const huge = await call('/internal/complete', { method: 'POST', body: new Uint8Array(MAX_COMPLETE_BODY_BYTES + 1), headers: { 'content-type': 'multipart/form-data; boundary=x' } });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: Record<string, unknown> }).error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
    expect(await storedUnder(`images/bl-inline-bad/${id}/`)).toEqual([`images/bl-inline-bad/${id}/${job!.leaseId}/0.png`]);
  });
});

describe('heartbeats between checkpoints', () => {
  it('should keep a heartbeating lease alive without writing it, and after the beats stop resume from the last checkpoint', async () => {
    const shard = shardStub(env, 970);
    const id = jobIdInShard(970);
    await shard.enqueue({ id, tenantId: 'bl-hb', tier: 'pro', params, queueLimit: 10 });
    const [job] = await shard.lease('beating', 1);
    expect(await shard.heartbeat(id, job!.leaseId, 0)).toEqual({ keep: true });
    expect(await shard.heartbeat(id, job!.leaseId, 2, checkpoint(2))).toEqual({ keep: true });
    const checkpointed = (await shard.get(id, 'bl-hb'))!;
    expect(checkpointed.passesDone).toBe(2);
    // Beats for three TTLs past the checkpoint, with the alarm run after each: the lease holds, and no beat wrote the row.
    const until = Date.now() + 3 * TTL_MS;
    while (Date.now() < until) {
      expect(await shard.heartbeat(id, job!.leaseId, 2)).toEqual({ keep: true });
      await runDurableObjectAlarm(shard);
      await sleep(TTL_MS / 4);
    }
    expect(await shard.get(id, 'bl-hb')).toMatchObject({ status: 'running', updatedAt: checkpointed.updatedAt });
    // The beats stop: the lease lapses, and the job resumes after its last checkpointed pass.
    await sleep(TTL_MS + 50);
    await runDurableObjectAlarm(shard);
    expect(await shard.get(id, 'bl-hb')).toMatchObject({ status: 'queued', attempt: 1, passesDone: 2 });
    const [resumed] = await shard.lease('rescuer', 1);
    expect(resumed).toMatchObject({ id, attempt: 2, passesDone: 2, checkpoint: checkpoint(2) });
    expect(await shard.heartbeat(id, job!.leaseId, 3)).toEqual({ keep: false });
    expect((await shard.complete(id, resumed!.leaseId, [{ index: 0, key: 'k', contentType: 'image/png', bytes: 1 }], usage)).ok).toBe(true);
  });
});
