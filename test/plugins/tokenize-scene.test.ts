import { describe, expect, it } from 'vitest';
import { CODEBOOK_SIZE, NAMED_COLOURS, nearestToken, pastel, tokenColour, type Rgb } from '../../plugins/pack-default/index.js';
import sceneTokenizer, { compilePrompt, rasterize, type Scene } from '../../plugins/tokenize-scene/index.js';
import type { GenerationSpec, HookContext, Logger, TokenGrid } from '../../plugins/sdk/index.js';

const logger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function hook(prompt: string, seed: number, width = 256, height = 256): HookContext {
  const job: GenerationSpec = { jobId: 'job_test', prompt, width, height, n: 1, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed };
  return { job, imageIndex: 0, seed, signal: new AbortController().signal, logger, watermarkPayload: new Uint8Array(8) };
}

function tokenAt(grid: TokenGrid, x: number, y: number): number {
  return grid.tokens[Math.floor(y * grid.rows) * grid.cols + Math.floor(x * grid.cols)] ?? -1;
}

function only(scene: Scene) {
  expect(scene.objects).toHaveLength(1);
  const [object] = scene.objects;
  if (!object) throw new Error('no object');
  return object;
}

const saturation = ([r, g, b]: Rgb) => Math.max(r, g, b) - Math.min(r, g, b);
const brightness = ([r, g, b]: Rgb) => (r + g + b) / 3;

describe('codebook', () => {
  it('should have 256 distinct entries that include every named colour and its pastel', () => {
    expect(CODEBOOK_SIZE).toBe(256);
    const keys = new Set(Array.from({ length: CODEBOOK_SIZE }, (_, t) => tokenColour(t).join()));
    expect(keys.size).toBe(CODEBOOK_SIZE);
    for (const colour of Object.values(NAMED_COLOURS)) {
      for (const wanted of [colour, pastel(colour)]) {
        const got = tokenColour(nearestToken(...wanted));
        for (let c = 0; c < 3; c++) expect(Math.abs((got[c] ?? -1) - (wanted[c] ?? 2))).toBeLessThan(1 / 255);
      }
    }
  });
});

describe('compilePrompt', () => {
  it('should read the colour and shape of each object', () => {
    const scene = compilePrompt('a red circle and a blue square', 1);
    expect(scene.objects.map((o) => [o.shape, o.colour])).toEqual([
      ['circle', NAMED_COLOURS.red],
      ['square', NAMED_COLOURS.blue],
    ]);
  });

  it('should place objects by position words, before or after the noun', () => {
    const [left, right] = compilePrompt('a green triangle on the left and a yellow star on the right', 3).objects;
    expect(left?.x).toBeLessThan(0.35);
    expect(right?.x).toBeGreaterThan(0.65);
    const corner = only(compilePrompt('in the top left a pink heart', 3));
    expect(corner.x).toBeLessThan(0.35);
    expect(corner.y).toBeLessThan(0.35);
    const bottom = only(compilePrompt('a cat at the bottom right', 3));
    expect(bottom.x).toBeGreaterThan(0.65);
    expect(bottom.y).toBeGreaterThan(0.65);
  });

  it('should read counts as words, digits and plurals', () => {
    expect(compilePrompt('three purple stars', 1).objects.map((o) => o.shape)).toEqual(['star', 'star', 'star']);
    expect(compilePrompt('5 boxes', 1).objects).toHaveLength(5);
    expect(compilePrompt('two circles and a triangle', 1).objects.map((o) => o.shape)).toEqual(['circle', 'circle', 'triangle']);
    expect(compilePrompt('trees', 1).objects).toHaveLength(3);
  });

  it('should read sizes', () => {
    expect(only(compilePrompt('a tiny circle', 1)).size).toBeLessThan(only(compilePrompt('a small circle', 1)).size);
    expect(only(compilePrompt('a small circle', 1)).size).toBeLessThan(only(compilePrompt('a big circle', 1)).size);
  });

  it('should read the background from "on a X background" and "X sky"', () => {
    expect(compilePrompt('a red circle on a blue background', 1).background).toEqual({ top: NAMED_COLOURS.blue, bottom: NAMED_COLOURS.blue, horizon: undefined });
    const sky = compilePrompt('a house under a pink sky', 1);
    expect(sky.background.top).toEqual(NAMED_COLOURS.pink);
    expect(sky.objects.map((o) => o.shape)).toEqual(['house']);
    expect(compilePrompt('a cat on green grass', 1).background).toMatchObject({ bottom: NAMED_COLOURS.green, horizon: expect.any(Number) });
  });

  it('should tell the colour "sky blue" from the sky, and dark blue from the dark style', () => {
    expect(only(compilePrompt('a sky blue ball', 1)).colour).toEqual(NAMED_COLOURS.sky);
    const dark = compilePrompt('a dark blue heart', 1);
    expect(dark.style).toBe('plain');
    expect(brightness(only(dark).colour)).toBeLessThan(brightness(NAMED_COLOURS.blue));
  });

  it('should apply the style palette to every colour', () => {
    const plain = compilePrompt('a red circle on a blue background', 1);
    for (const prompt of ['a red circle on a blue background, pastel', 'a ghibli red circle on a blue background']) {
      const soft = compilePrompt(prompt, 1);
      expect(soft.style).toMatch(/pastel|ghibli/);
      expect(only(soft).colour).toEqual(pastel(NAMED_COLOURS.red));
      expect(saturation(soft.background.top)).toBeLessThan(saturation(plain.background.top));
      expect(brightness(soft.background.top)).toBeGreaterThan(brightness(plain.background.top));
    }
    const dark = compilePrompt('a dark scene with a red circle', 1);
    expect(dark.style).toBe('dark');
    expect(brightness(only(dark).colour)).toBeLessThan(brightness(NAMED_COLOURS.red));
    const neon = compilePrompt('a neon pink star', 1);
    expect(neon.background.top).toEqual([0, 0, 0]);
    expect(saturation(only(neon).colour)).toBeGreaterThan(saturation(NAMED_COLOURS.pink));
  });

  it('should still draw something for nouns it does not know', () => {
    expect(only(compilePrompt('a purple dragon', 1))).toMatchObject({ noun: 'dragon', colour: NAMED_COLOURS.purple });
    expect(compilePrompt('two fluffy dragons and a cat', 1).objects.map((o) => o.noun)).toEqual(['dragon', 'dragon', 'cat']);
    expect(compilePrompt('unicorn', 1).objects).toHaveLength(1);
  });

  it('should be deterministic for a seed and jitter only slightly across seeds', () => {
    expect(compilePrompt('three stars in the sky', 9)).toEqual(compilePrompt('three stars in the sky', 9));
    const a = only(compilePrompt('a circle', 1));
    const b = only(compilePrompt('a circle', 2));
    expect(a.x).not.toBe(b.x);
    expect(Math.abs(a.x - b.x)).toBeLessThan(0.05);
  });
});

