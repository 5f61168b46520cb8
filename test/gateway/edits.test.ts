import { describe, expect, it } from 'vitest';
import { imageIdOf } from '../../gateway/jobs/image-id.js';
import { readImageHeader } from '../../gateway/image-header.js';
import type { EditParams, LeaseResponse } from '../../protocol/jobs.js';
import { call, createTenant, internal } from './helpers.js';

const LIFTED = { requestsPerMinute: 10_000, imagesPerMinute: 10_000, concurrentJobs: 10_000 };

/** A PNG with a real signature and IHDR (and tRNS when asked); enough for header checks, never decoded here. */
function pngHeader(width: number, height: number, colourType: 2 | 3 | 6, transparentPalette = false): Uint8Array {
  const chunk = (type: string, data: number[]) => {
    const length = [(data.length >>> 24) & 255, (data.length >>> 16) & 255, (data.length >>> 8) & 255, data.length & 255];
    return [...length, ...[...type].map((ch) => ch.charCodeAt(0)), ...data, 0, 0, 0, 0];
  };
  const be32 = (value: number) => [(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
  return new Uint8Array([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a,
    ...chunk('IHDR', [...be32(width), ...be32(height), 8, colourType, 0, 0, 0]),
    ...(transparentPalette ? chunk('tRNS', [0]) : []),
    ...chunk('IDAT', [0]),
    ...chunk('IEND', []),
  ]);
}

function jpegHeader(width: number, height: number): Uint8Array {
  // SOI, an APP0 segment, then SOF0 with the frame size.
  return new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, height >> 8, height & 255, width >> 8, width & 255, 3, 1, 0x11, 0]);
}

function webpLossless(width: number, height: number, alpha: boolean): Uint8Array {
  const bits = ((width - 1) | ((height - 1) << 14) | ((alpha ? 1 : 0) << 28)) >>> 0;
  const bytes = new Uint8Array(30);
  bytes.set([...'RIFF'].map((ch) => ch.charCodeAt(0)), 0);
  bytes.set([...'WEBPVP8L'].map((ch) => ch.charCodeAt(0)), 8);
  bytes[20] = 0x2f;
  bytes.set([bits & 255, (bits >>> 8) & 255, (bits >>> 16) & 255, bits >>> 24], 21);
  return bytes;
}

function edit(key: string, fields: Record<string, string>, files: { name: string; bytes: Uint8Array; type?: string }[]): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const file of files) form.append(file.name, new File([file.bytes], `${file.name}.png`, { type: file.type ?? 'image/png' }));
  return call('/v1/images/edits', { method: 'POST', headers: { authorization: `Bearer ${key}`, prefer: 'respond-async' }, body: form });
}

async function expectError(response: Response, status: number, code: string, param?: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { code: string; param: string | null; message: string; type: string } };
  expect(body.error.code).toBe(code);
  if (param !== undefined) expect(body.error.param).toBe(param);
  expect(body.error.message.length).toBeGreaterThan(10);
}

describe('image headers', () => {
  it('should read size and alpha from PNG, JPEG and WebP headers without decoding', () => {
    expect(readImageHeader(pngHeader(640, 480, 6))).toEqual({ format: 'png', width: 640, height: 480, hasAlpha: true });
    expect(readImageHeader(pngHeader(640, 480, 2))).toEqual({ format: 'png', width: 640, height: 480, hasAlpha: false });
    expect(readImageHeader(pngHeader(64, 64, 3, true))?.hasAlpha).toBe(true);
    expect(readImageHeader(jpegHeader(1024, 768))).toEqual({ format: 'jpeg', width: 1024, height: 768, hasAlpha: false });
    expect(readImageHeader(webpLossless(300, 200, true))).toEqual({ format: 'webp', width: 300, height: 200, hasAlpha: true });
  });

  it('should refuse anything else', () => {
    expect(readImageHeader(new TextEncoder().encode('not an image at all, just text'))).toBeNull();
    expect(readImageHeader(pngHeader(640, 480, 6).subarray(0, 20))).toBeNull();
    expect(readImageHeader(new Uint8Array([0xff, 0xd8, 0xff]))).toBeNull();
  });
});

