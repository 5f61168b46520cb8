import type { Model, ModelLoadOptions, ModelRuntime, Tensor } from '../../plugins/sdk/index.js';
import { WorkerThread } from '../../plugins/sdk/worker-thread.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

type LoadRequest = Extract<WorkerRequest, { type: 'load' }>;
type Feeds = Readonly<Record<string, Tensor>>;

export interface OnnxRuntimeOptions {
  /** Threads onnxruntime may use inside the inference worker. */
  intraOpThreads?: number;
  /**
   * How long a `run` call on a batching model may wait for others to join its
   * batch while the inference worker is idle (ms; keep it at 5 or less).
   * Default 2. The wait applies only while the model has had concurrent
   * callers within the last second, so a lone job never pays it. While the
   * worker is busy, calls queue anyway and go out as one batch as soon as it
   * is free, so they never wait longer than they would have without batching.
   * 0 turns the wait off: batches then form only from calls made in the same
   * tick or while the worker is busy.
   */
  maxBatchWaitMs?: number;
  /** Most rows (sum of dim 0) merged into one ONNX run. Default 8. */
  maxBatchSize?: number;
  /** Told why the inference worker died; a fresh one reloads every model and takes over the calls in flight. */
  onWorkerCrash?: (reason: Error) => void;
  /** Told of every ONNX session run: how many rows (merged calls) it carried and its time inside onnxruntime. */
  onRun?: (run: { rows: number; onnxMs: number }) => void;
}

/** What the runtime has done since it started. */
export interface RuntimeStats {
  /** `Model.run` calls made by stages. */
  readonly runCalls: number;
  /** ONNX session runs those calls took; fewer than `runCalls` when calls were batched. Warm-ups are not counted. */
  readonly onnxRuns: number;
  /** Milliseconds spent inside onnxruntime. */
  readonly onnxMilliseconds: number;
  /** Inference workers started to replace one that died. */
  readonly workerRestarts: number;
}

/** One `run` call waiting in a model's batch queue. */
interface QueuedCall {
  readonly feeds: Feeds;
  /** Calls can merge only when their keys are equal. */
  readonly key: string;
  /** Dim 0 of the batched inputs. */
  readonly rows: number;
  readonly enqueuedAt: number;
  readonly resolve: (outputs: Record<string, Tensor>) => void;
  readonly reject: (error: unknown) => void;
  readonly detach: () => void;
}

interface BatchQueue {
  readonly name: string;
  readonly path: string;
  readonly batchInputs: readonly string[];
  calls: QueuedCall[];
  timer: NodeJS.Timeout | undefined;
  /** A pump is due at the end of this tick, so calls made together are seen together. */
  pumpScheduled: boolean;
  /** Calls queued or running. */
  outstanding: number;
  /** When the model last had more than one call outstanding. */
  lastCompanyAt: number;
}

/** How long after the last sign of concurrent callers a lone call still waits for company (ms). */
const COMPANY_WINDOW_MS = 1_000;

/** Shared (non-batched) inputs up to this size are compared by value; larger ones make a call run alone. */
const MAX_SHARED_KEY_BYTES = 1024;

/**
 * The merge key of a call: the dtype and trailing dims of every batched input
 * plus the exact value of every other input. Returns undefined for calls that
 * cannot merge (a batched input missing or scalar, or a large shared input).
 */
function batchKey(feeds: Feeds, batchInputs: readonly string[]): { key: string; rows: number } | undefined {
  let rows: number | undefined;
  const parts: string[] = [];
  for (const name of batchInputs) {
    const tensor = feeds[name];
    const dim0 = tensor?.dims[0];
    if (!tensor || dim0 === undefined || (rows !== undefined && dim0 !== rows)) return undefined;
    rows = dim0;
    parts.push(`${name}:${tensor.type}:${tensor.dims.slice(1).join('x')}`);
  }
  for (const name of Object.keys(feeds).sort()) {
    if (batchInputs.includes(name)) continue;
    const tensor = feeds[name]!;
    const bytes = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    if (bytes.byteLength > MAX_SHARED_KEY_BYTES) return undefined;
    parts.push(`${name}:${tensor.type}:${tensor.dims.join('x')}=${bytes.toString('base64')}`);
  }
  return rows === undefined ? undefined : { key: parts.join('|'), rows };
}

