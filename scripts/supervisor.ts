// Keeps the children of `npm start` alive: a child that exits (or stops
// answering its health check) is started again after an exponential backoff,
// until stop() is called. Only stop() ends a child on purpose.
import { setTimeout as sleep } from 'node:timers/promises';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What a start function hands back: a running child the supervisor can watch and end. */
export interface Supervisable {
  readonly pid: number | undefined;
  /** Resolves once, when the process has exited for whatever reason. */
  readonly ended: Promise<ExitStatus>;
  /** Asks politely, then forces after `graceMs`. */
  stop(graceMs: number): Promise<void>;
  /** Ends it at once, with anything it left behind. */
  kill(): Promise<void>;
}

export interface BackoffPolicy {
  /** Wait before the first restart after a crash. */
  initialMs: number;
  /** Each further consecutive crash multiplies the wait by this. */
  factor: number;
  maxMs: number;
  /** A child that stayed up this long is healthy again: its next crash restarts after `initialMs`. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, factor: 2, maxMs: 30_000, resetAfterMs: 60_000 };

/** The wait before restart number `consecutiveFailures` (1 for the first crash in a row). */
export function backoffDelay(policy: BackoffPolicy, consecutiveFailures: number): number {
  const exponent = Math.max(0, consecutiveFailures - 1);
  return Math.min(policy.maxMs, policy.initialMs * policy.factor ** exponent);
}

/** A probe for children that can hang without exiting, like wrangler whose workerd died. */
export interface HealthCheck {
  probe(): Promise<boolean>;
  intervalMs: number;
  /** Consecutive failed probes before the child is killed and restarted. */
  failuresBeforeRestart: number;
}

export interface ChildSpec<P extends Supervisable = Supervisable> {
  name: string;
  /** Starts the child and resolves once it is ready; a rejection counts as a crash. `signal` aborts when stop() is called. */
  start(signal: AbortSignal): Promise<P>;
  backoff?: Partial<BackoffPolicy>;
  health?: HealthCheck;
  /** How long stop() waits for this child before forcing it. */
  stopGraceMs?: number;
}

export interface ChildState {
  name: string;
  pid: number | null;
  status: 'running' | 'restarting' | 'stopped';
  restarts: number;
  /** ms since the epoch when the current process became ready. */
  startedAt: number | null;
  lastExit: (ExitStatus & { at: number }) | null;
}

export interface SupervisorOptions {
  log(line: string): void;
  /** Called after every start, exit and restart, e.g. to write a pid file. */
  onChange?(children: ChildState[]): void;
}

interface Entry {
  spec: ChildSpec;
  policy: BackoffPolicy;
  process: Supervisable | undefined;
  state: ChildState;
  /** A start in progress, which stop() must wait for so it can end what it starts. */
  starting: Promise<unknown> | undefined;
}

export function describeExit({ code, signal }: ExitStatus): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export class Supervisor {
  readonly #entries: Entry[] = [];
  readonly #stopSignal = new AbortController();
  readonly #log: (line: string) => void;
  readonly #onChange: ((children: ChildState[]) => void) | undefined;
  #stopped: Promise<void> | undefined;

  constructor(options: SupervisorOptions) {
    this.#log = options.log;
    this.#onChange = options.onChange;
  }

  get stopping(): boolean {
    return this.#stopSignal.signal.aborted;
  }

  children(): ChildState[] {
    return this.#entries.map((entry) => ({ ...entry.state }));
  }

  /** The child's current process (it changes with every restart). */
  current(name: string): Supervisable | undefined {
    return this.#entries.find((entry) => entry.spec.name === name)?.process;
  }

  /**
   * Starts a child and supervises it from then on. The first start is not
   * retried: if it fails, the caller hears of it, since that is usually a
   * configuration error rather than a crash.
   */
  async add<P extends Supervisable>(spec: ChildSpec<P>): Promise<P> {
    if (this.stopping) throw new Error(`cannot add ${spec.name}: the supervisor is stopping`);
    const entry: Entry = {
      spec,
      policy: { ...DEFAULT_BACKOFF, ...spec.backoff },
      process: undefined,
      state: { name: spec.name, pid: null, status: 'restarting', restarts: 0, startedAt: null, lastExit: null },
      starting: undefined,
    };
    this.#entries.push(entry);
    let first: P | undefined;
    try {
      first = await this.#startOnce(entry, spec.start, false);
    } catch (error) {
      this.#entries.splice(this.#entries.indexOf(entry), 1);
      throw error;
    }
    if (!first) throw new Error(`${spec.name} started while the supervisor was stopping`);
    void this.#watch(entry);
    return first;
  }

  /** Stops every child, the last added first, and restarts nothing from then on. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopSignal.abort();
      for (const entry of [...this.#entries].reverse()) {
        await entry.starting;
        await entry.process?.stop(entry.spec.stopGraceMs ?? 10_000);
        entry.state = { ...entry.state, status: 'stopped', pid: null };
        this.#changed();
      }
    })();
    return this.#stopped;
  }

  /**
   * One start, which records the new process as the entry's current one; a child that comes up after
   * stop() began is stopped again at once instead. stop() waits on `entry.starting`, which settles only
   * after either, so no child outlives the supervisor.
   */
  async #startOnce<P extends Supervisable>(entry: Entry, start: (signal: AbortSignal) => Promise<P>, isRestart: boolean): Promise<P | undefined> {
    const attempt = (async () => {
      const started = await start(this.#stopSignal.signal);
      if (this.stopping) {
        await started.stop(entry.spec.stopGraceMs ?? 10_000);
        return undefined;
      }
      if (isRestart) entry.state = { ...entry.state, restarts: entry.state.restarts + 1 };
      this.#running(entry, started);
      return started;
    })();
    entry.starting = attempt.catch(() => undefined);
    try {
      return await attempt;
    } finally {
      entry.starting = undefined;
    }
  }

  #running(entry: Entry, process: Supervisable): void {
    entry.process = process;
    entry.state = { ...entry.state, status: 'running', pid: process.pid ?? null, startedAt: Date.now() };
    this.#changed();
  }

