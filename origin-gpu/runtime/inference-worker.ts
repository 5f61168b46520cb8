// The only module that imports onnxruntime-node. It runs inside a worker
// thread because `session.run` blocks the thread that calls it.
import ort from 'onnxruntime-node';
import type { Tensor } from '../../plugins/sdk/index.js';
import { serveWorkerThread } from '../../plugins/sdk/worker-thread.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

const sessions = new Map<string, ort.InferenceSession>();

function toOrt(tensor: Tensor): ort.Tensor {
  return new ort.Tensor(tensor.type, tensor.data, [...tensor.dims]);
}

function fromOrt(tensor: ort.Tensor): Tensor {
  const dims = [...tensor.dims];
  switch (tensor.type) {
    case 'float32':
      return { type: 'float32', data: tensor.data as Float32Array, dims };
    case 'int64':
      return { type: 'int64', data: tensor.data as BigInt64Array, dims };
    case 'int32':
      return { type: 'int32', data: tensor.data as Int32Array, dims };
    default:
      throw new Error(`unsupported output tensor type ${tensor.type}`);
  }
}

/**
 * onnxruntime-node runs a session synchronously inside a setImmediate, so
 * requests that arrive together would each time the others' runs as well.
 * Runs go one at a time through this chain, and each is timed on its own.
 */
let previousRun: Promise<unknown> = Promise.resolve();

function run(session: ort.InferenceSession, feeds: Record<string, Tensor>): Promise<{ outputs: Record<string, Tensor>; onnxMs: number }> {
  const thisRun = previousRun.then(async () => {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrt(tensor);
    const started = performance.now();
    const outputs = await session.run(ortFeeds);
    const onnxMs = performance.now() - started;
    const result: Record<string, Tensor> = {};
    for (const [name, tensor] of Object.entries(outputs)) result[name] = fromOrt(tensor);
    return { outputs: result, onnxMs };
  });
  previousRun = thisRun.catch(() => undefined);
  return thisRun;
}

function join<A extends { readonly length: number; set(array: A, offset: number): void }>(make: (length: number) => A, arrays: readonly A[]): A {
  const out = make(arrays.reduce((sum, array) => sum + array.length, 0));
  let offset = 0;
  for (const array of arrays) {
    out.set(array, offset);
    offset += array.length;
  }
  return out;
}

/** Concatenates one input of several calls along dim 0; the host checked that type and the other dims match. */
function concatBatch(name: string, parts: readonly Tensor[]): Tensor {
  const first = parts[0];
  if (!first) throw new Error(`batched input "${name}" has no parts`);
  const dims = [parts.reduce((sum, part) => sum + (part.dims[0] ?? 0), 0), ...first.dims.slice(1)];
  const same = <T extends Tensor['type']>(type: T) =>
    parts.map((part) => {
      if (part.type !== type) throw new Error(`batched input "${name}" mixes ${type} and ${part.type}`);
      return part as Extract<Tensor, { type: T }>;
    });
  switch (first.type) {
    case 'float32':
      return { type: 'float32', dims, data: join((n) => new Float32Array(n), same('float32').map((t) => t.data)) };
    case 'int64':
      return { type: 'int64', dims, data: join((n) => new BigInt64Array(n), same('int64').map((t) => t.data)) };
    case 'int32':
      return { type: 'int32', dims, data: join((n) => new Int32Array(n), same('int32').map((t) => t.data)) };
  }
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.type) {
    case 'load': {
      let session = sessions.get(request.path);
      if (!session) {
        session = await ort.InferenceSession.create(request.path, {
          executionMode: 'sequential',
          graphOptimizationLevel: 'all',
          intraOpNumThreads: request.threads,
        });
        sessions.set(request.path, session);
        if (request.warmup) await run(session, request.warmup);
      }
      return { type: 'loaded', inputNames: session.inputNames, outputNames: session.outputNames };
    }
    case 'run': {
      const session = sessions.get(request.path);
      if (!session) throw new Error(`model ${request.path} is not loaded`);
      const { outputs, onnxMs } = await run(session, request.feeds);
      return { type: 'ran', outputs, onnxMs };
    }
    case 'run-batch': {
      const session = sessions.get(request.path);
      if (!session) throw new Error(`model ${request.path} is not loaded`);
      const first = request.calls[0];
      if (!first) throw new Error('run-batch with no calls');
      const feeds: Record<string, Tensor> = { ...first };
      for (const name of request.batchInputs) {
        const parts = request.calls.map((call) => {
          const tensor = call[name];
          if (!tensor) throw new Error(`a batched call lacks input "${name}"`);
          return tensor;
        });
        feeds[name] = concatBatch(name, parts);
      }
      const { outputs, onnxMs } = await run(session, feeds);
      return { type: 'ran', outputs, onnxMs };
    }
    case 'dispose': {
      for (const session of sessions.values()) await session.release();
      sessions.clear();
      return { type: 'disposed' };
    }
  }
}

serveWorkerThread(handle, {
  transfer: (reply) => (reply.type === 'ran' ? Object.values(reply.outputs).map((tensor) => tensor.data.buffer as ArrayBuffer) : []),
});
