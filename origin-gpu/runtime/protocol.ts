import type { Tensor } from '../../plugins/sdk/index.js';

/** Calls from the host to the inference worker thread (plugins/sdk's WorkerThread numbers them). */
export type WorkerRequest =
  | { type: 'load'; path: string; threads: number; warmup?: Record<string, Tensor> }
  | { type: 'run'; path: string; feeds: Record<string, Tensor> }
  /**
   * Several calls merged into one run: every input named in `batchInputs` is
   * concatenated along dim 0 in call order; every other input is taken from
   * the first call (the host only merges calls where those are equal).
   */
  | { type: 'run-batch'; path: string; calls: Record<string, Tensor>[]; batchInputs: string[] }
  | { type: 'dispose' };

/** Replies from the inference worker thread; a failed call rejects instead. */
export type WorkerReply =
  | { type: 'loaded'; inputNames: readonly string[]; outputNames: readonly string[] }
  | { type: 'ran'; outputs: Record<string, Tensor>; onnxMs: number }
  | { type: 'disposed' };
