import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxRuntime } from '../../origin-gpu/runtime/onnx-runtime.js';
import progressiveDecoder from '../../plugins/decode-progressive/index.js';
import outputClassifier, {
  DEFAULT_THRESHOLDS,
  NSFW_CATEGORY_NAMES,
  NsfwClassifier,
  toCategoryScores,
  type CategoryScore,
  type ImageClassifier,
} from '../../plugins/safety-classifier/index.js';
import { NSFW_CLASSES, NSFW_INPUT_SIZE, type NsfwClass } from '../../plugins/safety-classifier/protocol.js';
import { describeStageContract } from '../../plugins/sdk/testing/index.js';
import type { GenerationSpec, HookContext, Logger, PassContext, RawImage, SafetyVerdict } from '../../plugins/sdk/index.js';
import sceneTokenizer from '../../plugins/tokenize-scene/index.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const PASSES = 4;

function job(overrides: Partial<GenerationSpec> = {}): GenerationSpec {
  return { jobId: 'job_test', prompt: 'a red circle on a blue background', width: 256, height: 256, n: 1, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed: 7, ...overrides };
}

function passContext(pass: number, spec = job(), signal = new AbortController().signal): PassContext {
  return {
    job: spec,
    imageIndex: 0,
    seed: spec.seed,
    signal,
    logger: silent,
    watermarkPayload: new Uint8Array(8),
    grid: { rows: 1, cols: 1, codebookSize: 1, tokens: new Int32Array(1) },
    pass,
    passes: PASSES,
  };
}

function flatImage(width: number, height: number, rgb: readonly [number, number, number], channels: 3 | 4 = 3): RawImage {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < width * height; i++) {
    data.set(rgb, i * channels);
    if (channels === 4) data[i * channels + 3] = 255;
  }
  return { width, height, channels, data };
}

/** A classifier that answers fixed scores and counts its calls: for the stage's own logic, not the model's. */
function fixedClassifier(scores: Record<string, number>): ImageClassifier & { calls: number } {
  return {
    calls: 0,
    async classify() {
      this.calls++;
      return Object.entries(scores).map(([category, score]) => ({ category, score }));
    },
  };
}

async function check(scores: Record<string, number>, options: Parameters<typeof outputClassifier>[0] = {}, spec = job(), pass = PASSES): Promise<SafetyVerdict> {
  const stage = outputClassifier({ ...options, classifier: fixedClassifier(scores) });
  await stage.setup?.({ logger: silent, runtime: { load: () => Promise.reject(new Error('no models here')) } });
  const verdict = await stage.checkPass!(passContext(pass, spec), flatImage(8, 8, [0, 0, 0]));
  await stage.dispose?.();
  return verdict;
}

const sumOf = (scores: readonly CategoryScore[]) => scores.reduce((sum, { score }) => sum + score, 0);
const top = (scores: readonly CategoryScore[]) => [...scores].sort((a, b) => b.score - a.score)[0]?.category;