describe('POST /v1/images/edits: bad input', () => {
  it.each([
    ['no image', [], 'missing_required_parameter', 'image'],
    ['a text file', [{ name: 'image', bytes: new TextEncoder().encode('hello, not an image') }], 'invalid_image', 'image'],
    ['an image over 40 megapixels', [{ name: 'image', bytes: pngHeader(8000, 6000, 6) }], 'image_too_many_pixels', 'image'],
    ['17 images', Array.from({ length: 17 }, () => ({ name: 'image[]', bytes: pngHeader(64, 64, 6) })), 'too_many_images', 'image'],
    ['a mask of the wrong size', [{ name: 'image', bytes: pngHeader(512, 512, 2) }, { name: 'mask', bytes: pngHeader(256, 256, 6) }], 'invalid_mask', 'mask'],
    ['a mask without alpha', [{ name: 'image', bytes: pngHeader(512, 512, 2) }, { name: 'mask', bytes: pngHeader(512, 512, 2) }], 'invalid_mask', 'mask'],
    ['a JPEG mask', [{ name: 'image', bytes: pngHeader(512, 512, 2) }, { name: 'mask', bytes: jpegHeader(512, 512), type: 'image/jpeg' }], 'invalid_mask', 'mask'],
  ] as const)('should answer %s with a clear 400', async (_name, files, code, param) => {
    const key = await createTenant(`editbad${Math.random().toString(36).slice(2, 8)}`, 'pro', LIFTED);
    await expectError(await edit(key, { prompt: 'make it blue' }, [...files]), 400, code, param);
  });

  it('should answer an image over 25 MB with a clear 400', async () => {
    const key = await createTenant('editbig', 'pro', LIFTED);
    const big = new Uint8Array(25 * 1024 * 1024 + 1);
    big.set(pngHeader(1024, 1024, 6));
    await expectError(await edit(key, { prompt: 'make it blue' }, [{ name: 'image', bytes: big }]), 400, 'image_too_large', 'image');
  });

  it('should refuse a missing prompt and unknown fields', async () => {
    const key = await createTenant('editfields', 'pro', LIFTED);
    await expectError(await edit(key, {}, [{ name: 'image', bytes: pngHeader(64, 64, 6) }]), 400, 'missing_required_parameter', 'prompt');
    expect((await edit(key, { prompt: 'x', colour: 'red' }, [{ name: 'image', bytes: pngHeader(64, 64, 6) }])).status).toBe(400);
  });
});

describe('POST /v1/images/edits: image_id', () => {
  const json = (key: string, body: unknown) =>
    call('/v1/images/edits', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'respond-async' }, body: JSON.stringify(body) });

  it("should 404 an image id that does not exist or belongs to another tenant, and reuse the owner's stored tokens", async () => {
    const owner = await createTenant('editowner', 'pro', LIFTED);
    const stranger = await createTenant('editstranger', 'pro', LIFTED);
    await expectError(await json(owner, { image_id: 'img_0_00000000000000000000000000000000_0', prompt: 'x' }), 404, 'not_found');
    await expectError(await json(owner, { image_id: 'nonsense', prompt: 'x' }), 404, 'not_found');

    // Run one generation to completion by hand, as an origin would.
    const created = await call('/v1/images/generations', {
      method: 'POST',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ prompt: 'a red circle', size: '256x256' }),
    });
    const { id } = (await created.json()) as { id: string };
    let leased: LeaseResponse['jobs'][number] | undefined;
    while (!leased) {
      const { jobs } = (await (await internal('POST', '/internal/lease', { workerId: 'edit-test', slots: 8, waitMs: 0 })).json()) as LeaseResponse;
      leased = jobs.find((job) => job.id === id);
      if (jobs.length === 0) throw new Error('job never leased');
    }
    const grid = { rows: 2, cols: 2, codebookSize: 256, tokensBase64: btoa(String.fromCharCode(...new Uint8Array(new Int32Array([216, 216, 0, 0]).buffer))) };
    await internal('POST', `/internal/jobs/${id}/heartbeat`, { leaseId: leased.leaseId, passesDone: 4, checkpoint: { passesDone: 4, grids: [grid] } });
    const key = `images/editowner/${id}/${leased.leaseId}/0.png`;
    const image = { index: 0, key, contentType: 'image/png', bytes: 10 };
    expect((await internal('POST', `/internal/jobs/${id}/complete`, { leaseId: leased.leaseId, images: [image], usage: { inputTokens: 1, outputTokens: 4 } })).status).toBe(200);

    const imageId = imageIdOf(id, 0);
    await expectError(await json(stranger, { image_id: imageId, prompt: 'make it green' }), 404, 'not_found');
    await expectError(await json(owner, { image_id: imageIdOf(id, 3), prompt: 'make it green' }), 404, 'not_found');

    const accepted = await json(owner, { image_id: imageId, prompt: 'make the circle green' });
    expect(accepted.status).toBe(202);
    const { id: editId } = (await accepted.json()) as { id: string };
    const { jobs } = (await (await internal('POST', '/internal/lease', { workerId: 'edit-test', slots: 8, waitMs: 0 })).json()) as LeaseResponse;
    const editJob = jobs.find((job) => job.id === editId)!;
    const editParams = editJob.params.edit as EditParams;
    expect(editParams.source).toEqual({ imageId, prompt: 'a red circle', seed: expect.any(Number), grid });
    expect(editParams.uploadKeys).toEqual([]);
    expect([editJob.params.width, editJob.params.height]).toEqual([256, 256]);
  });
});

