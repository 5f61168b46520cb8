import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxRuntime } from '../../origin-gpu/runtime/onnx-runtime.js';
import { DECODER_MODEL_URL } from '../../plugins/pack-default/index.js';
import type { Model, Tensor } from '../../plugins/sdk/index.js';

const MODEL_PATH = fileURLToPath(DECODER_MODEL_URL);
const WARMUP: Record<string, Tensor> = {
  tokens: { type: 'int64', data: new BigInt64Array(4), dims: [1, 2, 2] },
  out_hw: { type: 'int64', data: BigInt64Array.of(8n, 8n), dims: [2] },
};

/** A pseudo-random token grid, different for every `salt`. */
function tokens(salt: number, rows: number, cols = rows): Tensor {
  const data = BigInt64Array.from({ length: rows * cols }, (_, i) => BigInt((i * 7919 + salt * 104729) % 256));
  return { type: 'int64', data, dims: [1, rows, cols] };
}

function outHw(height: number, width: number): Tensor {
  return { type: 'int64', data: BigInt64Array.of(BigInt(height), BigInt(width)), dims: [2] };
}

function imageBytes(outputs: Record<string, Tensor>): Buffer {
  const image = outputs.image;
  if (!image) throw new Error('no image output');
  return Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
}

describe('OnnxRuntime dynamic batching', () => {
  const runtimes: OnnxRuntime[] = [];
  const make = (options?: ConstructorParameters<typeof OnnxRuntime>[0]) => {
    const runtime = new OnnxRuntime(options);
    runtimes.push(runtime);
    return runtime;
  };
  afterAll(async () => {
    await Promise.all(runtimes.map((runtime) => runtime.dispose()));
  });

  it('should merge concurrent runs into one ONNX run and give each call exactly its own output', async () => {
    const plain = make();
    const batching = make({ maxBatchWaitMs: 5, maxBatchSize: 8 });
    const single = await plain.load('test/decoder', MODEL_PATH, WARMUP);
    const batched = await batching.load('test/decoder', MODEL_PATH, WARMUP, { batchInputs: ['tokens'] });

    const feeds = Array.from({ length: 8 }, (_, i) => ({ tokens: tokens(i, 16), out_hw: outHw(48, 64) }));
    const expected: Buffer[] = [];
    for (const feed of feeds) expected.push(imageBytes(await single.run(feed)));

    const before = batching.stats;
    const outputs = await Promise.all(feeds.map((feed) => batched.run(feed)));
    const after = batching.stats;

    expect(after.runCalls - before.runCalls).toBe(8);
    expect(after.onnxRuns - before.onnxRuns).toBe(1);
    outputs.forEach((output, i) => {
      expect(output.image?.dims).toEqual([1, 3, 48, 64]);
      expect(imageBytes(output).equals(expected[i]!)).toBe(true);
    });
    // The calls really differ, so equality above is not trivially true.
    expect(expected[0]!.equals(expected[1]!)).toBe(false);
  });

  it('should not merge calls whose shared inputs or trailing dims differ, and still answer each correctly', async () => {
    const plain = make();
    const batching = make({ maxBatchWaitMs: 5 });
    const single = await plain.load('test/decoder', MODEL_PATH, WARMUP);
    const batched = await batching.load('test/decoder', MODEL_PATH, WARMUP, { batchInputs: ['tokens'] });
    const feeds = [
      { tokens: tokens(1, 8), out_hw: outHw(32, 32) },
      { tokens: tokens(2, 8), out_hw: outHw(32, 32) },
      { tokens: tokens(3, 8), out_hw: outHw(40, 24) }, // other out_hw
      { tokens: tokens(4, 16), out_hw: outHw(32, 32) }, // other grid size
    ];
    const expected: Buffer[] = [];
    for (const feed of feeds) expected.push(imageBytes(await single.run(feed)));
    const before = batching.onnxRuns;
    const outputs = await Promise.all(feeds.map((feed) => batched.run(feed)));
    expect(batching.onnxRuns - before).toBe(3);
    outputs.forEach((output, i) => expect(imageBytes(output).equals(expected[i]!)).toBe(true));
  });

  it('should merge calls that arrive while the worker is busy into one run', async () => {
    const runtime = make({ maxBatchWaitMs: 0 });
    const model = await runtime.load('test/decoder', MODEL_PATH, WARMUP, { batchInputs: ['tokens'] });
    const feed = (i: number) => ({ tokens: tokens(i, 8), out_hw: outHw(16, 16) });
    const before = runtime.onnxRuns;
    const first = model.run(feed(0));
    await new Promise((resolve) => setImmediate(resolve)); // the first is on its way to an idle worker
    const rest = Array.from({ length: 7 }, (_, i) => model.run(feed(i + 1)));
    await Promise.all([first, ...rest]);
    // The first went out alone; the other seven queued behind it and went out together.
    expect(runtime.onnxRuns - before).toBe(2);
  });

  it('should not make a lone caller wait for company that never comes', async () => {
    const runtime = make({ maxBatchWaitMs: 200 });
    const model = await runtime.load('test/decoder', MODEL_PATH, WARMUP, { batchInputs: ['tokens'] });
    const started = performance.now();
    for (let i = 0; i < 5; i++) await model.run({ tokens: tokens(i, 8), out_hw: outHw(16, 16) });
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('should cap a batch at maxBatchSize rows', async () => {
    const runtime = make({ maxBatchWaitMs: 5, maxBatchSize: 3 });
    const model = await runtime.load('test/decoder', MODEL_PATH, WARMUP, { batchInputs: ['tokens'] });
    const before = runtime.onnxRuns;
    await Promise.all(Array.from({ length: 7 }, (_, i) => model.run({ tokens: tokens(i, 8), out_hw: outHw(16, 16) })));
    expect(runtime.onnxRuns - before).toBe(3); // 3 + 3 + 1
  });

  it('should run calls one by one for a model that did not opt in', async () => {
    const runtime = make({ maxBatchWaitMs: 5 });
    const model = await runtime.load('test/decoder', MODEL_PATH, WARMUP);
    const before = runtime.onnxRuns;
    await Promise.all(Array.from({ length: 4 }, (_, i) => model.run({ tokens: tokens(i, 8), out_hw: outHw(16, 16) })));
    expect(runtime.onnxRuns - before).toBe(4);
  });

  it('should load each model path once and refuse conflicting batch options', async () => {
    const runtime = make();
    const [a, b] = await Promise.all([
      runtime.load('test/decoder', MODEL_PATH, WARMUP, { batchInputs: ['tokens'] }),
      runtime.load('test/decoder', MODEL_PATH, WARMUP, { batchInputs: ['tokens'] }),
    ]);
    expect(a).toBe(b);
    await expect(runtime.load('test/decoder', MODEL_PATH, WARMUP)).rejects.toThrow(/already loaded with batchInputs \[tokens\]/);
    await expect(make().load('test/decoder', MODEL_PATH, WARMUP, { batchInputs: ['pixels'] })).rejects.toThrow(/batchInputs \[pixels\] are not inputs/);
  });

  it('should drop a queued call whose signal aborts, without disturbing the others', async () => {
    const runtime = make({ maxBatchWaitMs: 50 });
    const model: Model = await runtime.load('test/decoder', MODEL_PATH, WARMUP, { batchInputs: ['tokens'] });
    const controller = new AbortController();
    const kept = model.run({ tokens: tokens(1, 8), out_hw: outHw(16, 16) });
    const dropped = model.run({ tokens: tokens(2, 8), out_hw: outHw(16, 16) }, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(dropped).rejects.toThrow('cancelled');
    expect((await kept).image?.dims).toEqual([1, 3, 16, 16]);
  });
});

describe('OnnxRuntime worker restarts', () => {
  // The failover of calls a dying worker was answering is plugins/sdk's WorkerThread's, tested in
  // test/plugins/worker-thread.test.ts: killing this worker mid-run would abort the test process (see restartWorker).
  it('should reload every model on a fresh worker, after the calls in flight have finished', async () => {
    const crashes: string[] = [];
    const runtime = new OnnxRuntime({ maxBatchWaitMs: 0, onWorkerCrash: (reason) => crashes.push(reason.message) });
    try {
      const model = await runtime.load('test/decoder', MODEL_PATH, WARMUP, { batchInputs: ['tokens'] });
      const feeds = Array.from({ length: 3 }, (_, i) => ({ tokens: tokens(i, 32), out_hw: outHw(128, 128) }));
      const expected = await Promise.all(feeds.map((feed) => model.run(feed)));

      const inFlight = Promise.all(feeds.map((feed) => model.run(feed)));
      await new Promise((resolve) => setImmediate(resolve)); // with no batch wait, the batch has gone out to the worker by now
      const restarted = runtime.restartWorker();
      const outputs = await inFlight;
      await restarted;
      outputs.forEach((output, i) => expect(imageBytes(output).equals(imageBytes(expected[i]!))).toBe(true));
      expect(runtime.stats.workerRestarts).toBe(0); // the next call starts the new worker
      // Later calls run on the new worker, which loaded the model before taking any.
      const again = await Promise.all(feeds.map((feed) => model.run(feed)));
      again.forEach((output, i) => expect(imageBytes(output).equals(imageBytes(expected[i]!))).toBe(true));
      expect(runtime.stats.workerRestarts).toBe(1);
      expect(crashes).toEqual([]);
    } finally {
      await runtime.dispose();
    }
  });
});