describe('lumen/output-classifier verdicts', () => {
  it('should block a category at or above its threshold, naming it with its score', async () => {
    const verdict = await check({ sexual: 0.91, 'sexual/suggestive': 0.05, neutral: 0.04 });
    expect(verdict).toMatchObject({ allowed: false, category: 'sexual', score: 0.91 });
    if (!verdict.allowed) expect(verdict.reason).toContain('"sexual" (score 0.91; images from 0.85 are blocked)');
    expect(await check({ sexual: DEFAULT_THRESHOLDS.sexual ?? NaN })).toMatchObject({ allowed: false, category: 'sexual' });
  });

  it('should allow scores below every threshold and report the highest harmful score', async () => {
    expect(await check({ sexual: 0.84, 'sexual/suggestive': 0.12, neutral: 0.04 })).toEqual({ allowed: true, score: 0.84 });
    // neutral and drawing have no threshold, so they neither block nor count as harmful.
    expect(await check({ sexual: 0.01, neutral: 0.99 })).toEqual({ allowed: true, score: 0.01 });
  });

  it('should block on the highest-scoring category when several cross their thresholds', async () => {
    const verdict = await check({ sexual: 0.9, violence: 0.97 }, { thresholds: { violence: 0.5 }, relaxable: [] });
    expect(verdict).toMatchObject({ allowed: false, category: 'violence', score: 0.97 });
  });

  it('should relax only relaxable categories under moderation "low"', async () => {
    const suggestive = { 'sexual/suggestive': 0.95, neutral: 0.05 };
    const blocked = await check(suggestive);
    expect(blocked).toMatchObject({ allowed: false, category: 'sexual/suggestive' });
    if (!blocked.allowed) expect(blocked.reason).toContain('moderation "low"');
    expect(await check(suggestive, {}, job({ moderation: 'low' }))).toEqual({ allowed: true, score: 0.95 });
    expect(await check({ sexual: 0.95 }, {}, job({ moderation: 'low' }))).toMatchObject({ allowed: false, category: 'sexual' });
    // Configurable: with nothing relaxable, "low" changes nothing.
    expect(await check(suggestive, { relaxable: [] }, job({ moderation: 'low' }))).toMatchObject({ allowed: false, category: 'sexual/suggestive' });
  });

  it('should take thresholds from the options, null switching a category off', async () => {
    expect(await check({ sexual: 0.6 }, { thresholds: { sexual: 0.5 } })).toMatchObject({ allowed: false, category: 'sexual' });
    expect(await check({ 'sexual/suggestive': 0.99 }, { thresholds: { 'sexual/suggestive': null }, relaxable: [] })).toEqual({ allowed: true, score: 0 });
  });

  it('should check from fromPass on, and always the last pass', async () => {
    const scores = { sexual: 0.99 };
    const classifier = fixedClassifier(scores);
    const stage = outputClassifier({ fromPass: 3, classifier });
    const verdicts = [];
    for (let pass = 1; pass <= PASSES; pass++) verdicts.push(await stage.checkPass!(passContext(pass), flatImage(8, 8, [0, 0, 0])));
    expect(verdicts.map((verdict) => verdict.allowed)).toEqual([true, true, false, false]);
    expect(classifier.calls).toBe(2);
    const late = fixedClassifier(scores);
    const beyond = outputClassifier({ fromPass: 99, classifier: late });
    expect(await beyond.checkPass!(passContext(PASSES), flatImage(8, 8, [0, 0, 0]))).toMatchObject({ allowed: false });
    expect(late.calls).toBe(1);
  });

  it('should fail the job rather than allow when a classifier returns a score that is not a probability', async () => {
    await expect(check({ sexual: Number.NaN })).rejects.toThrow('scores must be between 0 and 1');
    await expect(check({ sexual: 1.5 })).rejects.toThrow('scores must be between 0 and 1');
  });

  it('should say so when checkPass runs before setup', async () => {
    await expect(outputClassifier().checkPass!(passContext(1), flatImage(8, 8, [0, 0, 0]))).rejects.toThrow('before setup()');
  });

  it.each([
    [{ thresholds: { sexual: 1.5 } }, 'thresholds.sexual'],
    [{ thresholds: { 'sexual/suggest': 0.5 } }, 'the default classifier has no category "sexual/suggest"'],
    [{ relaxable: ['violence'] }, 'relaxable names "violence", which has no threshold'],
    [{ fromPass: 0 }, 'fromPass'],
    [{ backend: 'webgl' }, 'backend'],
    [{ treshold: 0.5 }, 'treshold'],
  ])('should refuse the options %j', (options, message) => {
    expect(() => outputClassifier(options as never)).toThrow(message);
  });

  it('should map nsfwjs classes onto Lumen categories, summing classes that share one', () => {
    const scores = toCategoryScores({ Porn: 0.3, Hentai: 0.25, Sexy: 0.2, Neutral: 0.15, Drawing: 0.1 });
    expect(Object.fromEntries(scores.map(({ category, score }) => [category, score]))).toEqual({
      sexual: 0.55,
      'sexual/suggestive': 0.2,
      neutral: 0.15,
      drawing: 0.1,
    });
    expect(NSFW_CATEGORY_NAMES).toEqual(['sexual', 'sexual/suggestive', 'neutral', 'drawing']);
  });
});

/**
 * Loads `nsfw-model.ts` (the module the classifier's worker runs) in a worker
 * thread of its own whose `fetch` and network sockets throw, and classifies
 * `pixels` there. A thread has its own globals, so stubs in this one would not
 * reach it. Local pipes stay open: tsx talks to its parent through one.
 */
