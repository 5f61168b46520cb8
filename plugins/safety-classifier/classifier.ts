import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import type { RawImage } from '../sdk/index.js';
// Only the protocol, never nsfw-model.ts: tfjs must stay out of the host's thread.
import { NSFW_INPUT_SIZE, type ClassifierReply, type ClassifierRequest, type NsfwClass, type TfBackend, type WorkerInit } from './protocol.js';
import type { MortalClassifier } from './self-healing.js';

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
  /** Scores one image. Rejects with the signal's reason if `signal` aborts first. */
  classify(image: RawImage, signal?: AbortSignal): Promise<readonly CategoryScore[]>;
  dispose?(): Promise<void> | void;
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
 * sharp, which resizes off the event loop. The result owns its whole buffer,
 * so it can be transferred to the worker.
 */
async function toModelInput(image: RawImage): Promise<Uint8Array<ArrayBuffer>> {
  const { width, height, channels, data } = image;
  if (data.length !== width * height * channels) {
    throw new RangeError(`image data has ${data.length} bytes, expected ${width}×${height}×${channels} = ${width * height * channels}`);
  }
  const resized = await sharp(data, { raw: { width, height, channels } })
    .removeAlpha()
    .resize(NSFW_INPUT_SIZE, NSFW_INPUT_SIZE, { fit: 'fill' })
    .raw()
    .toBuffer();
  const { buffer, byteOffset, byteLength } = resized;
  return buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength ? new Uint8Array(buffer) : new Uint8Array(resized);
}

export interface NsfwClassifierOptions {
  /** The tfjs backend of the worker. Default `wasm`, about ten times faster than `cpu`. */
  backend?: TfBackend;
}

/** What a classifier has done since it started. */
export interface ClassifierStats {
  readonly classifyCalls: number;
  /** Milliseconds the worker spent inside the model, excluding resizing and messaging. */
  readonly inferenceMilliseconds: number;
}

type Classified = Extract<ClassifierReply, { type: 'classified' }>;
type Pending = { resolve: (reply: Classified) => void; reject: (error: unknown) => void };

/**
 * The nsfwjs MobileNetV2 (bundled inside the npm package, so loading it never
 * touches the network) running in a worker thread this object owns. Resizing
 * happens in sharp and inference in the worker, so `classify` holds the
 * caller's event loop for well under a millisecond.
 *
 * The worker keeps the process alive only while it is loading or answering;
 * call `dispose` to end it.
 */
export class NsfwClassifier implements MortalClassifier {
  readonly backend: TfBackend;
  /** Settles once the model is loaded and warmed up; rejects if it cannot load. */
  readonly ready: Promise<{ loadMs: number }>;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #settleReady: { resolve: (value: { loadMs: number }) => void; reject: (error: Error) => void } | undefined;
  #closed: Error | undefined;
  #nextId = 1;
  /** Loads and requests in flight: the worker holds the process open only while this is above 0. */
  #holds = 0;
  #classifyCalls = 0;
  #inferenceMs = 0;

  constructor({ backend = 'wasm' }: NsfwClassifierOptions = {}) {
    this.backend = backend;
    this.ready = new Promise((resolve, reject) => (this.#settleReady = { resolve, reject }));
    this.ready.catch(() => undefined); // the rejection reaches whoever awaits `ready` or calls `classify`
    const workerUrl = new URL('./classifier-worker.ts', import.meta.url).href;
    // As in origin-gpu's runtime: Node 20 does not apply `--import tsx` to a
    // worker's entry module, so a one-line bootstrap registers tsx first.
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl)}); });`;
    const workerData: WorkerInit = { backend };
    this.#worker = new Worker(bootstrap, { eval: true, workerData });
    this.#hold();
    this.#worker.on('message', (reply: ClassifierReply) => this.#receive(reply));
    this.#worker.on('error', (error) => this.#close(error));
    this.#worker.on('exit', (code) => this.#close(new Error(`the classifier worker exited with code ${code}`)));
  }

  /** Starts a classifier and waits until its model is ready. */
  static async load(options: NsfwClassifierOptions = {}): Promise<NsfwClassifier> {
    const classifier = new NsfwClassifier(options);
    try {
      await classifier.ready;
    } catch (error) {
      await classifier.dispose();
      throw error;
    }
    return classifier;
  }

  /** Why the worker ended (it crashed, exited, failed to load or was disposed); undefined while it is alive. */
  get failure(): Error | undefined {
    return this.#closed;
  }

  get stats(): ClassifierStats {
    return { classifyCalls: this.#classifyCalls, inferenceMilliseconds: this.#inferenceMs };
  }

  async classify(image: RawImage, signal?: AbortSignal): Promise<CategoryScore[]> {
    signal?.throwIfAborted();
    await this.ready;
    const pixels = await toModelInput(image);
    signal?.throwIfAborted();
    const reply = await this.#request(pixels, signal);
    this.#classifyCalls++;
    this.#inferenceMs += reply.inferenceMs;
    return toCategoryScores(reply.probabilities);
  }

  /** Ends the worker. Safe to call twice; calls still waiting reject. */
  async dispose(): Promise<void> {
    if (this.#closed) return;
    this.#close(new Error('the classifier was disposed'));
    await this.#worker.terminate();
  }

  #request(pixels: Uint8Array<ArrayBuffer>, signal: AbortSignal | undefined): Promise<Classified> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    return new Promise<Classified>((resolve, reject) => {
      const onAbort = () => {
        // The worker still answers; the answer finds no one waiting and is dropped.
        if (this.#forget(id)) reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#hold();
      this.#pending.set(id, {
        resolve: (reply) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(reply);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      const request: ClassifierRequest = { id, type: 'classify', pixels };
      this.#worker.postMessage(request, [pixels.buffer]);
    });
  }

  #receive(reply: ClassifierReply): void {
    switch (reply.type) {
      case 'ready':
        this.#settleReady?.resolve({ loadMs: reply.loadMs });
        this.#release();
        return;
      case 'failed':
        this.#close(new Error(`the nsfwjs model did not load on the ${this.backend} backend: ${reply.message}`));
        void this.#worker.terminate();
        return;
      case 'classified':
      case 'error': {
        const pending = this.#pending.get(reply.id);
        if (!pending) return;
        this.#forget(reply.id);
        if (reply.type === 'error') pending.reject(new Error(`the classifier worker failed: ${reply.message}`));
        else pending.resolve(reply);
        return;
      }
    }
  }

  /** Drops a request from the waiting list; false if it was not there. */
  #forget(id: number): boolean {
    if (!this.#pending.delete(id)) return false;
    this.#release();
    return true;
  }

  #close(error: Error): void {
    if (this.#closed) return;
    this.#closed = error;
    this.#settleReady?.reject(error);
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#holds = 0;
    this.#worker.unref();
  }

  #hold(): void {
    if (this.#holds++ === 0) this.#worker.ref();
  }

  #release(): void {
    if (this.#holds > 0 && --this.#holds === 0) this.#worker.unref();
  }
}
