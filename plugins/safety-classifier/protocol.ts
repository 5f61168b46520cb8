// Shared by the stage's thread and the worker's; it must not import tfjs.

/** The side of the square RGB image the model takes. */
export const NSFW_INPUT_SIZE = 224;

/** The five classes of the nsfwjs model, in its own words. */
export const NSFW_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;
export type NsfwClass = (typeof NSFW_CLASSES)[number];

/**
 * Where tfjs computes. `wasm` (SIMD, one thread) is about ten times faster than
 * the pure-JavaScript `cpu` backend on MobileNetV2 and gives the same scores.
 */
export type TfBackend = 'wasm' | 'cpu';

/** What the classifier worker is started with (its `workerData`). */
export interface WorkerInit {
  readonly backend: TfBackend;
}

/** Messages from the stage to its classifier worker. */
export type ClassifierRequest = {
  readonly id: number;
  readonly type: 'classify';
  /** `NSFW_INPUT_SIZE`² RGB pixels; their buffer is transferred, not copied. */
  readonly pixels: Uint8Array;
};

/** Messages from the classifier worker: one `ready` or `failed` after start, then one answer per request. */
export type ClassifierReply =
  | { readonly type: 'ready'; readonly loadMs: number }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly id: number; readonly type: 'classified'; readonly probabilities: Record<NsfwClass, number>; readonly inferenceMs: number }
  | { readonly id: number; readonly type: 'error'; readonly message: string };
