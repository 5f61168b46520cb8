import { describe, expect, it } from 'vitest';
import { TurnQueue } from '../../plugins/sdk/index.js';

/** A task that runs until `finish()` is called, recording when it started. */
function heldTask(name: string, started: string[]) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    task: async () => {
      started.push(name);
      await done;
      return name;
    },
    finish: () => finish(),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnQueue', () => {
  it('should run one task at a time, the others before the low-priority ones, each in arrival order', async () => {
    const queue = new TurnQueue();
    const started: string[] = [];
    const tasks = ['first', 'low a', 'normal a', 'low b', 'normal b'].map((name) => ({ name, ...heldTask(name, started) }));
    const results = tasks.map(({ name, task }) => queue.run(task, { lowPriority: name.startsWith('low') }));
    await settle();
    expect(started).toEqual(['first']);
    expect(queue.waiting).toBe(4);
    for (const expected of ['normal a', 'normal b', 'low a', 'low b']) {
      const running = tasks.find(({ name }) => name === started.at(-1))!;
      running.finish();
      await settle();
      expect(started.at(-1)).toBe(expected);
    }
    tasks.find(({ name }) => name === 'low b')!.finish();
    expect(await Promise.all(results)).toEqual(tasks.map(({ name }) => name));
    expect(queue.waiting).toBe(0);
  });

  it('should let a low-priority task that has waited its limit go before newer ones', async () => {
    const queue = new TurnQueue({ maxLowPriorityWaitMs: 30 });
    const started: string[] = [];
    const first = heldTask('first', started);
    const low = heldTask('low', started);
    const normal = heldTask('normal', started);
    const running = queue.run(first.task);
    const waitingLow = queue.run(low.task, { lowPriority: true });
    await new Promise((resolve) => setTimeout(resolve, 40));
    const waitingNormal = queue.run(normal.task);
    first.finish();
    await settle();
    expect(started).toEqual(['first', 'low']);
    low.finish();
    await settle();
    normal.finish();
    await Promise.all([running, waitingLow, waitingNormal]);
    expect(started).toEqual(['first', 'low', 'normal']);
  });

  it('should drop a waiting task whose signal aborts, and pass the turn on after a task that throws', async () => {
    const queue = new TurnQueue();
    const started: string[] = [];
    const first = heldTask('first', started);
    const controller = new AbortController();
    const running = queue.run(first.task);
    const aborted = queue.run(async () => started.push('aborted'), { signal: controller.signal });
    const failing = queue.run(async () => {
      started.push('failing');
      throw new Error('stage broke');
    });
    const last = queue.run(async () => started.push('last'));
    controller.abort(new Error('job cancelled'));
    await expect(aborted).rejects.toThrow('job cancelled');
    expect(queue.waiting).toBe(2);
    first.finish();
    await running;
    await expect(failing).rejects.toThrow('stage broke');
    await last;
    expect(started).toEqual(['first', 'failing', 'last']);
    await expect(queue.run(async () => 1, { signal: AbortSignal.abort(new Error('already')) })).rejects.toThrow('already');
    expect(() => new TurnQueue({ maxLowPriorityWaitMs: -1 })).toThrow(RangeError);
  });
});