/** The rows `[start, start + rows)` of an output batched on dim 0, as a view (no copy). */
function sliceRows(tensor: Tensor, start: number, rows: number, total: number): Tensor {
  const perRow = tensor.data.length / total;
  const dims = [rows, ...tensor.dims.slice(1)];
  const [from, to] = [start * perRow, (start + rows) * perRow];
  switch (tensor.type) {
    case 'float32':
      return { type: 'float32', dims, data: tensor.data.subarray(from, to) };
    case 'int64':
      return { type: 'int64', dims, data: tensor.data.subarray(from, to) };
    case 'int32':
      return { type: 'int32', dims, data: tensor.data.subarray(from, to) };
  }
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item, i) => item === b[i]);

/**
 * Owns the inference worker thread and every session in it. Each model file
 * loads once per process; `run` posts tensors to the worker so the event loop
 * stays free while onnxruntime computes.
 *
 * Models loaded with `batchInputs` are batched dynamically: `run` calls queue
 * per model, and whenever the worker is free the queue goes out as one ONNX
 * run per group of compatible calls (at most `maxBatchSize` rows each). The
 * worker runs one session call at a time, so a call that arrives while it is
 * busy loses nothing by waiting for the next batch; only on an idle worker
 * does a call wait, at most `maxBatchWaitMs`, for company, and only when
 * the model has had concurrent callers lately.
 *
 * A worker that dies is replaced: the new one loads every model again, then
 * takes over the calls in flight (each retried once).
 */
export class OnnxRuntime implements ModelRuntime {
  readonly #worker: WorkerThread<WorkerRequest, WorkerReply>;
  /** What a fresh worker must load before it runs anything: every model loaded so far. */
  readonly #loaded = new Map<string, LoadRequest>();
  readonly #models = new Map<string, { promise: Promise<Model>; batchInputs: readonly string[] }>();
  readonly #queues = new Map<string, BatchQueue>();
  readonly #threads: number;
  readonly #maxBatchWaitMs: number;
  readonly #maxBatchSize: number;
  #onnxMs = 0;
  #onnxRuns = 0;
  #runCalls = 0;
  /** Requests sent to the worker and not yet answered. */
  #busy = 0;
  /** Told when `#busy` falls to 0. */
  #idleWaiters: (() => void)[] = [];

  readonly #onRun: OnnxRuntimeOptions['onRun'];

