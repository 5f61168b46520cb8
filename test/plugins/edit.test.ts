import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxRuntime } from '../../origin-gpu/runtime/onnx-runtime.js';
import { CODEBOOK_SIZE, NAMED_COLOURS, nearestToken, pastel as pastelOf, tokenColour } from '../../plugins/pack-default/index.js';
import progressiveDecoder from '../../plugins/decode-progressive/index.js';
import { seededRandom as random, type GenerationSpec, type HookContext, type Logger, type PassContext, type RawImage, type TokenGrid } from '../../plugins/sdk/index.js';
import sceneTokenizer, {
  compilePrompt,
  describeRequest,
  dilateCells,
  EditRejection,
  layoutScene,
  maskFromAlpha,
  objectCoverage,
  parseInstruction,
  parsePrompt,
  planEdit,
  rasterize,
  type EditPlan,
  type Scene,
} from '../../plugins/tokenize-scene/index.js';

const logger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const SIZE = 64;
const SEED = 7;
const PASSES = 4;
const RED = nearestToken(...NAMED_COLOURS.red);
const GREEN = nearestToken(...NAMED_COLOURS.green);
const YELLOW = nearestToken(...NAMED_COLOURS.yellow);
const WHITE = nearestToken(1, 1, 1);

const STEP_1 = 'a red circle on a white background';
const STEP_2 = 'a green circle on a white background';
const STEP_3 = 'a green circle and a yellow star at the top left on a white background';

function job(prompt: string, seed: number, width = 256, height = 256): GenerationSpec {
  return { jobId: 'job_test', prompt, width, height, n: 1, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed };
}

function hook(spec: GenerationSpec): HookContext {
  return { job: spec, imageIndex: 0, seed: spec.seed, signal: new AbortController().signal, logger, watermarkPayload: new Uint8Array(8) };
}

async function generate(prompt: string, seed = SEED): Promise<TokenGrid> {
  return sceneTokenizer({ gridSize: SIZE }).tokenize(hook(job(prompt, seed)), undefined);
}

function randomGrid(seed: number): TokenGrid {
  const next = random(seed);
  return { rows: SIZE, cols: SIZE, codebookSize: CODEBOOK_SIZE, tokens: Int32Array.from({ length: SIZE * SIZE }, () => Math.floor(next() * CODEBOOK_SIZE)) };
}

const cells = (marks: Uint8Array) => marks.reduce<number[]>((list, mark, i) => (mark ? [...list, i] : list), []);
const count = (marks: Uint8Array) => marks.reduce((sum, mark) => sum + mark, 0);
const only = (tokens: Int32Array, token: number) => Uint8Array.from(tokens, (t) => (t === token ? 1 : 0));
const isSubset = (inner: Uint8Array, outer: Uint8Array) => cells(inner).every((i) => outer[i] === 1);

/** Cells the objects of `scene` at `indexes` cover, on their own. */
function footprint(scene: Scene, indexes: readonly number[]): Uint8Array {
  const objects = scene.objects.filter((_, i) => indexes.includes(i));
  return objectCoverage({ ...scene, objects }, { rows: SIZE, cols: SIZE, aspect: 1 });
}

function sceneOf(plan: EditPlan): Scene {
  return layoutScene(plan.scene.request, 0, plan.scene.placements);
}

