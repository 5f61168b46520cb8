// The classifier's worker thread: loads the nsfwjs model once, then answers
// classify requests, so inference never holds the host's event loop.
import { serveWorkerThread } from '../sdk/worker-thread.js';
import { loadNsfwModel, type NsfwModel } from './nsfw-model.js';
import type { ClassifierReply, ClassifierRequest } from './protocol.js';

let model: NsfwModel | undefined;

serveWorkerThread<ClassifierRequest, ClassifierReply>(async (request) => {
  switch (request.type) {
    case 'load': {
      const started = performance.now();
      model ??= await loadNsfwModel(request.backend);
      return { type: 'loaded', loadMs: performance.now() - started };
    }
    case 'classify': {
      if (!model) throw new Error('the model is not loaded');
      const begun = performance.now();
      const probabilities = await model.classify(request.pixels);
      return { type: 'classified', probabilities, inferenceMs: performance.now() - begun };
    }
  }
});