async function classifyOffline(pixels: Uint8Array): Promise<{ attempts: string[]; probabilities?: Record<NsfwClass, number>; error?: string }> {
  const model = new URL('../../plugins/safety-classifier/nsfw-model.ts', import.meta.url).href;
  const probe = `
    const { Socket } = require('node:net');
    const { parentPort, workerData } = require('node:worker_threads');
    const attempts = [];
    globalThis.fetch = (input) => { attempts.push('fetch ' + String(input)); throw new Error('offline'); };
    const connect = Socket.prototype.connect;
    Socket.prototype.connect = function (...args) {
      const target = Array.isArray(args[0]) ? args[0][0] : args[0];
      if (typeof target === 'string' || (target && typeof target.path === 'string')) return connect.apply(this, args);
      attempts.push('connect ' + JSON.stringify(target));
      throw new Error('offline');
    };
    import('tsx/esm/api')
      .then(async (tsx) => {
        tsx.register();
        const { loadNsfwModel } = await import(${JSON.stringify(model)});
        const model = await loadNsfwModel('wasm');
        parentPort.postMessage({ attempts, probabilities: await model.classify(workerData) });
      })
      .catch((error) => parentPort.postMessage({ attempts, error: String((error && error.stack) || error) }));`;
  const worker = new Worker(probe, { eval: true, workerData: pixels });
  try {
    const [answer] = await once(worker, 'message');
    return answer;
  } finally {
    await worker.terminate();
  }
}

