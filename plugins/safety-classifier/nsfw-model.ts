// The only module that imports TensorFlow.js. It runs inside the classifier's
// worker thread (see classifier-worker.ts), never in the host's thread: tfjs
// computes on the thread that calls it, and the wasm backend's Emscripten
// runtime installs `uncaughtException` and `unhandledRejection` handlers that
// rethrow, which in a worker thread stay confined to that thread.
import * as tf from '@tensorflow/tfjs';
// Registers the 'wasm' backend. Its .wasm files ship inside the package and
// are read from disk, so nothing is fetched.
import '@tensorflow/tfjs-backend-wasm';
import { load, type NSFWJS } from 'nsfwjs/core';
// The MobileNetV2 topology and weights, bundled as JavaScript modules inside
// the nsfwjs package: loading them is an import, not a download.
import { MobileNetV2Model } from 'nsfwjs/models/mobilenet_v2';
import { NSFW_CLASSES, NSFW_INPUT_SIZE, type NsfwClass, type TfBackend } from './protocol.js';

/** The nsfwjs MobileNetV2, loaded and warmed up. */
export interface NsfwModel {
  readonly backend: TfBackend;
  /**
   * The probability of each class for one image.
   * @param pixels `NSFW_INPUT_SIZE`² RGB pixels, interleaved, 8 bits each.
   */
  classify(pixels: Uint8Array): Promise<Record<NsfwClass, number>>;
  dispose(): void;
}

const isNsfwClass = (name: string): name is NsfwClass => (NSFW_CLASSES as readonly string[]).includes(name);

/**
 * Loads the MobileNetV2 bundled in nsfwjs on the given backend. tfjs backends
 * are per thread, so this sets the backend of the calling thread.
 */
export async function loadNsfwModel(backend: TfBackend): Promise<NsfwModel> {
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js could not start its "${backend}" backend`);
  await tf.ready();
  // nsfwjs announces the model it loads on console.info; in a server that is
  // noise on every start, so it is muted for the length of the load.
  const info = console.info;
  let model: NSFWJS;
  try {
    console.info = () => {};
    // `load` also runs one warm-up prediction, so the first job pays nothing extra.
    model = await load('MobileNetV2', { modelDefinitions: [MobileNetV2Model] });
  } finally {
    console.info = info;
  }
  return {
    backend,
    async classify(pixels) {
      const expected = NSFW_INPUT_SIZE * NSFW_INPUT_SIZE * 3;
      if (pixels.length !== expected) throw new RangeError(`expected ${expected} bytes of ${NSFW_INPUT_SIZE}² RGB pixels, got ${pixels.length}`);
      const input = tf.tensor3d(pixels, [NSFW_INPUT_SIZE, NSFW_INPUT_SIZE, 3], 'int32');
      try {
        const predictions = await model.classify(input, NSFW_CLASSES.length);
        const probabilities: Record<NsfwClass, number> = { Drawing: 0, Hentai: 0, Neutral: 0, Porn: 0, Sexy: 0 };
        for (const { className, probability } of predictions) {
          if (!isNsfwClass(className)) throw new Error(`nsfwjs returned an unknown class "${className}"`);
          probabilities[className] = probability;
        }
        return probabilities;
      } finally {
        input.dispose();
      }
    },
    dispose() {
      model.dispose();
    },
  };
}
