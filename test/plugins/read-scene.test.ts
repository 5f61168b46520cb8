import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxRuntime } from '../../origin-gpu/runtime/onnx-runtime.js';
import progressiveDecoder from '../../plugins/decode-progressive/index.js';
import { loadTokenEncoder, type TokenEncoder } from '../../plugins/pack-default/index.js';
import type { EditSpec, GenerationSpec, HookContext, Logger, PassContext, RawImage, TokenGrid } from '../../plugins/sdk/index.js';
import sceneTokenizer, { sceneOfImage } from '../../plugins/tokenize-scene/index.js';

const logger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const PASSES = 4;
const SIDE = 256;
type Rgb = [number, number, number];

function job(prompt: string, seed: number, edit?: EditSpec): GenerationSpec {
  return { jobId: 'job_test', prompt, width: SIDE, height: SIDE, n: 1, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed, ...(edit && { edit }) };
}

function hook(spec: GenerationSpec): HookContext {
  return { job: spec, imageIndex: 0, seed: spec.seed, signal: new AbortController().signal, logger, watermarkPayload: new Uint8Array(8) };
}

async function raw(bytes: Buffer): Promise<RawImage> {
  const { data, info } = await sharp(bytes).removeAlpha().resize(SIDE, SIDE, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) };
}

const at = (image: RawImage, x: number, y: number): Rgb => {
  const o = (y * image.width + x) * image.channels;
  return [image.data[o]!, image.data[o + 1]!, image.data[o + 2]!];
};
const near = (a: Rgb, b: Rgb, tolerance = 40) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]) < tolerance;

/** Mean absolute difference per channel over the pixels where `inside(x, y)` holds. */
function meanDifference(a: RawImage, b: RawImage, inside: (x: number, y: number) => boolean): number {
  let sum = 0;
  let count = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (!inside(x, y)) continue;
      for (let c = 0; c < 3; c++) sum += Math.abs(a.data[(y * a.width + x) * 3 + c]! - b.data[(y * b.width + x) * 3 + c]!);
      count += 3;
    }
  }
  return sum / count;
}

function countWhere(image: RawImage, inside: (x: number, y: number) => boolean, colour: Rgb, tolerance = 60): number {
  let count = 0;
  for (let y = 0; y < image.height; y += 2) for (let x = 0; x < image.width; x += 2) if (inside(x, y) && near(at(image, x, y), colour, tolerance)) count++;
  return count;
}

/** A flat scene drawn as SVG and rasterized by sharp: what a user's drawing tool would upload. */
function drawing(shapes: string, background = '#f4f0e8'): Promise<Buffer> {
  return sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${SIDE}" height="${SIDE}"><rect width="100%" height="100%" fill="${background}"/>${shapes}</svg>`))
    .png()
    .toBuffer();
}

const RED: Rgb = [230, 31, 31];
const GREEN: Rgb = [38, 166, 51];
const BLUE: Rgb = [26, 77, 230];
const YELLOW: Rgb = [255, 224, 26];