describe('planEdit: generate, recolour, add', () => {
  it('should change only the circle when the red circle turns green, and turn it green', async () => {
    const source = await generate(STEP_1);
    const plan = planEdit({ source, prompt: STEP_2, seed: SEED, aspect: 1, sourcePrompt: STEP_1 });
    const circle = footprint(compilePrompt(STEP_1, SEED), [0]);

    expect(plan.reading).toBe('description');
    expect(isSubset(plan.changed, dilateCells(circle, SIZE, SIZE))).toBe(true);
    expect(plan.changedFraction).toBeGreaterThan(0.1);
    expect(plan.changedFraction).toBeLessThan(0.2);
    const far = dilateCells(circle, SIZE, SIZE, 2);
    for (let i = 0; i < SIZE * SIZE; i++) if (!far[i]) expect(plan.grid.tokens[i], `cell ${i}`).toBe(source.tokens[i]);

    // Every fully red cell is now fully green, in place, and no red is left.
    expect(only(plan.grid.tokens, GREEN)).toEqual(only(source.tokens, RED));
    expect(count(only(plan.grid.tokens, RED))).toBe(0);
    expect(plan.grid.tokens[32 * SIZE + 32]).toBe(GREEN);
    expect(plan.prompt).toBe(STEP_2);
  });

  it('should read "make the circle green" as the same edit', async () => {
    const source = await generate(STEP_1);
    const described = planEdit({ source, prompt: STEP_2, seed: SEED, aspect: 1, sourcePrompt: STEP_1 });
    const instructed = planEdit({ source, prompt: 'make the circle green', seed: SEED, aspect: 1, sourcePrompt: STEP_1 });
    expect(instructed.reading).toBe('instruction');
    expect(instructed.prompt).toBe(STEP_2);
    expect(Array.from(instructed.grid.tokens)).toEqual(Array.from(described.grid.tokens));
    expect(instructed.changed).toEqual(described.changed);
  });

  it('should add the star at the top left and leave the green circle as it was', async () => {
    const source = await generate(STEP_1);
    const green = planEdit({ source, prompt: 'make the circle green', seed: SEED, aspect: 1, sourcePrompt: STEP_1 });
    for (const prompt of [STEP_3, 'add a yellow star at the top left']) {
      const plan = planEdit({ source: green.grid, prompt, seed: SEED, aspect: 1, sourceScene: green.scene });
      expect(plan.prompt).toBe(STEP_3);
      const scene = sceneOf(plan);
      expect(scene.objects.map((o) => o.shape)).toEqual(['circle', 'star']);
      // The circle did not move although the prompt (and so the layout jitter) changed.
      expect(scene.objects[0]).toEqual(sceneOf(green).objects[0]);

      const star = dilateCells(footprint(scene, [1]), SIZE, SIZE);
      expect(isSubset(plan.changed, star)).toBe(true);
      for (let i = 0; i < SIZE * SIZE; i++) if (!star[i]) expect(plan.grid.tokens[i], `cell ${i}`).toBe(green.grid.tokens[i]);
      // Green circle cells stay green unless the star is drawn over them.
      for (const i of cells(only(green.grid.tokens, GREEN))) if (!star[i]) expect(plan.grid.tokens[i]).toBe(GREEN);
      const [, placed] = scene.objects;
      expect(placed?.x).toBeLessThan(0.35);
      expect(placed?.y).toBeLessThan(0.35);
      expect(plan.grid.tokens[Math.floor((placed?.y ?? 0) * SIZE) * SIZE + Math.floor((placed?.x ?? 0) * SIZE)]).toBe(YELLOW);
      expect(plan.changedFraction).toBeLessThan(0.12);
    }
  });

  it('should keep the circle within a cell or two when only the revised prompt of the edited source is known', async () => {
    const source = await generate(STEP_1);
    const green = planEdit({ source, prompt: 'make the circle green', seed: SEED, aspect: 1, sourcePrompt: STEP_1 });
    const exact = planEdit({ source: green.grid, prompt: STEP_3, seed: SEED, aspect: 1, sourceScene: green.scene });
    const approximate = planEdit({ source: green.grid, prompt: STEP_3, seed: SEED, aspect: 1, sourcePrompt: green.prompt });
    // Recompiling the revised prompt jitters the circle differently from where the first edit kept it,
    // so only the seam where the star meets the circle can differ.
    const differing = approximate.grid.tokens.reduce((n, t, i) => n + (t === exact.grid.tokens[i] ? 0 : 1), 0);
    expect(differing).toBeLessThan(0.005 * SIZE * SIZE);
    expect(isSubset(approximate.changed, dilateCells(footprint(sceneOf(approximate), [1]), SIZE, SIZE, 3))).toBe(true);
  });

  it('should give the scene back as plain JSON that plans the next edit the same way', async () => {
    const source = await generate(STEP_1);
    const green = planEdit({ source, prompt: 'make the circle green', seed: SEED, aspect: 1, sourcePrompt: STEP_1 });
    const stored = JSON.parse(JSON.stringify(green.scene)) as typeof green.scene;
    const a = planEdit({ source: green.grid, prompt: STEP_3, seed: SEED, aspect: 1, sourceScene: green.scene });
    const b = planEdit({ source: green.grid, prompt: STEP_3, seed: SEED, aspect: 1, sourceScene: stored });
    expect(Array.from(b.grid.tokens)).toEqual(Array.from(a.grid.tokens));
  });

  it('should change nothing when the prompt repeats the source', async () => {
    const source = await generate(STEP_1);
    const plan = planEdit({ source, prompt: STEP_1, seed: SEED, aspect: 1, sourcePrompt: STEP_1 });
    expect(plan.changedFraction).toBe(0);
    expect(Array.from(plan.grid.tokens)).toEqual(Array.from(source.tokens));
  });
});

