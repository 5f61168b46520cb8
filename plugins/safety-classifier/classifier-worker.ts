// The classifier's worker thread: loads the nsfwjs model once, then answers
// classify requests, so inference never holds the host's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { loadNsfwModel, type NsfwModel } from './nsfw-model.js';
import type { ClassifierReply, ClassifierRequest, WorkerInit } from './protocol.js';

if (!parentPort) throw new Error('classifier-worker must run in a worker thread');
const port = parentPort;
const reply = (message: ClassifierReply) => port.postMessage(message);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

const { backend } = workerData as WorkerInit;
const started = performance.now();
const model: NsfwModel | undefined = await loadNsfwModel(backend).catch((error: unknown) => {
  // The stage terminates the worker when it hears this.
  reply({ type: 'failed', message: messageOf(error) });
  return undefined;
});

if (model) {
  reply({ type: 'ready', loadMs: performance.now() - started });
  port.on('message', async (request: ClassifierRequest) => {
    try {
      const begun = performance.now();
      const probabilities = await model.classify(request.pixels);
      reply({ id: request.id, type: 'classified', probabilities, inferenceMs: performance.now() - begun });
    } catch (error) {
      reply({ id: request.id, type: 'error', message: messageOf(error) });
    }
  });
}