describe('sceneOfImage: reading flat shapes from pixels', () => {
  it('should find the background and each object with its shape, colour, place and size', async () => {
    const image = await raw(
      await drawing(
        '<circle cx="64" cy="64" r="36" fill="#ff0000"/>' +
          '<rect x="150" y="150" width="70" height="70" fill="#0000ff"/>' +
          '<rect x="140" y="30" width="100" height="44" fill="#00aa00"/>' +
          '<polygon points="64,150 110,230 18,230" fill="#ffcc00"/>' +
          '<polygon points="200,95 209,122 238,122 215,139 223,166 200,150 177,166 185,139 162,122 191,122" fill="#8800cc"/>',
      ),
    );
    const scene = sceneOfImage(image, { rows: 64, cols: 64, aspect: 1 });
    expect(scene).toBeDefined();
    const { request, placements } = scene!;
    expect(request.background.flat?.map((v) => Math.round(v * 255))).toEqual([244, 240, 232]);
    const nouns = request.objects.map((object) => object.noun).sort();
    expect(nouns).toEqual(['circle', 'rectangle', 'square', 'star', 'triangle']);
    const circle = request.objects.findIndex((object) => object.noun === 'circle');
    expect(placements[circle]![0]!.x).toBeCloseTo(64 / SIDE, 2);
    expect(placements[circle]![0]!.y).toBeCloseTo(64 / SIDE, 2);
    expect(placements[circle]![0]!.size).toBeCloseTo(72 / SIDE, 1);
    expect(request.objects[circle]!.colour).toEqual([1, 0, 0]);
  });

  it('should refuse to read a photo-like image: noise and gradients are no scene of flat shapes', async () => {
    const width = SIDE;
    const data = new Uint8Array(width * width * 3);
    let state = 12345;
    for (let i = 0; i < data.length; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      data[i] = Math.min(255, Math.max(0, ((i / 3) % width) + ((state >>> 24) % 60) - 30));
    }
    expect(sceneOfImage({ width, height: width, channels: 3, data }, { rows: 64, cols: 64, aspect: 1 })).toBeUndefined();
  });
});