describe('lumen/scene-tokenizer', () => {
  const tokenizer = sceneTokenizer();

  it('should declare a namespaced tokenize stage', () => {
    expect(tokenizer).toMatchObject({ kind: 'tokenize', name: 'lumen/scene-tokenizer', apiVersion: 1 });
  });

  it('should make a 64x64 grid of valid tokens by default and honour gridSize', async () => {
    const grid = await tokenizer.tokenize(hook('a red circle', 1), undefined);
    expect(grid).toMatchObject({ rows: 64, cols: 64, codebookSize: CODEBOOK_SIZE });
    expect(grid.tokens).toHaveLength(64 * 64);
    expect(grid.tokens.every((t) => t >= 0 && t < CODEBOOK_SIZE)).toBe(true);
    const small = await sceneTokenizer({ gridSize: 32 }).tokenize(hook('a red circle', 1), undefined);
    expect(small).toMatchObject({ rows: 32, cols: 32 });
    expect(() => sceneTokenizer({ gridSize: 16 })).toThrow(RangeError);
    expect(() => rasterize(compilePrompt('x', 1), { rows: 31, cols: 64 })).toThrow(RangeError);
  });

  it('should put red at the centre and blue in the corners of "a red circle on a blue background"', async () => {
    const grid = await tokenizer.tokenize(hook('a red circle on a blue background', 5), undefined);
    const [r, g, b] = tokenColour(tokenAt(grid, 0.5, 0.5));
    expect(r).toBeGreaterThan(0.7);
    expect(Math.max(g, b)).toBeLessThan(0.3);
    for (const [x, y] of [[0, 0], [0.99, 0], [0, 0.99], [0.99, 0.99]] as const) {
      const [cr, cg, cb] = tokenColour(tokenAt(grid, x, y));
      expect(cb).toBeGreaterThan(0.7);
      expect(Math.max(cr, cg)).toBeLessThan(0.4);
    }
  });

  it('should give identical tokens for the same prompt and seed, and different ones for another prompt', async () => {
    const prompt = 'two small yellow stars and a green tree on a pastel pink background';
    const a = await tokenizer.tokenize(hook(prompt, 11), undefined);
    const b = await tokenizer.tokenize(hook(prompt, 11), undefined);
    expect(Array.from(a.tokens)).toEqual(Array.from(b.tokens));
    const other = await tokenizer.tokenize(hook('a blue square', 11), undefined);
    expect(Array.from(other.tokens)).not.toEqual(Array.from(a.tokens));
  });

  it('should move the object with its position word', async () => {
    const left = await tokenizer.tokenize(hook('a red circle on the left', 1), undefined);
    const right = await tokenizer.tokenize(hook('a red circle on the right', 1), undefined);
    const red = nearestToken(...NAMED_COLOURS.red);
    expect(tokenAt(left, 0.25, 0.5)).toBe(red);
    expect(tokenAt(left, 0.75, 0.5)).not.toBe(red);
    expect(tokenAt(right, 0.75, 0.5)).toBe(red);
    expect(tokenAt(right, 0.25, 0.5)).not.toBe(red);
  });

  it('should keep circles round on a wide image', async () => {
    const grid = await tokenizer.tokenize(hook('a red circle', 1, 512, 256), undefined);
    const red = nearestToken(...NAMED_COLOURS.red);
    const row = Math.floor(grid.rows / 2);
    const col = Math.floor(grid.cols / 2);
    let wide = 0;
    let tall = 0;
    for (let i = 0; i < grid.cols; i++) if (grid.tokens[row * grid.cols + i] === red) wide++;
    for (let i = 0; i < grid.rows; i++) if (grid.tokens[i * grid.cols + col] === red) tall++;
    // The decoder stretches the grid 2x horizontally, so the circle must be half as wide in tokens.
    expect(wide / tall).toBeGreaterThan(0.4);
    expect(wide / tall).toBeLessThan(0.6);
  });
});

