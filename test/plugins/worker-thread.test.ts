import { describe, expect, it } from 'vitest';
import { WorkerThread, type WorkerThreadOptions } from '../../plugins/sdk/worker-thread.js';
import type { CrashyReply, CrashyRequest } from '../fixtures/worker-thread/crashy-worker.js';

const module = new URL('../fixtures/worker-thread/crashy-worker.ts', import.meta.url);

function crashy(options: Partial<WorkerThreadOptions<CrashyRequest, CrashyReply>> = {}) {
  const crashes: string[] = [];
  const worker = new WorkerThread<CrashyRequest, CrashyReply>({ name: 'test worker', module, onCrash: (reason) => crashes.push(reason.message), ...options });
  return { worker, crashes };
}

const echo = (value: number, delayMs = 0): CrashyRequest => ({ type: 'echo', value, delayMs });
const counter = () => new Int32Array(new SharedArrayBuffer(4));

describe('WorkerThread', () => {
  it('should answer concurrent calls each with its own reply, from one worker', async () => {
    const { worker } = crashy();
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => worker.call(echo(i, (i * 7) % 5))));
    expect(replies.map((reply) => reply.value)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(new Set(replies.map((reply) => reply.threadId)).size).toBe(1);
    await worker.dispose();
  });

  it('should restart a worker that exits and carry the calls it was answering over to the new one', async () => {
    const { worker, crashes } = crashy();
    const first = await worker.call(echo(0));
    const inFlight = [worker.call(echo(1, 200)), worker.call(echo(2, 200))];
    expect((await worker.call({ type: 'crash-first', how: 'exit', times: 1, attempts: counter(), value: 3 })).value).toBe(3);
    const replies = await Promise.all(inFlight);
    expect(replies.map((reply) => reply.value)).toEqual([1, 2]);
    expect(worker.restarts).toBe(1);
    for (const reply of replies) expect(reply.threadId).not.toBe(first.threadId);
    expect(crashes[0]).toBe('the test worker exited with code 3');
    await worker.dispose();
  });

  it('should retry a call its worker died under once, and answer it from a fresh worker', async () => {
    const { worker, crashes } = crashy();
    const attempts = counter();
    const reply = await worker.call({ type: 'crash-first', how: 'exit', times: 1, attempts, value: 7 });
    expect(reply.value).toBe(7);
    expect(attempts[0]).toBe(2);
    expect(worker.restarts).toBe(1);
    expect(crashes).toEqual(['the test worker exited with code 3']);
    await worker.dispose();
  });

  it('should reject a call whose retry dies too, naming the worker, and start afresh for the next call', async () => {
    const { worker, crashes } = crashy();
    const attempts = counter();
    await expect(worker.call({ type: 'crash-first', how: 'exit', times: 5, attempts, value: 7 })).rejects.toThrow(
      'the test worker died twice during one call, so it is not retried again: the test worker exited with code 3',
    );
    expect(attempts[0]).toBe(2);
    expect(crashes).toHaveLength(2);
    expect(worker.running).toBe(false);
    expect((await worker.call(echo(8))).value).toBe(8);
    expect(worker.restarts).toBe(2);
    await worker.dispose();
  });

  it('should restart after an uncaught error in the worker, too', async () => {
    const { worker, crashes } = crashy();
    const inFlight = worker.call(echo(1, 300));
    await expect(worker.call({ type: 'crash', how: 'throw' })).rejects.toThrow('the test worker died twice during one call');
    // Its companion was carried over too, and then died with the second worker.
    await expect(inFlight).rejects.toThrow('died twice');
    expect(crashes[0]).toBe('the test worker crashed: boom');
    await worker.dispose();
  });

  it('should reject with the handler\'s error without retrying or losing the worker', async () => {
    const { worker, crashes } = crashy();
    const before = await worker.call(echo(0));
    await expect(worker.call({ type: 'fail', message: 'bad input' })).rejects.toThrow('bad input');
    expect((await worker.call(echo(1))).threadId).toBe(before.threadId);
    expect(crashes).toEqual([]);
    expect(worker.restarts).toBe(0);
    await worker.dispose();
  });

  it('should run onStart on every fresh worker before any call, and retry a failed start on the next call', async () => {
    const starts: number[] = [];
    let failNext = true;
    const { worker } = crashy({
      onStart: async (send) => {
        const { threadId } = await send(echo(-1));
        if (failNext) {
          failNext = false;
          throw new Error('model did not load');
        }
        starts.push(threadId);
      },
    });
    await expect(worker.call(echo(1))).rejects.toThrow('model did not load');
    expect(worker.running).toBe(false);
    const first = await worker.call(echo(2));
    expect(starts).toEqual([first.threadId]);
    const inFlight = worker.call(echo(3, 200));
    await worker.restart();
    const second = await inFlight;
    expect(starts).toEqual([first.threadId, second.threadId]);
    expect(worker.restarts).toBe(1);
    await worker.dispose();
  });

  it('should reject an aborted call at once and keep the worker for the others', async () => {
    const { worker } = crashy();
    const controller = new AbortController();
    const slow = worker.call(echo(1, 300), { signal: controller.signal });
    const other = worker.call(echo(2, 50));
    controller.abort(new Error('job cancelled'));
    await expect(slow).rejects.toThrow('job cancelled');
    expect((await other).value).toBe(2);
    await expect(worker.call(echo(3), { signal: controller.signal })).rejects.toThrow('job cancelled');
    await worker.dispose();
  });

  it('should reject calls in flight and after dispose, and dispose twice safely', async () => {
    const { worker, crashes } = crashy();
    await worker.start();
    const inFlight = expect(worker.call(echo(1, 300))).rejects.toThrow('the test worker was disposed');
    await worker.dispose();
    await inFlight;
    await expect(worker.call(echo(2))).rejects.toThrow('the test worker was disposed');
    await expect(worker.start()).rejects.toThrow('disposed');
    await worker.dispose();
    expect(crashes).toEqual([]);
    expect(worker.running).toBe(false);
  });
});