describe('parseInstruction', () => {
  const revise = (prompt: string, sourcePrompt = STEP_1) =>
    planEdit({ source: rasterize(compilePrompt(sourcePrompt, SEED)), prompt, seed: SEED, aspect: 1, sourcePrompt }).prompt;

  it('should read a full description as no instruction', () => {
    expect(parseInstruction(STEP_3)).toBeUndefined();
    expect(parseInstruction('two cats under a pink sky')).toBeUndefined();
  });

  it.each([
    ['make the circle green', STEP_2],
    ['Please colour the circle green.', STEP_2],
    ['change the colour of the circle to green', STEP_2],
    ["change the circle's color to green", STEP_2],
    ['make the circle dark green', 'a dark green circle on a white background'],
    ['make the red circle darker', 'a dark red circle on a white background'],
    ['make it night', `${STEP_1}, night style`],
    ['make it look pastel', `${STEP_1}, pastel style`],
    ['pastel style', `${STEP_1}, pastel style`],
    ['make the background blue', 'a red circle on a blue background'],
    ['on a blue background', 'a red circle on a blue background'],
    ['make the sky pink', 'a red circle under a pink sky'],
    ['add a yellow star at the top left', 'a red circle and a yellow star at the top left on a white background'],
    ['remove the circle', 'on a white background'],
    ['get rid of the red circle', 'on a white background'],
    ['remove the background', 'a red circle'],
    ['move the circle to the right', 'a red circle at the right on a white background'],
    ['move the circle left', 'a red circle at the left on a white background'],
    ['replace the circle with a star', 'a red star on a white background'],
    ['turn the circle into a blue heart', 'a blue heart on a white background'],
    ['make the circle small', 'a small red circle on a white background'],
    ['make the circle bigger and add a cat at the bottom right', 'a huge red circle and a cat at the bottom right on a white background'],
  ])('should read "%s"', (prompt, revised) => {
    expect(parseInstruction(prompt)).toBeDefined();
    expect(revise(prompt)).toBe(revised);
  });

  it.each([
    ['the circle is now purple', 'a purple circle and a yellow star at the top left on a white background'],
    ['the background should be blue', 'a green circle and a yellow star at the top left on a blue background'],
    ['make the circle next to the star blue', 'a blue circle and a yellow star at the top left on a white background'],
    ['make the star red and the circle blue', 'a blue circle and a red star at the top left on a white background'],
    ['remove the star and the circle', 'on a white background'],
    ['swap the star for a moon', 'a green circle and a yellow moon at the top left on a white background'],
    ['now remove the circle, then make it night', 'a yellow star at the top left on a white background, night style'],
  ])('should read "%s" on a scene of two objects', (prompt, revised) => {
    expect(revise(prompt, STEP_3)).toBe(revised);
  });

  it('should leave a description with "is" in it a description', () => {
    expect(parseInstruction('a cat is sitting on a red box')).toBeUndefined();
  });

  it('should act on every object the target names, and only on those', () => {
    const source = 'a red circle on the left and a blue circle on the right and a green square';
    expect(revise('make the circles yellow', source)).toBe('a yellow circle at the left and a yellow circle at the right and a green square');
    expect(revise('make the circle on the right yellow', source)).toBe('a red circle at the left and a yellow circle at the right and a green square');
    expect(revise('remove the blue circle', source)).toBe('a red circle at the left and a green square');
  });

  it('should reject what it cannot read, or what the image lacks, saying what to write', () => {
    const source = rasterize(compilePrompt(STEP_1, SEED));
    const plan = (prompt: string, sourcePrompt: string | null = STEP_1) => () =>
      planEdit({ source, prompt, seed: SEED, aspect: 1, ...(sourcePrompt === null ? {} : { sourcePrompt }) });
    expect(plan('make the square green')).toThrow(EditRejection);
    expect(plan('make the square green')).toThrow(/names "square", but the image has none \(it shows: circle\)/);
    expect(plan('make the circle sing')).toThrow(expect.objectContaining({ code: 'edit_not_understood' }));
    expect(plan('make the circle green', null)).toThrow(expect.objectContaining({ code: 'edit_needs_scene' }));
    expect(() => planEdit({ source, prompt: STEP_2, seed: SEED, aspect: 1, sourcePrompt: 'make the circle green' })).toThrow(/sourcePrompt .* is an edit instruction/);
  });
});