describe('edits of uploads without a mask, with the real encoder and decoder', () => {
  const runtime = new OnnxRuntime();
  const tokenizer = sceneTokenizer({ gridSize: 64 });
  const decoder = progressiveDecoder();
  let encoder: TokenEncoder;

  beforeAll(async () => {
    encoder = await loadTokenEncoder(runtime);
    await tokenizer.setup?.({ logger, runtime });
    await decoder.setup?.({ logger, runtime });
  });

  afterAll(async () => {
    await tokenizer.dispose?.();
    await decoder.dispose?.();
    await runtime.dispose();
  });

  async function decode(grid: TokenGrid): Promise<RawImage> {
    const ctx: PassContext = { ...hook(job('', 0)), grid, pass: PASSES, passes: PASSES };
    return decoder.decodePass(ctx, undefined);
  }

  /** Renders a prompt as Lumen does and re-encodes it as JPEG, so no hash could recognise it. */
  async function lumenUpload(prompt: string, seed = 3): Promise<Buffer> {
    const image = await decode(await tokenizer.tokenize(hook(job(prompt, seed)), undefined));
    return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({ quality: 88 }).toBuffer();
  }

  /** `before` is the upload as the codec renders it untouched (its tokens decoded), so differences are the edit's alone. */
  async function editUpload(upload: Buffer, prompt: string, seed = 5): Promise<{ before: RawImage; after: RawImage }> {
    const source = await raw(upload);
    const grid = await tokenizer.tokenize(hook(job(prompt, seed, { sourceImage: source, inputFidelity: 'high' })), undefined);
    return { before: await decode(await encoder.encode(source, 64, 64)), after: await decode(grid) };
  }

  const disc = (cx: number, cy: number, r: number) => (x: number, y: number) => Math.hypot(x - cx, y - cy) < r;
  const box = (x0: number, y0: number, x1: number, y1: number) => (x: number, y: number) => x >= x0 && x < x1 && y >= y0 && y < y1;
  const not = (...areas: ((x: number, y: number) => boolean)[]) => (x: number, y: number) => !areas.some((inside) => inside(x, y));

  it('should recolour a re-encoded Lumen image\'s circle and leave its square and background alone', async () => {
    const upload = await lumenUpload('a red circle at the left and a blue square at the right on a white background');
    const { before, after } = await editUpload(upload, 'make the circle green');
    expect(near(at(before, 64, 128), RED)).toBe(true);
    expect(near(at(after, 64, 128), GREEN), `circle centre ${at(after, 64, 128)}`).toBe(true);
    expect(countWhere(after, disc(64, 128, 30), GREEN)).toBeGreaterThan(150);
    expect(near(at(after, 192, 128), BLUE)).toBe(true);
    expect(countWhere(after, () => true, RED, 80)).toBe(0);
    // Away from the circle the upload survives, up to the codec's rounding.
    expect(meanDifference(before, after, not(disc(64, 128, 62)))).toBeLessThan(1);
  });

  it('should carry out a spread of instructions on a hand-drawn upload', async () => {
    const upload = await drawing('<circle cx="70" cy="70" r="40" fill="#ff0000"/><rect x="150" y="150" width="70" height="70" fill="#0000ff"/>');
    const circle = disc(70, 70, 36);
    const square = box(154, 154, 216, 216);
    const aroundBoth = not(disc(70, 70, 52), box(140, 140, 230, 230));

    const green = await editUpload(upload, 'make the circle green');
    expect(countWhere(green.after, circle, GREEN)).toBeGreaterThan(280);
    expect(countWhere(green.after, square, [0, 0, 255])).toBeGreaterThan(800);
    expect(meanDifference(green.before, green.after, aroundBoth)).toBeLessThan(1);

    const removed = await editUpload(upload, 'remove the square');
    expect(countWhere(removed.after, square, [244, 240, 232], 20)).toBeGreaterThan(900);
    expect(countWhere(removed.after, circle, [255, 0, 0])).toBeGreaterThan(280);

    const starred = await editUpload(upload, 'add a yellow star at the top right');
    expect(countWhere(starred.after, box(128, 0, 256, 128), YELLOW)).toBeGreaterThan(60);
    expect(meanDifference(starred.before, starred.after, box(0, 128, 128, 256))).toBeLessThan(1);

    const redToBlue = await editUpload(upload, 'make the red circle blue and the blue square red');
    expect(countWhere(redToBlue.after, circle, BLUE)).toBeGreaterThan(280);
    expect(countWhere(redToBlue.after, square, RED)).toBeGreaterThan(800);

    const moved = await editUpload(upload, 'move the circle to the bottom left');
    expect(countWhere(moved.after, circle, [255, 0, 0])).toBeLessThan(30);
    expect(countWhere(moved.after, box(0, 128, 128, 256), [255, 0, 0])).toBeGreaterThan(250);

    const bigger = await editUpload(upload, 'make the square bigger');
    expect(countWhere(bigger.after, () => true, [0, 0, 255])).toBeGreaterThan(countWhere(bigger.before, () => true, [0, 0, 255]) * 1.2);

    const night = await editUpload(upload, 'make the background black');
    expect(countWhere(night.after, box(0, 200, 100, 256), [0, 0, 0], 20)).toBeGreaterThan(500);
    expect(countWhere(night.after, circle, [255, 0, 0])).toBeGreaterThan(280);
  });

  it('should answer with an image when the upload cannot be read or lacks what the instruction names', async () => {
    const noise = Buffer.alloc(SIDE * SIDE * 3);
    let state = 99;
    for (let i = 0; i < noise.length; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      noise[i] = Math.min(255, Math.max(0, ((i / 3) % SIDE) / 2 + 60 + ((state >>> 24) % 80) - 40));
    }
    const photo = await sharp(noise, { raw: { width: SIDE, height: SIDE, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();

    // Nothing is known about the photo: the recoloured circle is drawn on it, where the layout puts one.
    const circle = await editUpload(photo, 'make the circle green');
    expect(countWhere(circle.after, () => true, GREEN, 50)).toBeGreaterThan(300);
    expect(meanDifference(circle.before, circle.after, box(0, 0, 256, 40))).toBeLessThan(1);
    // There is no moon to remove, and nothing to read: the photo comes back as it was, up to the codec.
    const moon = await editUpload(photo, 'remove the moon');
    expect(meanDifference(moon.before, moon.after, () => true)).toBe(0);
    const unreadable = await editUpload(photo, 'make it sparkle like a diamond in the sky');
    expect(unreadable.after.width).toBe(SIDE);

    // A shape read as something else is still the one object the drawing has.
    const drawn = await drawing('<circle cx="128" cy="128" r="50" fill="#ff0000"/>');
    const heart = await editUpload(drawn, 'make the heart green');
    expect(countWhere(heart.after, disc(128, 128, 45), GREEN)).toBeGreaterThan(900);
  });
});
