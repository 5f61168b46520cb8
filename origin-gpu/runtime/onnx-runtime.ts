import { Worker } from 'node:worker_threads';
import type { Model, ModelRuntime, Tensor } from '../../plugins/sdk/index.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

type Pending = { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void };
type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

export interface OnnxRuntimeOptions {
  /** Threads onnxruntime may use inside the inference worker. */
  intraOpThreads?: number;
}

/**
 * Owns the inference worker thread and every session in it. Each model file
 * loads once per process; `run` posts tensors to the worker so the event loop
 * stays free while onnxruntime computes.
 */
export class OnnxRuntime implements ModelRuntime {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #models = new Map<string, Promise<Model>>();
  readonly #threads: number;
  #nextId = 1;
  #exitError: Error | undefined;
  #onnxMs = 0;

  constructor({ intraOpThreads = 1 }: OnnxRuntimeOptions = {}) {
    this.#threads = intraOpThreads;
    const workerUrl = new URL('./inference-worker.ts', import.meta.url).href;
    // The worker is TypeScript too. Node 20 does not apply `--import tsx` to a
    // worker's entry module, so a one-line bootstrap registers tsx first.
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl)}); });`;
    this.#worker = new Worker(bootstrap, { eval: true });
    this.#worker.on('message', (reply: WorkerReply) => {
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (reply.type === 'error') pending.reject(new Error(reply.message));
      else pending.resolve(reply);
    });
    this.#worker.on('error', (error) => this.#failAll(error));
    this.#worker.on('exit', (code) => {
      this.#exitError = new Error(`inference worker exited with code ${code}`);
      this.#failAll(this.#exitError);
    });
  }

  /** Milliseconds spent inside onnxruntime since the runtime started. */
  get onnxMilliseconds(): number {
    return this.#onnxMs;
  }

  load(name: string, path: string, warmup?: Readonly<Record<string, Tensor>>): Promise<Model> {
    let model = this.#models.get(path);
    if (!model) {
      model = this.#load(name, path, warmup);
      this.#models.set(path, model);
      model.catch(() => this.#models.delete(path));
    }
    return model;
  }

  async dispose(): Promise<void> {
    if (this.#exitError) return;
    try {
      await this.#send({ type: 'dispose' });
    } finally {
      await this.#worker.terminate();
    }
  }

  async #load(name: string, path: string, warmup?: Readonly<Record<string, Tensor>>): Promise<Model> {
    const reply = await this.#send({ type: 'load', path, threads: this.#threads, warmup: warmup ? { ...warmup } : undefined });
    if (reply.type !== 'loaded') throw new Error(`unexpected reply ${reply.type} loading ${name}`);
    return {
      name,
      inputNames: reply.inputNames,
      outputNames: reply.outputNames,
      run: async (feeds, signal) => {
        signal?.throwIfAborted();
        const ran = await this.#send({ type: 'run', path, feeds: { ...feeds } });
        if (ran.type !== 'ran') throw new Error(`unexpected reply ${ran.type} running ${name}`);
        this.#onnxMs += ran.onnxMs;
        return ran.outputs;
      },
    };
  }

  #send(body: RequestBody): Promise<WorkerReply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#exitError) return reject(this.#exitError);
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...body, id } as WorkerRequest);
    });
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}