describe('planEdit with a mask', () => {
  const prompts = [STEP_3, 'add a yellow star', 'a cat on a blue background', 'make it night', 'remove the circle'];
  const masks: [string, Uint8Array][] = [
    ['top-left quadrant', Uint8Array.from({ length: SIZE * SIZE }, (_, i) => (Math.floor(i / SIZE) < 32 && i % SIZE < 32 ? 1 : 0))],
    ['scattered cells', Uint8Array.from({ length: SIZE * SIZE }, (() => { const next = random(3); return () => (next() < 0.2 ? 1 : 0); })())],
    ['nothing', new Uint8Array(SIZE * SIZE)],
  ];

  for (const [name, mask] of masks) {
    it(`should never touch a cell outside the mask (${name})`, async () => {
      for (const source of [await generate(STEP_1), randomGrid(11)]) {
        for (const prompt of prompts) {
          if (prompt === 'remove the circle' && source.tokens[0] !== WHITE) continue; // the random grid has no known circle
          const plan = planEdit({ source, prompt, seed: SEED, aspect: 1, mask, ...(source.tokens[0] === WHITE ? { sourcePrompt: STEP_1 } : {}) });
          expect(plan.changed).toEqual(mask);
          for (let i = 0; i < SIZE * SIZE; i++) if (!mask[i]) expect(plan.grid.tokens[i], `${prompt}: cell ${i}`).toBe(source.tokens[i]);
        }
      }
    });
  }

  it('should fit a new object into the masked area of an upload', () => {
    const source = randomGrid(5);
    const [, quadrant] = masks[0] ?? [];
    if (!quadrant) throw new Error('no mask');
    const plan = planEdit({ source, prompt: 'a yellow star on a white background', seed: SEED, aspect: 1, mask: quadrant });
    const [star] = sceneOf(plan).objects;
    expect(star?.x).toBeCloseTo(0.25);
    expect(star?.y).toBeCloseTo(0.25);
    expect(plan.grid.tokens[16 * SIZE + 16]).toBe(YELLOW);
  });
});

describe('planEdit on an upload with no mask and no prompt of its own', () => {
  it('should regenerate the footprint of the new objects, dilated by a cell', () => {
    const source = randomGrid(9);
    const plan = planEdit({ source, prompt: 'a yellow star at the top left', seed: SEED, aspect: 1 });
    const expected = dilateCells(objectCoverage(sceneOf(plan), { rows: SIZE, cols: SIZE }), SIZE, SIZE);
    expect(plan.changed).toEqual(expected);
    for (let i = 0; i < SIZE * SIZE; i++) if (!expected[i]) expect(plan.grid.tokens[i]).toBe(source.tokens[i]);
  });

  it('should restyle the cells it keeps when the prompt sets a style, and replace everything for a background', () => {
    const source = randomGrid(9);
    const pastel = planEdit({ source, prompt: 'a yellow star, pastel style', seed: SEED, aspect: 1 });
    expect(pastel.changedFraction).toBe(1);
    const drawn = dilateCells(objectCoverage(sceneOf(pastel), { rows: SIZE, cols: SIZE }), SIZE, SIZE);
    let kept = 0;
    for (let i = 0; i < SIZE * SIZE; i++) {
      if (drawn[i]) continue;
      kept++;
      // The source's colour through the pastel palette, back to the nearest token.
      expect(pastel.grid.tokens[i]).toBe(nearestToken(...pastelOf(tokenColour(source.tokens[i] ?? -1))));
    }
    expect(kept).toBeGreaterThan(SIZE * SIZE * 0.8);
    expect(count(Uint8Array.from(pastel.grid.tokens, (t, i) => (t === source.tokens[i] ? 0 : 1)))).toBeGreaterThan(SIZE * SIZE * 0.8);

    const blue = planEdit({ source, prompt: 'a cat on a blue background', seed: SEED, aspect: 1 });
    expect(blue.changedFraction).toBe(1);
    expect(Array.from(blue.grid.tokens)).toEqual(Array.from(rasterize(compilePrompt(blue.prompt, SEED)).tokens));
  });
});