describe('the nsfwjs MobileNetV2 (real model)', () => {
  const pixels = Uint8Array.from({ length: NSFW_INPUT_SIZE * NSFW_INPUT_SIZE * 3 }, (_, i) => (i * 7) % 256);
  const spec = job();
  const runtime = new OnnxRuntime();
  const decoder = progressiveDecoder();
  const rendered: RawImage[] = [];
  let classifier: NsfwClassifier;
  let offline: Awaited<ReturnType<typeof classifyOffline>>;

  beforeAll(async () => {
    const render = async () => {
      await decoder.setup?.({ logger: silent, runtime });
      const hook: HookContext = { job: spec, imageIndex: 0, seed: spec.seed, signal: new AbortController().signal, logger: silent, watermarkPayload: new Uint8Array(8) };
      const grid = await sceneTokenizer().tokenize(hook, undefined);
      for (let pass = 1; pass <= PASSES; pass++) rendered.push(await decoder.decodePass({ ...hook, grid, pass, passes: PASSES }, rendered.at(-1)));
    };
    [classifier, offline] = await Promise.all([NsfwClassifier.load(), classifyOffline(pixels), render()]);
  });

  afterAll(async () => {
    await classifier?.dispose();
    await decoder.dispose?.();
    await runtime.dispose();
  });

  it('should load from the nsfwjs package and classify without touching the network', () => {
    expect(offline.error).toBeUndefined();
    expect(offline.attempts).toEqual([]);
    expect(Object.keys(offline.probabilities ?? {}).sort()).toEqual([...NSFW_CLASSES].sort());
  });

  it("should run that same model in the classifier's worker: equal probabilities for equal pixels", async () => {
    // The worker's input comes through sharp, which leaves an image already at the model's size unchanged.
    const scores = await classifier.classify({ width: NSFW_INPUT_SIZE, height: NSFW_INPUT_SIZE, channels: 3, data: pixels });
    if (!offline.probabilities) throw new Error(`the offline load failed: ${offline.error}`);
    const expected = toCategoryScores(offline.probabilities);
    expect(scores.map(({ category }) => category)).toEqual(expected.map(({ category }) => category));
    for (const [i, { score }] of scores.entries()) expect(score).toBeCloseTo(expected[i]?.score ?? NaN, 5);
  });

  it('should classify a rendered red circle as harmless at every pass', async () => {
    expect(rendered).toHaveLength(PASSES);
    for (const image of rendered) {
      const scores = await classifier.classify(image);
      expect(scores.map(({ category }) => category)).toEqual(NSFW_CATEGORY_NAMES);
      for (const { score } of scores) expect(score >= 0 && score <= 1).toBe(true);
      expect(sumOf(scores)).toBeCloseTo(1, 4);
      expect(['neutral', 'drawing']).toContain(top(scores));
    }
  });

  it('should let every rendered pass through the stage with the default thresholds', async () => {
    const stage = outputClassifier({ classifier });
    for (const [i, image] of rendered.entries()) {
      const verdict = await stage.checkPass!(passContext(i + 1, spec), image);
      expect(verdict.allowed, `pass ${i + 1}`).toBe(true);
      expect(verdict.score).toBeGreaterThanOrEqual(0);
      expect(verdict.score).toBeLessThan(DEFAULT_THRESHOLDS.sexual ?? 0);
    }
  });

  it('should give scores that depend on the image, RGBA and any size included', async () => {
    const [sky, skin] = await Promise.all([
      classifier.classify(flatImage(300, 200, [90, 150, 230])),
      classifier.classify(flatImage(64, 64, [224, 172, 140], 4)),
    ]);
    for (const scores of [sky, skin]) expect(sumOf(scores)).toBeCloseTo(1, 4);
    expect(sky).not.toEqual(skin);
  });

  it('should keep the event loop free while the model runs', async () => {
    const image = flatImage(512, 512, [30, 120, 60]);
    const before = classifier.stats;
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    await Promise.all([1, 2, 3, 4].map(() => classifier.classify(image)));
    delay.disable();
    const after = classifier.stats;
    const perRunMs = (after.inferenceMilliseconds - before.inferenceMilliseconds) / (after.classifyCalls - before.classifyCalls);
    // Had a model run happened on this thread, the loop would have stalled for at least that long.
    expect(perRunMs).toBeGreaterThan(20);
    expect(delay.max / 1e6).toBeLessThan(perRunMs);
  });

  it('should send a low-priority check after the others waiting, whatever their order of arrival', async () => {
    const image = flatImage(64, 64, [40, 90, 200]);
    const finished: string[] = [];
    const check = (name: string, lowPriority: boolean) => classifier.classify(image, undefined, { lowPriority }).then(() => void finished.push(name));
    const lows = ['low 1', 'low 2', 'low 3'].map((name) => check(name, true));
    // One low-priority check runs, two wait; then a normal one arrives.
    while (classifier.stats.waitingChecks < 2) await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([...lows, check('normal', false)]);
    // In arrival order it would finish last. It goes next instead (second to finish), or third if the running check
    // ended before it arrived and a waiting one took the worker.
    expect(finished.indexOf('normal')).toBeLessThanOrEqual(2);
    expect(finished).toHaveLength(4);
  });

  it('should reject at once when its signal aborts', async () => {
    const controller = new AbortController();
    const pending = classifier.classify(flatImage(64, 64, [1, 2, 3]), controller.signal);
    controller.abort(new Error('job cancelled'));
    await expect(pending).rejects.toThrow('job cancelled');
    // The classifier is still usable afterwards.
    expect(await classifier.classify(flatImage(64, 64, [1, 2, 3]))).toHaveLength(NSFW_CATEGORY_NAMES.length);
  });

  it('should reject calls in flight and after dispose, and dispose twice safely', async () => {
    const other = await NsfwClassifier.load();
    const inFlight = expect(other.classify(flatImage(64, 64, [1, 2, 3]))).rejects.toThrow('disposed');
    await other.dispose();
    await inFlight;
    await expect(other.classify(flatImage(64, 64, [1, 2, 3]))).rejects.toThrow('disposed');
    await other.dispose();
  });

  it('should replace a worker that dies under a check, and finish that check on the new one', async () => {
    const image = flatImage(64, 64, [1, 2, 3]);
    const expected = await classifier.classify(image);
    const inFlight = classifier.classify(image);
    await new Promise((resolve) => setTimeout(resolve, 10)); // sharp has resized it and the worker is running the model
    await classifier.restartWorker();
    const scores = await inFlight;
    scores.forEach(({ score }, i) => expect(score).toBeCloseTo(expected[i]?.score ?? NaN, 5));
    expect(classifier.stats.workerRestarts).toBe(1);
    expect(await classifier.classify(image)).toHaveLength(NSFW_CATEGORY_NAMES.length);
  });

  it('should not keep the process alive once idle, even without dispose', async () => {
    const entry = new URL('../../plugins/safety-classifier/index.ts', import.meta.url).href;
    const script = `
      const { NsfwClassifier } = await import(${JSON.stringify(entry)});
      const classifier = await NsfwClassifier.load();
      const scores = await classifier.classify({ width: 32, height: 32, channels: 3, data: new Uint8Array(32 * 32 * 3) });
      console.log(scores.length);`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe(String(NSFW_CATEGORY_NAMES.length));
  });
});

// The default stage, with its own worker, through the contract every stage passes.
describeStageContract('lumen/output-classifier', () => outputClassifier());
