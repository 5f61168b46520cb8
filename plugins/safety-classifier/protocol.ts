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

/** Calls from the stage to its classifier worker (plugins/sdk's WorkerThread numbers them). */
export type ClassifierRequest =
  /** Loads and warms up the model; every fresh worker is sent this first. */
  | { readonly type: 'load'; readonly backend: TfBackend }
  /** `NSFW_INPUT_SIZE`² RGB pixels. */
  | { readonly type: 'classify'; readonly pixels: Uint8Array };

/** Replies from the classifier worker; a failed call rejects instead. */
export type ClassifierReply =
  | { readonly type: 'loaded'; readonly loadMs: number }
  | { readonly type: 'classified'; readonly probabilities: Record<NsfwClass, number>; readonly inferenceMs: number };