describe('layout', () => {
  it('should keep every copy of a sized group inside the canvas', () => {
    for (const prompt of ['three small yellow stars and a green tree', 'five large red circles on the left', 'ten tiny squares']) {
      for (const object of compilePrompt(prompt, 3).objects) {
        expect(object.x - object.size / 2, prompt).toBeGreaterThanOrEqual(0);
        expect(object.x + object.size / 2, prompt).toBeLessThanOrEqual(1);
        expect(object.y - object.size / 2, prompt).toBeGreaterThanOrEqual(0);
        expect(object.y + object.size / 2, prompt).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('transparent backgrounds', () => {
  const transparent = (ctx: HookContext, edit?: GenerationSpec['edit']): HookContext => ({ ...ctx, job: { ...ctx.job, background: 'transparent', ...(edit && { edit }) } });
  const cell = (grid: TokenGrid, x: number, y: number) => Math.floor(y * grid.rows) * grid.cols + Math.floor(x * grid.cols);

  it('should mark the background clear and the object opaque, with partial cells on its edge, and no alpha when opaque', async () => {
    const tokenizer = sceneTokenizer({ gridSize: 64 });
    const ctx = hook('a red circle on a blue background', 5);
    expect((await tokenizer.tokenize(ctx, undefined)).alpha).toBeUndefined();
    const grid = await tokenizer.tokenize(transparent(ctx), undefined);
    const alpha = grid.alpha!;
    expect(alpha).toHaveLength(64 * 64);
    expect([alpha[cell(grid, 0.5, 0.5)], alpha[cell(grid, 0.02, 0.02)], alpha[cell(grid, 0.98, 0.98)]]).toEqual([255, 0, 0]);
    expect(alpha.some((value) => value > 0 && value < 255)).toBe(true);
    // Edge cells take the object's colour only, and the clear cells next to them too, so no blue fringe is decoded.
    const red = nearestToken(...NAMED_COLOURS.red);
    for (let i = 0; i < alpha.length; i++) {
      const neighbourOpaque = [-1, 1, -64, 64].some((step) => (alpha[i + step] ?? 0) > 0);
      if (alpha[i]! > 0 || neighbourOpaque) expect(grid.tokens[i], `cell ${i}`).toBe(red);
    }
  });

  it('should give an edit of a known scene the new scene\'s alpha, and an upload of unknown content none of clear', async () => {
    const tokenizer = sceneTokenizer({ gridSize: 64 });
    const source = await tokenizer.tokenize(hook('a red circle on a white background', 7), undefined);
    const known = await tokenizer.tokenize(
      transparent(hook('add a yellow star at the top left', 7), { sourceGrid: source, sourcePrompt: 'a red circle on a white background', sourceSeed: 7, inputFidelity: 'high' }),
      undefined,
    );
    expect([known.alpha![cell(known, 0.5, 0.5)], known.alpha![cell(known, 0.98, 0.98)]]).toEqual([255, 0]);
    const upload = await tokenizer.tokenize(
      transparent(hook('a red circle on a white background', 7), { sourceGrid: source, inputFidelity: 'high' }),
      undefined,
    );
    expect(upload.alpha!.every((value) => value === 255)).toBe(true);
  });
});