describe('POST /v1/images/edits: the JSON form with images and mask', () => {
  const json = (key: string, body: unknown) =>
    call('/v1/images/edits', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'respond-async' }, body: JSON.stringify(body) });
  const dataUrl = (bytes: Uint8Array, type = 'image/png') => `data:${type};base64,${btoa(String.fromCharCode(...bytes))}`;

  it.each([
    ['a remote URL, which is never fetched', { images: [{ image_url: 'https://example.com/cat.png' }] }, 'remote_url_not_supported', 'images[0].image_url'],
    ['a URL that is not a data URL', { images: [{ image_url: 'ftp://example.com/cat.png' }] }, 'invalid_image_url', 'images[0].image_url'],
    ['a data URL that is not base64', { images: [{ image_url: 'data:image/png;base64,!!!notbase64' }] }, 'invalid_image_url', 'images[0].image_url'],
    ['a data URL of text', { images: [{ image_url: `data:image/png;base64,${btoa('hello, not an image')}` }] }, 'invalid_image', 'images[0].image_url'],
    ['an image over 40 megapixels', { images: [{ image_url: dataUrl(pngHeader(8000, 6000, 6)) }] }, 'image_too_many_pixels', 'images[0].image_url'],
    ['17 images', { images: Array.from({ length: 17 }, () => ({ image_url: dataUrl(pngHeader(64, 64, 6)) })) }, 'too_many_images', 'images'],
    ['an image with both image_url and file_id', { images: [{ image_url: dataUrl(pngHeader(64, 64, 6)), file_id: 'img_x' }] }, 'invalid_value', 'images[0]'],
    ['a file_id that is not a Lumen image id', { images: [{ file_id: 'file-abc123' }] }, 'invalid_file_id', 'images[0].file_id'],
    ['a mask given as a file_id', { images: [{ image_url: dataUrl(pngHeader(64, 64, 6)) }], mask: { file_id: 'file-abc' } }, 'invalid_file_id', 'mask.file_id'],
    ['a mask of the wrong size', { images: [{ image_url: dataUrl(pngHeader(512, 512, 2)) }], mask: { image_url: dataUrl(pngHeader(256, 256, 6)) } }, 'invalid_mask', 'mask.image_url'],
    ['a mask without alpha', { images: [{ image_url: dataUrl(pngHeader(512, 512, 2)) }], mask: { image_url: dataUrl(pngHeader(512, 512, 2)) } }, 'invalid_mask', 'mask.image_url'],
    ['a mask without images', { image_id: 'img_0_00000000000000000000000000000000_0', mask: { image_url: dataUrl(pngHeader(64, 64, 6)) } }, null, 'mask'],
    ['no image at all', {}, 'missing_required_parameter', 'images'],
  ] as const)('should answer %s with a clear 400', async (_name, body, code, param) => {
    const key = await createTenant(`jsonbad${Math.random().toString(36).slice(2, 8)}`, 'pro', LIFTED);
    const response = await json(key, { prompt: 'make it blue', ...body });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string | null; param: string | null; message: string } };
    expect(error).toMatchObject({ code, param });
    expect(error.message.length).toBeGreaterThan(10);
  });

  it('should answer a data URL over 25 MB with a clear 400 before decoding it', async () => {
    const key = await createTenant('jsonbig', 'pro', LIFTED);
    const base64 = 'A'.repeat(Math.ceil(((25 * 1024 * 1024 + 3) * 4) / 3));
    const response = await json(key, { prompt: 'make it blue', images: [{ image_url: `data:image/png;base64,${base64}` }] });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('image_too_large');
  });

  it('should queue data-URL uploads and mask like the multipart form, and take a Lumen image id as file_id', async () => {
    const key = await createTenant('jsonok', 'pro', LIFTED);
    const image = pngHeader(512, 512, 2);
    const mask = pngHeader(512, 512, 6);
    const accepted = await json(key, { prompt: 'a yellow star', images: [{ image_url: dataUrl(image) }], mask: { image_url: dataUrl(mask) } });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    const { jobs } = (await (await internal('POST', '/internal/lease', { workerId: 'json-edit', slots: 8, waitMs: 0 })).json()) as LeaseResponse;
    const job = jobs.find((candidate) => candidate.id === id)!;
    const params = job.params.edit as EditParams;
    expect(params.uploadKeys).toEqual([expect.stringMatching(/^uploads\/jsonok\/[0-9a-f]{64}\.png$/)]);
    expect(params.maskKey).toMatch(/^uploads\/jsonok\/[0-9a-f]{64}\.png$/);
    expect([job.params.width, job.params.height]).toEqual([512, 512]);

    // file_id names a stored image by its Lumen id: one that does not exist is a 404, like image_id.
    const missing = await json(key, { prompt: 'x', images: [{ file_id: 'img_0_00000000000000000000000000000000_0' }] });
    expect(missing.status).toBe(404);
  });
});
