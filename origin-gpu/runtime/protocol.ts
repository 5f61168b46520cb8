import type { Tensor } from '../../plugins/sdk/index.js';

/** Messages from the host to an inference worker thread. */
export type WorkerRequest =
  | { id: number; type: 'load'; path: string; threads: number; warmup?: Record<string, Tensor> }
  | { id: number; type: 'run'; path: string; feeds: Record<string, Tensor> }
  | { id: number; type: 'dispose' };

/** Replies from an inference worker thread. */
export type WorkerReply =
  | { id: number; type: 'loaded'; inputNames: readonly string[]; outputNames: readonly string[] }
  | { id: number; type: 'ran'; outputs: Record<string, Tensor>; onnxMs: number }
  | { id: number; type: 'disposed' }
  | { id: number; type: 'error'; message: string };
