import type { Tensor } from '../../plugins/sdk/index.js';

/** Messages from the host to an inference worker thread. */
export type WorkerRequest =
  | { id: number; type: 'load'; path: string; threads: number; warmup?: Record<string, Tensor> }
  | { id: number; type: 'run'; path: string; feeds: Record<string, Tensor> }
  /**
   * Several calls merged into one run: every input named in `batchInputs` is
   * concatenated along dim 0 in call order; every other input is taken from
   * the first call (the host only merges calls where those are equal).
   */
  | { id: number; type: 'run-batch'; path: string; calls: Record<string, Tensor>[]; batchInputs: string[] }
  | { id: number; type: 'dispose' };

/** Replies from an inference worker thread. */
export type WorkerReply =
  | { id: number; type: 'loaded'; inputNames: readonly string[]; outputNames: readonly string[] }
  | { id: number; type: 'ran'; outputs: Record<string, Tensor>; onnxMs: number }
  | { id: number; type: 'disposed' }
  | { id: number; type: 'error'; message: string };