  constructor({ intraOpThreads = 1, maxBatchWaitMs = 2, maxBatchSize = 8, onWorkerCrash, onRun }: OnnxRuntimeOptions = {}) {
    if (!(maxBatchWaitMs >= 0)) throw new RangeError(`maxBatchWaitMs must be 0 or more, got ${maxBatchWaitMs}`);
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) throw new RangeError(`maxBatchSize must be a whole number of at least 1, got ${maxBatchSize}`);
    this.#threads = intraOpThreads;
    this.#maxBatchWaitMs = maxBatchWaitMs;
    this.#maxBatchSize = maxBatchSize;
    this.#onRun = onRun;
    this.#worker = new WorkerThread({
      name: 'inference worker',
      module: new URL('./inference-worker.ts', import.meta.url),
      onStart: async (send) => {
        for (const load of this.#loaded.values()) await send(load);
      },
      ...(onWorkerCrash && { onCrash: onWorkerCrash }),
    });
  }

  /** Milliseconds spent inside onnxruntime since the runtime started. */
  get onnxMilliseconds(): number {
    return this.#onnxMs;
  }

  /** ONNX session runs since the runtime started (warm-ups excluded); batched calls share one. */
  get onnxRuns(): number {
    return this.#onnxRuns;
  }

  get stats(): RuntimeStats {
    return { runCalls: this.#runCalls, onnxRuns: this.#onnxRuns, onnxMilliseconds: this.#onnxMs, workerRestarts: this.#worker.restarts };
  }

  load(name: string, path: string, warmup?: Feeds, options: ModelLoadOptions = {}): Promise<Model> {
    const batchInputs = [...(options.batchInputs ?? [])];
    const cached = this.#models.get(path);
    if (cached) {
      if (!sameList(cached.batchInputs, batchInputs)) {
        return Promise.reject(
          new Error(
            `${name}: ${path} is already loaded with batchInputs [${cached.batchInputs.join(', ')}]; ` +
              `load it with the same options everywhere, since the session is shared.`,
          ),
        );
      }
      return cached.promise;
    }
    const promise = this.#load(name, path, warmup, batchInputs);
    this.#models.set(path, { promise, batchInputs });
    promise.catch(() => this.#models.delete(path));
    return promise;
  }

  /**
   * Replaces the inference worker with a fresh one, which reloads every model
   * (e.g. to hand its memory back). It waits for the calls in flight first:
   * ending the thread during an onnxruntime run aborts the whole process, as
   * the run's native callback finds its thread gone.
   */
  async restartWorker(): Promise<void> {
    while (this.#busy > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    await this.#worker.restart();
  }

  async dispose(): Promise<void> {
    try {
      // Releases the sessions first; a worker that is not running has none.
      if (this.#worker.running) await this.#send({ type: 'dispose' });
    } finally {
      await this.#worker.dispose();
    }
  }

  async #load(name: string, path: string, warmup: Feeds | undefined, batchInputs: readonly string[]): Promise<Model> {
    const request: LoadRequest = { type: 'load', path, threads: this.#threads, warmup: warmup ? { ...warmup } : undefined };
    const reply = await this.#send(request);
    if (reply.type !== 'loaded') throw new Error(`unexpected reply ${reply.type} loading ${name}`);
    const unknown = batchInputs.filter((input) => !reply.inputNames.includes(input));
    if (unknown.length > 0) throw new Error(`${name}: batchInputs [${unknown.join(', ')}] are not inputs of ${path} (it has ${reply.inputNames.join(', ')})`);
    this.#loaded.set(path, request);
    const queue: BatchQueue | undefined =
      batchInputs.length > 0
        ? { name, path, batchInputs, calls: [], timer: undefined, pumpScheduled: false, outstanding: 0, lastCompanyAt: -Infinity }
        : undefined;
    if (queue) this.#queues.set(path, queue);
    return {
      name,
      inputNames: reply.inputNames,
      outputNames: reply.outputNames,
      run: async (feeds, signal) => {
        signal?.throwIfAborted();
        this.#runCalls++;
        if (queue) {
          const merge = batchKey(feeds, queue.batchInputs);
          if (merge) return this.#enqueue(queue, feeds, merge, signal);
        }
        const ran = await this.#send({ type: 'run', path, feeds: { ...feeds } });
        return this.#ran(ran, name);
      },
    };
  }

  #ran(reply: WorkerReply, name: string, rows = 1): Record<string, Tensor> {
    if (reply.type !== 'ran') throw new Error(`unexpected reply ${reply.type} running ${name}`);
    this.#onnxMs += reply.onnxMs;
    this.#onnxRuns++;
    this.#onRun?.({ rows, onnxMs: reply.onnxMs });
    return reply.outputs;
  }

  #enqueue(queue: BatchQueue, feeds: Feeds, merge: { key: string; rows: number }, signal: AbortSignal | undefined): Promise<Record<string, Tensor>> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = queue.calls.indexOf(call);
        if (index < 0) return; // already sent: the run finishes and the caller notices the abort itself
        queue.calls.splice(index, 1);
        call.reject(signal?.reason);
      };
      const settle = () => {
        queue.outstanding--;
        signal?.removeEventListener('abort', onAbort);
      };
      const call: QueuedCall = {
        feeds,
        ...merge,
        enqueuedAt: performance.now(),
        resolve: (outputs) => {
          settle();
          resolve(outputs);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.calls.push(call);
      queue.outstanding++;
      if (queue.outstanding > 1) queue.lastCompanyAt = call.enqueuedAt;
      if (!queue.pumpScheduled) {
        queue.pumpScheduled = true;
        queueMicrotask(() => {
          queue.pumpScheduled = false;
          this.#pump(queue);
        });
      }
    });
  }

  /** Sends whatever should go now: full batches at once, the rest when the worker is idle and the wait is over. */
  #pump(queue: BatchQueue): void {
    const groups = new Map<string, QueuedCall[]>();
    for (const call of queue.calls) {
      const group = groups.get(call.key);
      if (group) group.push(call);
      else groups.set(call.key, [call]);
    }
    for (const group of groups.values()) {
      if (group.reduce((sum, call) => sum + call.rows, 0) >= this.#maxBatchSize) this.#dispatch(queue, group);
    }
    if (queue.calls.length === 0 || this.#busy > 0) return; // a busy worker pumps again when it answers
    const now = performance.now();
    const oldest = Math.min(...queue.calls.map((call) => call.enqueuedAt));
    const company = now - queue.lastCompanyAt <= COMPANY_WINDOW_MS;
    const waitMs = company ? oldest + this.#maxBatchWaitMs - now : 0;
    if (waitMs <= 0) {
      for (const group of groups.values()) this.#dispatch(queue, group.filter((call) => queue.calls.includes(call)));
    } else if (!queue.timer) {
      queue.timer = setTimeout(() => {
        queue.timer = undefined;
        this.#pump(queue);
      }, waitMs);
    }
  }

  /** Sends one group (calls with equal keys) as batches of at most `maxBatchSize` rows. */
  #dispatch(queue: BatchQueue, group: readonly QueuedCall[]): void {
    if (group.length === 0) return;
    queue.calls = queue.calls.filter((call) => !group.includes(call));
    if (queue.calls.length === 0 && queue.timer) {
      clearTimeout(queue.timer);
      queue.timer = undefined;
    }
    let batch: QueuedCall[] = [];
    let rows = 0;
    for (const call of group) {
      if (batch.length > 0 && rows + call.rows > this.#maxBatchSize) {
        void this.#runBatch(queue, batch);
        batch = [];
        rows = 0;
      }
      batch.push(call);
      rows += call.rows;
    }
    void this.#runBatch(queue, batch);
  }

  async #runBatch(queue: BatchQueue, batch: readonly QueuedCall[]): Promise<void> {
    for (const call of batch) call.detach();
    try {
      const [only] = batch;
      if (batch.length === 1 && only) {
        only.resolve(this.#ran(await this.#send({ type: 'run', path: queue.path, feeds: { ...only.feeds } }), queue.name, only.rows));
        return;
      }
      const reply = await this.#send({
        type: 'run-batch',
        path: queue.path,
        calls: batch.map((call) => ({ ...call.feeds })),
        batchInputs: [...queue.batchInputs],
      });
      const total = batch.reduce((sum, call) => sum + call.rows, 0);
      const outputs = this.#ran(reply, queue.name, total);
      for (const [name, tensor] of Object.entries(outputs)) {
        if (tensor.dims[0] !== total) {
          throw new Error(`${queue.name}: output "${name}" has dim 0 = ${tensor.dims[0]} for a batch of ${total}; a model loaded with batchInputs must batch its outputs on dim 0`);
        }
      }
      let start = 0;
      const answers = batch.map((call) => {
        const mine: Record<string, Tensor> = {};
        for (const [name, tensor] of Object.entries(outputs)) mine[name] = sliceRows(tensor, start, call.rows, total);
        start += call.rows;
        return () => call.resolve(mine);
      });
      // Each caller goes on with synchronous work (turning tensors into pixels);
      // answering one per turn of the event loop keeps the batch from holding
      // the loop for all of them at once.
      const answerNext = () => {
        answers.shift()?.();
        if (answers.length > 0) setImmediate(answerNext);
      };
      answerNext();
    } catch (error) {
      for (const call of batch) call.reject(error);
    }
  }

  #send(request: WorkerRequest): Promise<WorkerReply> {
    this.#busy++;
    return this.#worker.call(request).finally(() => {
      this.#busy--;
      if (this.#busy > 0) return;
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
      for (const queue of this.#queues.values()) if (queue.calls.length > 0) this.#pump(queue);
    });
  }
}
