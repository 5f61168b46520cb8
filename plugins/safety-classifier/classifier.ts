import sharp from 'sharp';
import type { RawImage } from '../sdk/index.js';
import { TurnQueue } from '../sdk/turn-queue.js';
import { WorkerThread } from '../sdk/worker-thread.js';
// Only the protocol, never nsfw-model.ts: tfjs must stay out of the host's thread.
import { NSFW_INPUT_SIZE, type ClassifierReply, type ClassifierRequest, type NsfwClass, type TfBackend } from './protocol.js';

/** How strongly an image belongs to one content category, from 0 to 1. */
export interface CategoryScore {
  readonly category: string;
  readonly score: number;
}

/**
 * What the output-classifier stage asks of a classifier. Categories are
 * Lumen's (`sexual`, `sexual/suggestive`, …); the stage thresholds the ones its
 * options name and treats any other as harmless.
 */
export interface ImageClassifier {
  /**
   * Scores one image. Rejects with the signal's reason if `signal` aborts first.
   * A `lowPriority` call lets the others waiting go first (`GenerationSpec.lowPriority`).
   */
  classify(image: RawImage, signal?: AbortSignal, options?: ClassifyOptions): Promise<readonly CategoryScore[]>;
  dispose?(): Promise<void> | void;
}

export interface ClassifyOptions {
  readonly lowPriority?: boolean;
}

/** The Lumen category each nsfwjs class counts towards. */
export const NSFW_CATEGORIES = {
  Porn: 'sexual',
  Hentai: 'sexual',
  Sexy: 'sexual/suggestive',
  Neutral: 'neutral',
  Drawing: 'drawing',
} as const satisfies Record<NsfwClass, string>;

/** The categories the nsfwjs classifier reports. */
export const NSFW_CATEGORY_NAMES: readonly string[] = [...new Set(Object.values(NSFW_CATEGORIES))];

/**
 * Turns nsfwjs class probabilities into Lumen category scores. Classes that
 * share a category add up (a softmax output, so the sum is the probability of
 * the category), and the scores stay a distribution.
 */
export function toCategoryScores(probabilities: Readonly<Record<NsfwClass, number>>): CategoryScore[] {
  const scores = new Map<string, number>();
  for (const [name, category] of Object.entries(NSFW_CATEGORIES)) {
    scores.set(category, (scores.get(category) ?? 0) + probabilities[name as NsfwClass]);
  }
  return [...scores].map(([category, score]) => ({ category, score }));
}

/**
 * Squashes an image to the model's square RGB input (as nsfwjs does) with
 * sharp, which resizes off the event loop.
 */
async function toModelInput(image: RawImage): Promise<Uint8Array> {
  const { width, height, channels, data } = image;
  if (data.length !== width * height * channels) {
    throw new RangeError(`image data has ${data.length} bytes, expected ${width}×${height}×${channels} = ${width * height * channels}`);
  }
  return sharp(data, { raw: { width, height, channels } })
    .removeAlpha()
    .resize(NSFW_INPUT_SIZE, NSFW_INPUT_SIZE, { fit: 'fill' })
    .raw()
    .toBuffer();
}

export interface NsfwClassifierOptions {
  /** The tfjs backend of the worker. Default `wasm`, about ten times faster than `cpu`. */
  backend?: TfBackend;
  /** Told why the worker died; a fresh one loads the model and takes over the checks in flight. */
  onWorkerCrash?: (reason: Error) => void;
}

/** What a classifier has done since it started. */
export interface ClassifierStats {
  readonly classifyCalls: number;
  /** Milliseconds the worker spent inside the model, excluding resizing and messaging. */
  readonly inferenceMilliseconds: number;
  /** How long the current worker took to load and warm up the model. */
  readonly loadMilliseconds: number;
  /** Workers started to replace one that died. */
  readonly workerRestarts: number;
  /** Checks resized and waiting for the worker, behind the one it is running. */
  readonly waitingChecks: number;
}

/**
 * The nsfwjs MobileNetV2 (bundled inside the npm package, so loading it never
 * touches the network) running in a worker thread this object owns. Resizing
 * happens in sharp and inference in the worker, so `classify` holds the
 * caller's event loop for well under a millisecond.
 *
 * The worker answers one check at a time. They are sent to it one at a time
 * too, a low-priority job's after any other job's that waits, so a paid job's
 * check waits for at most the one running: each takes about 100 ms, and a
 * worker's jobs all queue here at every pass.
 *
 * The worker keeps the process alive only while it is loading or answering;
 * call `dispose` to end it. A worker that dies is replaced, and the checks it
 * was running are retried once on the new one.
 */
export class NsfwClassifier implements ImageClassifier {
  readonly backend: TfBackend;
  readonly #worker: WorkerThread<ClassifierRequest, ClassifierReply>;
  readonly #turns = new TurnQueue();
  #classifyCalls = 0;
  #inferenceMs = 0;
  #loadMs = 0;

  constructor({ backend = 'wasm', onWorkerCrash }: NsfwClassifierOptions = {}) {
    this.backend = backend;
    this.#worker = new WorkerThread({
      name: 'classifier worker',
      module: new URL('./classifier-worker.ts', import.meta.url),
      onStart: async (send) => {
        const reply = await send({ type: 'load', backend }).catch((error: unknown) => {
          throw new Error(`the nsfwjs model did not load on the ${backend} backend: ${error instanceof Error ? error.message : String(error)}`);
        });
        if (reply.type !== 'loaded') throw new Error(`unexpected reply ${reply.type} loading the nsfwjs model`);
        this.#loadMs = reply.loadMs;
      },
      ...(onWorkerCrash && { onCrash: onWorkerCrash }),
    });
  }

  /** Starts a classifier and waits until its model is ready. */
  static async load(options: NsfwClassifierOptions = {}): Promise<NsfwClassifier> {
    const classifier = new NsfwClassifier(options);
    try {
      await classifier.#worker.start();
    } catch (error) {
      await classifier.dispose();
      throw error;
    }
    return classifier;
  }

  get stats(): ClassifierStats {
    return { classifyCalls: this.#classifyCalls, inferenceMilliseconds: this.#inferenceMs, loadMilliseconds: this.#loadMs, workerRestarts: this.#worker.restarts, waitingChecks: this.#turns.waiting };
  }

  async classify(image: RawImage, signal?: AbortSignal, { lowPriority = false }: ClassifyOptions = {}): Promise<CategoryScore[]> {
    signal?.throwIfAborted();
    const pixels = await toModelInput(image);
    const reply = await this.#turns.run(() => this.#worker.call({ type: 'classify', pixels }, signal && { signal }), { lowPriority, ...(signal && { signal }) });
    if (reply.type !== 'classified') throw new Error(`unexpected reply ${reply.type} from the classifier worker`);
    this.#classifyCalls++;
    this.#inferenceMs += reply.inferenceMs;
    return toCategoryScores(reply.probabilities);
  }

  /**
   * Replaces the worker as a crash would: a fresh one loads the model and
   * takes over the checks in flight. For a watchdog that finds it stuck.
   */
  restartWorker(): Promise<void> {
    return this.#worker.restart();
  }

  /** Ends the worker. Safe to call twice; calls still waiting reject. */
  dispose(): Promise<void> {
    return this.#worker.dispose();
  }
}