describe('maskFromAlpha', () => {
  it('should mark the cells with any fully transparent pixel', () => {
    const alpha = new Uint8Array(256 * 256).fill(255);
    for (let y = 40; y < 100; y++) for (let x = 130; x < 200; x++) alpha[y * 256 + x] = 0;
    alpha[255 * 256 + 3] = 0; // one stray pixel: its cell counts
    alpha[0] = 1; // almost, but not fully, transparent: does not
    const mask = maskFromAlpha(alpha, 256, 256, 64, 64);
    const expected = new Uint8Array(64 * 64);
    for (let r = 10; r < 25; r++) for (let c = 32; c < 50; c++) expected[r * 64 + c] = 1;
    expected[63 * 64 + 0] = 1;
    expect(mask).toEqual(expected);
  });

  it('should map any image size onto the grid', () => {
    const [width, height] = [100, 70];
    const next = random(1);
    const alpha = Uint8Array.from({ length: width * height }, () => (next() < 0.01 ? 0 : 255));
    const mask = maskFromAlpha(alpha, width, height, 64, 64);
    const expected = new Uint8Array(64 * 64);
    alpha.forEach((a, i) => {
      if (a === 0) expected[Math.floor((Math.floor(i / width) * 64) / height) * 64 + Math.floor(((i % width) * 64) / width)] = 1;
    });
    expect(mask).toEqual(expected);
    expect(() => maskFromAlpha(alpha, width, height + 1, 64, 64)).toThrow(RangeError);
  });
});

describe('describeRequest', () => {
  it('should write a request back as a prompt that parses to the same request', () => {
    for (const prompt of [
      STEP_3,
      'three pastel stars above a house',
      'a cat on green grass under a blue sky',
      'two fluffy dragons and a tiny sky blue cat at the bottom right',
      'a neon pink star',
      'a dark scene with a light green moon on the sand',
      'five large boxes on the left by the sea, monochrome',
      'unicorn',
    ]) {
      expect(parsePrompt(describeRequest(parsePrompt(prompt))), prompt).toEqual(parsePrompt(prompt));
    }
  });
});

describe('pixels of an edit, with the real decoder', () => {
  const runtime = new OnnxRuntime();
  const decoder = progressiveDecoder();

  beforeAll(async () => {
    await decoder.setup?.({ logger, runtime });
  });

  afterAll(async () => {
    await decoder.dispose?.();
    await runtime.dispose();
  });

  async function decode(grid: TokenGrid): Promise<RawImage> {
    const ctx: PassContext = { ...hook(job('', 0)), grid, pass: PASSES, passes: PASSES };
    return decoder.decodePass(ctx, undefined);
  }

  /** Whether any pixel of cell `i` differs (256 px over 64 cells: 4x4 pixels each). */
  function cellDiffers(a: RawImage, b: RawImage, i: number): boolean {
    const [row, col] = [Math.floor(i / SIZE), i % SIZE];
    for (let y = row * 4; y < row * 4 + 4; y++) {
      for (let x = col * 4 * 3; x < (col * 4 + 4) * 3; x++) if (a.data[y * a.width * 3 + x] !== b.data[y * b.width * 3 + x]) return true;
    }
    return false;
  }

  it('should leave every pixel further than a cell from a changed cell byte-identical, and change the changed ones', async () => {
    const source = await generate(STEP_1);
    const green = planEdit({ source, prompt: 'make the circle green', seed: SEED, aspect: 1, sourcePrompt: STEP_1 });
    const star = planEdit({ source: green.grid, prompt: 'add a yellow star at the top left', seed: SEED, aspect: 1, sourceScene: green.scene });
    const masked = planEdit({ source, prompt: 'a cat', seed: SEED, aspect: 1, mask: Uint8Array.from({ length: SIZE * SIZE }, (_, i) => (i % SIZE >= 40 ? 1 : 0)) });
    for (const [before, plan] of [[source, green], [green.grid, star], [source, masked]] as const) {
      const [a, b] = await Promise.all([decode(before), decode(plan.grid)]);
      const near = dilateCells(plan.changed, SIZE, SIZE);
      let differing = 0;
      for (let i = 0; i < SIZE * SIZE; i++) {
        if (!near[i]) expect(cellDiffers(a, b, i), `cell ${i}`).toBe(false);
        if (plan.grid.tokens[i] !== before.tokens[i]) {
          expect(cellDiffers(a, b, i), `cell ${i}`).toBe(true);
          differing++;
        }
      }
      expect(differing).toBeGreaterThan(20);
    }
  });
});
