// The only module that imports onnxruntime-node. It runs inside a worker
// thread because `session.run` blocks the thread that calls it.
import { parentPort } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import type { Tensor } from '../../plugins/sdk/index.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

if (!parentPort) throw new Error('inference-worker must run in a worker thread');
const port = parentPort;
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

async function run(session: ort.InferenceSession, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrt(tensor);
  const outputs = await session.run(ortFeeds);
  const result: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(outputs)) result[name] = fromOrt(tensor);
  return result;
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
      return { id: request.id, type: 'loaded', inputNames: session.inputNames, outputNames: session.outputNames };
    }
    case 'run': {
      const session = sessions.get(request.path);
      if (!session) throw new Error(`model ${request.path} is not loaded`);
      const started = performance.now();
      const outputs = await run(session, request.feeds);
      return { id: request.id, type: 'ran', outputs, onnxMs: performance.now() - started };
    }
    case 'dispose': {
      for (const session of sessions.values()) await session.release();
      sessions.clear();
      return { id: request.id, type: 'disposed' };
    }
  }
}

port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (reply) => {
      const transfer = reply.type === 'ran' ? Object.values(reply.outputs).map((t) => t.data.buffer as ArrayBuffer) : [];
      port.postMessage(reply, transfer);
    },
    (error: unknown) => port.postMessage({ id: request.id, type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies WorkerReply),
  );
});
