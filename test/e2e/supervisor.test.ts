import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ManagedProcess } from '../../scripts/local-stack.js';
import { backoffDelay, DEFAULT_BACKOFF, Supervisor, type ChildState } from '../../scripts/supervisor.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A tiny real child process running `script`, ready as soon as it has spawned. */
async function nodeChild(script: string): Promise<ManagedProcess> {
  const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return new ManagedProcess('tiny', child);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const FOREVER = 'setInterval(() => {}, 1000)';

describe('Supervisor', () => {
  let supervisor: Supervisor | undefined;
  afterEach(async () => {
    await supervisor?.stop();
    supervisor = undefined;
  });

  function supervise(onChange?: (children: ChildState[]) => void) {
    const lines: { at: number; line: string }[] = [];
    supervisor = new Supervisor({ log: (line) => lines.push({ at: Date.now(), line }), onChange });
    return { supervisor, lines };
  }

  it('should double the wait between restarts up to the cap', () => {
    const policy = { ...DEFAULT_BACKOFF, initialMs: 500, factor: 2, maxMs: 30_000 };
    expect([1, 2, 3, 4, 7, 8, 20].map((n) => backoffDelay(policy, n))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
  });

  it('should restart a child that keeps crashing, with growing backoff, logging its exit code', async () => {
    const { supervisor, lines } = supervise();
    let starts = 0;
    await supervisor.add({
      name: 'crasher',
      start: () => {
        starts += 1;
        return nodeChild('setTimeout(() => process.exit(3), 30)');
      },
      backoff: { initialMs: 100, factor: 2, maxMs: 400, resetAfterMs: 60_000 },
    });
    await until('four restarts', () => (supervisor.children()[0]!.restarts >= 4 ? true : undefined));
    const text = lines.map((entry) => entry.line);
    expect(text.filter((line) => /crasher \(pid \d+\) exited unexpectedly \(exit code 3\)/.test(line)).length).toBeGreaterThanOrEqual(4);
    const waits = text.filter((line) => line.startsWith('restarting crasher in ')).slice(0, 4);
    expect(waits).toEqual([
      'restarting crasher in 0.1 s (restart 1)',
      'restarting crasher in 0.2 s (restart 2)',
      'restarting crasher in 0.4 s (restart 3)',
      'restarting crasher in 0.4 s (restart 4)',
    ]);
    // The wait is real: between the third exit and the third restart at least 0.4 s pass.
    const exits = lines.filter((entry) => entry.line.includes('exited unexpectedly'));
    const restarts = lines.filter((entry) => /crasher restarted/.test(entry.line));
    expect(restarts[2]!.at - exits[2]!.at).toBeGreaterThanOrEqual(390);
    expect(starts).toBeGreaterThanOrEqual(5);
  });

  it('should log the signal of a killed child and record the new pid', async () => {
    const snapshots: ChildState[][] = [];
    const { supervisor, lines } = supervise((children) => snapshots.push(children));
    const first = await supervisor.add({ name: 'victim', start: () => nodeChild(FOREVER), backoff: { initialMs: 50 } });
    const firstPid = first.pid!;
    process.kill(firstPid, 'SIGKILL');
    const restarted = await until('the restart', () => {
      const state = supervisor.children()[0]!;
      return state.status === 'running' && state.pid !== firstPid ? state : undefined;
    });
    expect(lines.some((entry) => entry.line.startsWith(`victim (pid ${firstPid}) exited unexpectedly (killed by SIGKILL)`))).toBe(true);
    expect(restarted.restarts).toBe(1);
    expect(restarted.lastExit).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(alive(restarted.pid!)).toBe(true);
    expect(supervisor.current('victim')?.pid).toBe(restarted.pid);
    // Every change reached the listener: running, restarting, running again.
    expect(snapshots.map((children) => children[0]!.status)).toEqual(['running', 'restarting', 'running']);
  });

  it('should start over from the shortest wait once a child has stayed up long enough', async () => {
    const { supervisor, lines } = supervise();
    await supervisor.add({
      name: 'steady',
      start: () => nodeChild('setTimeout(() => process.exit(1), 300)'),
      backoff: { initialMs: 50, factor: 4, maxMs: 10_000, resetAfterMs: 200 },
    });
    await until('three restarts', () => (supervisor.children()[0]!.restarts >= 3 ? true : undefined));
    const waits = lines.map((entry) => entry.line).filter((line) => line.startsWith('restarting steady in '));
    expect(waits.slice(0, 3).every((line) => line.startsWith('restarting steady in 0.1 s') || line.startsWith('restarting steady in 0.0 s'))).toBe(true);
  });

  it('should retry a restart whose start function fails', async () => {
    const { supervisor, lines } = supervise();
    let starts = 0;
    const first = await supervisor.add({
      name: 'flaky',
      start: async () => {
        starts += 1;
        if (starts === 2 || starts === 3) throw new Error(`port still busy (${starts})`);
        return nodeChild(FOREVER);
      },
      backoff: { initialMs: 20, factor: 2 },
    });
    await first.kill();
    await until('a running child again', () => (supervisor.children()[0]!.restarts === 1 && supervisor.children()[0]!.status === 'running' ? true : undefined));
    expect(lines.map((entry) => entry.line).filter((line) => line.includes('failed to start'))).toEqual([
      'flaky failed to start: port still busy (2)',
      'flaky failed to start: port still busy (3)',
    ]);
    expect(lines.some((entry) => entry.line === 'restarting flaky in 0.1 s (restart 1, attempt 3)')).toBe(true); // third wait: 20·2² ms
  });

  it('should kill and restart a child that is alive but fails its health check', async () => {
    const { supervisor, lines } = supervise();
    let healthy = true;
    const first = await supervisor.add({
      name: 'hung',
      start: () => nodeChild(FOREVER),
      backoff: { initialMs: 20 },
      health: { probe: async () => healthy, intervalMs: 30, failuresBeforeRestart: 3 },
    });
    await sleep(200);
    expect(supervisor.children()[0]!.restarts).toBe(0);
    healthy = false;
    await until('the hung child to be killed', () => (first.running ? undefined : true));
    healthy = true;
    await until('the restart', () => (supervisor.children()[0]!.restarts === 1 ? true : undefined));
    expect(lines.some((entry) => entry.line === `hung (pid ${first.pid}) failed 3 health checks in a row; killing it`)).toBe(true);
    expect(lines.some((entry) => entry.line.startsWith(`hung (pid ${first.pid}) exited unexpectedly (killed by SIGKILL)`))).toBe(true);
  });

  it('should leave children running until stop(), then stop them last-added first and restart nothing', async () => {
    const { supervisor, lines } = supervise();
    const stopOrder: string[] = [];
    const named = (name: string) => async () => {
      const child = await nodeChild(FOREVER);
      void child.ended.then(() => stopOrder.push(name));
      return child;
    };
    const gateway = await supervisor.add({ name: 'gateway', start: named('gateway'), backoff: { initialMs: 10 } });
    const origin = await supervisor.add({ name: 'origin', start: named('origin'), backoff: { initialMs: 10 } });
    await sleep(300);
    expect([alive(gateway.pid!), alive(origin.pid!)]).toEqual([true, true]);
    expect(lines).toEqual([]);

    await supervisor.stop();
    expect(stopOrder).toEqual(['origin', 'gateway']);
    expect([alive(gateway.pid!), alive(origin.pid!)]).toEqual([false, false]);
    await sleep(100);
    expect(supervisor.children().map((child) => [child.status, child.restarts])).toEqual([
      ['stopped', 0],
      ['stopped', 0],
    ]);
    expect(lines).toEqual([]);
    await expect(supervisor.add({ name: 'late', start: () => nodeChild(FOREVER) })).rejects.toThrow(/stopping/);
  });

  it('should end a child whose restart was still starting when stop() was called, before stop() resolves', async () => {
    const { supervisor } = supervise();
    const pids: number[] = [];
    let slow = false;
    let stopSignal: AbortSignal | undefined;
    const first = await supervisor.add({
      name: 'slowstart',
      start: async (signal) => {
        stopSignal = signal;
        const child = await nodeChild(FOREVER);
        pids.push(child.pid!);
        // A start that ignores the abort, like one stuck in its last readiness check.
        if (slow) await sleep(400);
        return child;
      },
      backoff: { initialMs: 10 },
    });
    slow = true;
    await first.kill();
    await until('the restart to be under way', () => (pids.length === 2 ? true : undefined));
    await supervisor.stop();
    expect(stopSignal?.aborted).toBe(true);
    expect(pids.map(alive)).toEqual([false, false]);
    expect(supervisor.children()[0]!.status).toBe('stopped');
  });

  it('should not restart a child that crashes while a stop is under way, nor one waiting out its backoff', async () => {
    const { supervisor } = supervise();
    let starts = 0;
    const first = await supervisor.add({
      name: 'waiting',
      start: () => {
        starts += 1;
        return nodeChild(FOREVER);
      },
      backoff: { initialMs: 500 },
    });
    await first.kill();
    await until('the backoff', () => (supervisor.children()[0]!.status === 'restarting' ? true : undefined));
    await supervisor.stop();
    await sleep(700);
    expect(starts).toBe(1);
    expect(supervisor.children()[0]!.status).toBe('stopped');
  });
});
