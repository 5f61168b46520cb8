import type { RawImage } from '../sdk/index.js';
import type { CategoryScore, ImageClassifier } from './classifier.js';

/** A classifier whose worker can die; `failure` says why once it has. */
export interface MortalClassifier extends ImageClassifier {
  readonly failure: Error | undefined;
  dispose(): Promise<void>;
}

/**
 * Keeps one classifier alive for a stage. When the worker behind it has died,
 * the next check starts a new one, and a check the death interrupted is
 * retried once on the new worker. Without this, one crashed worker would fail
 * every later job on the origin until the process restarted.
 *
 * A load that fails is not cached: the check that needed it fails, and the
 * next check tries again.
 */
export class SelfHealingClassifier<T extends MortalClassifier> implements ImageClassifier {
  readonly #start: () => Promise<T>;
  readonly #onRestart: (reason: Error) => void;
  #current: Promise<T> | undefined;
  #restarts = 0;

  constructor(start: () => Promise<T>, onRestart: (reason: Error) => void = () => {}) {
    this.#start = start;
    this.#onRestart = onRestart;
  }

  /** How many times a dead classifier has been replaced. */
  get restarts(): number {
    return this.#restarts;
  }

  /** The live classifier, loading (or reloading) it first if needed. */
  live(): Promise<T> {
    const current = this.#current;
    if (!current) return this.#load();
    return current.then((classifier) => {
      if (!classifier.failure) return classifier;
      // Concurrent checks that find the same dead classifier share one restart.
      if (this.#current !== current) return this.live();
      this.#restarts++;
      this.#onRestart(classifier.failure);
      return this.#load();
    });
  }

  async classify(image: RawImage, signal?: AbortSignal): Promise<readonly CategoryScore[]> {
    const classifier = await this.live();
    try {
      return await classifier.classify(image, signal);
    } catch (error) {
      if (signal?.aborted || !classifier.failure) throw error;
      return (await this.live()).classify(image, signal);
    }
  }

  async dispose(): Promise<void> {
    const current = this.#current;
    this.#current = undefined;
    const classifier = await current?.catch(() => undefined);
    await classifier?.dispose();
  }

  #load(): Promise<T> {
    const loading = this.#start();
    this.#current = loading;
    loading.catch(() => {
      if (this.#current === loading) this.#current = undefined;
    });
    return loading;
  }
}