  #changed(): void {
    this.#onChange?.(this.children());
  }

  async #watch(entry: Entry): Promise<void> {
    const { name } = entry.spec;
    let failures = 0;
    while (entry.process) {
      const process = entry.process;
      const stopWatching = this.#watchHealth(entry, process);
      const exit = await process.ended;
      stopWatching();
      if (this.stopping) return;
      const uptimeMs = Date.now() - (entry.state.startedAt ?? Date.now());
      if (uptimeMs >= entry.policy.resetAfterMs) failures = 0;
      // wrangler's workerd may outlive wrangler and keep the port: end the whole group before starting anew.
      await process.kill();
      entry.process = undefined;
      entry.state = { ...entry.state, status: 'restarting', pid: null, lastExit: { ...exit, at: Date.now() } };
      this.#changed();
      this.#log(`${name} (pid ${process.pid}) exited unexpectedly (${describeExit(exit)}) after ${seconds(uptimeMs)}`);

      for (let attempt = 1; !entry.process; attempt++) {
        failures += 1;
        const delayMs = backoffDelay(entry.policy, failures);
        this.#log(`restarting ${name} in ${seconds(delayMs)} (restart ${entry.state.restarts + 1}${attempt > 1 ? `, attempt ${attempt}` : ''})`);
        try {
          await sleep(delayMs, undefined, { signal: this.#stopSignal.signal });
        } catch {
          return; // stopping
        }
        try {
          const next = await this.#startOnce(entry, entry.spec.start, true);
          if (!next) return; // stopping
          this.#log(`${name} restarted (pid ${next.pid}, restart ${entry.state.restarts})`);
        } catch (error) {
          if (this.stopping) return;
          this.#log(`${name} failed to start: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  }

  /** Probes the child while it runs and kills it after too many failures in a row; returns the canceller. */
  #watchHealth(entry: Entry, process: Supervisable): () => void {
    const health = entry.spec.health;
    if (!health) return () => undefined;
    let failedInARow = 0;
    let probing = false;
    const timer = setInterval(() => {
      if (probing || this.stopping) return;
      probing = true;
      void health
        .probe()
        .catch(() => false)
        .then(async (healthy) => {
          failedInARow = healthy ? 0 : failedInARow + 1;
          if (failedInARow === health.failuresBeforeRestart && !this.stopping && entry.process === process) {
            this.#log(`${entry.spec.name} (pid ${process.pid}) failed ${failedInARow} health checks in a row; killing it`);
            await process.kill();
          }
        })
        .finally(() => {
          probing = false;
        });
    }, health.intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
