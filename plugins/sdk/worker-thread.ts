// A request/reply client for one worker thread that survives the worker's
// death, and the other half that a worker module runs. CPU-heavy stages (model
// inference, classifiers) run in a worker so the host's event loop stays free;
// both built-in ones use this, so a crash is handled the same way everywhere.
import { parentPort, Worker, type TransferListItem } from 'node:worker_threads';

/** Host → worker: one call, numbered so its answer can find it. */
interface CallEnvelope<Request> {
  readonly id: number;
  readonly request: Request;
}

/** Worker → host: the answer to call `id`. */
type AnswerEnvelope<Reply> = { readonly id: number; readonly ok: true; readonly reply: Reply } | { readonly id: number; readonly ok: false; readonly message: string };

export interface WorkerThreadOptions<Request, Reply> {
  /** Names the worker in errors, e.g. `'inference worker'`. */
  readonly name: string;
  /**
   * The worker's entry module, as a file URL: `new URL('./my-worker.ts', import.meta.url)`.
   * It calls {@link serveWorkerThread}. A `.ts` module is loaded through tsx.
   */
  readonly module: URL;
  /**
   * Runs on every fresh worker before any call reaches it, e.g. to load a model;
   * `send` calls that worker. If it rejects, the worker is ended, the calls
   * waiting for it reject with that error, and the next call starts another.
   */
  readonly onStart?: (send: (request: Request) => Promise<Reply>) => Promise<void>;
  /** Told why a worker died of itself (an uncaught error, an exit); calls in flight go on on a fresh worker. */
  readonly onCrash?: (reason: Error) => void;
}

export interface WorkerCallOptions {
  /** Rejects the call with the signal's reason when it aborts; the worker's answer is then dropped. */
  readonly signal?: AbortSignal;
}

interface PendingCall<Request, Reply> {
  readonly request: Request;
  /** Whether a worker's death may send it again: once per call, never for `onStart`'s own calls. */
  retriable: boolean;
  /** Whether the current worker has been sent it (else it waits for the worker to finish starting). */
  posted: boolean;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: unknown) => void;
}

/** One worker and the calls bound to it. */
interface Incarnation<Request, Reply> {
  readonly worker: Worker;
  /** Settles when `onStart` has finished on this worker. */
  started: Promise<void>;
  ready: boolean;
  dead: Error | undefined;
  readonly calls: Map<number, PendingCall<Request, Reply>>;
}

/** Node does not apply `--import tsx` to a worker's entry module, so a one-line bootstrap registers tsx first. */
function spawnWorker(module: URL): Worker {
  if (!/\.[cm]?ts$/.test(module.pathname)) return new Worker(module);
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/**
 * Calls a worker thread and keeps one alive. Each call carries an id, so any
 * number may be in flight at once. When the worker dies, the calls it was
 * answering go to a fresh worker, once each: a call whose second worker dies
 * too rejects, naming the worker. Later calls start a new worker as needed.
 *
 * The worker starts on the first call (or `start()`), and holds the process
 * open only while a call is in flight or it is starting; call `dispose` to end it.
 *
 * Requests are copied to the worker, never transferred, so that an interrupted
 * call can be sent again as it was. Replies may transfer their buffers.
 *
 * @example
 * const worker = new WorkerThread<BlurRequest, BlurReply>({ name: 'blur worker', module: new URL('./blur-worker.ts', import.meta.url) });
 * const reply = await worker.call({ pixels, radius: 3 }, { signal: ctx.signal });
 */
export class WorkerThread<Request, Reply> {
  readonly #options: WorkerThreadOptions<Request, Reply>;
  #current: Incarnation<Request, Reply> | undefined;
  #disposed: Error | undefined;
  #nextId = 1;
  #restarts = 0;
  /** A worker died with calls to carry on, so the next one started replaces it. */
  #replacing = false;

  constructor(options: WorkerThreadOptions<Request, Reply>) {
    this.#options = options;
  }

  /** How many workers were started to replace one that died or was restarted. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Whether a worker is running or starting. */
  get running(): boolean {
    return this.#current !== undefined;
  }

  /** Sends `request` to the worker and resolves with its reply; rejects with the worker's error if its handler threw. */
  call(request: Request, { signal }: WorkerCallOptions = {}): Promise<Reply> {
    if (this.#disposed) return Promise.reject(this.#disposed);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Reply>((resolve, reject) => {
      const onAbort = () => {
        if (this.#forget(call)) reject(signal?.reason);
      };
      const call: PendingCall<Request, Reply> = {
        request,
        retriable: true,
        posted: false,
        resolve: (reply) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(reply);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#dispatch(call);
    });
  }

  /** Starts a worker now unless one is running, and resolves once it is ready (its `onStart` done). */
  async start(): Promise<void> {
    if (this.#disposed) throw this.#disposed;
    const incarnation = this.#current ?? this.#spawn();
    await incarnation.started;
  }

  /**
   * Ends the current worker as a crash would: calls in flight go on on a fresh
   * one (each still at most once more). For a watchdog that finds the worker stuck.
   */
  async restart(): Promise<void> {
    const incarnation = this.#current;
    if (!incarnation) return;
    this.#die(incarnation, new Error(`the ${this.#options.name} was restarted`), true);
    await incarnation.worker.terminate();
  }

  /** Ends the worker; calls in flight and later calls reject. Safe to call twice. */
  async dispose(): Promise<void> {
    this.#disposed ??= new Error(`the ${this.#options.name} was disposed`);
    const incarnation = this.#current;
    if (!incarnation) return;
    this.#die(incarnation, this.#disposed, false);
    await incarnation.worker.terminate();
  }

  #spawn(): Incarnation<Request, Reply> {
    const { name, module, onStart, onCrash } = this.#options;
    if (this.#replacing) {
      this.#replacing = false;
      this.#restarts++;
    }
    const worker = spawnWorker(module);
    const incarnation: Incarnation<Request, Reply> = { worker, started: Promise.resolve(), ready: false, dead: undefined, calls: new Map() };
    this.#current = incarnation;
    worker.on('message', (answer: AnswerEnvelope<Reply>) => {
      const call = incarnation.calls.get(answer.id);
      if (!call) return; // aborted, or its worker already given up on
      incarnation.calls.delete(answer.id);
      this.#refreshHold(incarnation);
      if (answer.ok) call.resolve(answer.reply);
      else call.reject(new Error(answer.message));
    });
    const crashed = (reason: Error) => {
      if (incarnation.dead) return;
      onCrash?.(reason);
      this.#die(incarnation, reason, true);
    };
    worker.on('error', (error) => crashed(new Error(`the ${name} crashed: ${error.message}`)));
    worker.on('exit', (code) => crashed(new Error(`the ${name} exited with code ${code}`)));

    const send = (request: Request) =>
      new Promise<Reply>((resolve, reject) => {
        if (incarnation.dead) return reject(incarnation.dead);
        const call: PendingCall<Request, Reply> = { request, retriable: false, posted: false, resolve, reject };
        this.#post(incarnation, this.#nextId++, call);
      });
    const started = (async () => onStart?.(send))();
    incarnation.started = started.then(
      () => {
        if (incarnation.dead) throw incarnation.dead;
        incarnation.ready = true;
        for (const [id, call] of incarnation.calls) if (!call.posted) this.#post(incarnation, id, call);
        this.#refreshHold(incarnation);
      },
      (error: unknown) => {
        const reason = error instanceof Error ? error : new Error(String(error));
        if (!incarnation.dead) {
          this.#die(incarnation, reason, false);
          void worker.terminate();
        }
        throw incarnation.dead ?? reason;
      },
    );
    incarnation.started.catch(() => undefined); // whoever waits on it hears of the failure
    this.#refreshHold(incarnation);
    return incarnation;
  }

  #dispatch(call: PendingCall<Request, Reply>): void {
    if (this.#disposed) return call.reject(this.#disposed);
    let incarnation: Incarnation<Request, Reply>;
    try {
      incarnation = this.#current ?? this.#spawn();
    } catch (error) {
      return call.reject(error); // the module cannot start a thread at all; this may run in a dead worker's exit handler
    }
    const id = this.#nextId++;
    call.posted = false;
    if (incarnation.ready) {
      this.#post(incarnation, id, call);
    } else {
      incarnation.calls.set(id, call);
      this.#refreshHold(incarnation);
    }
  }

  #post(incarnation: Incarnation<Request, Reply>, id: number, call: PendingCall<Request, Reply>): void {
    incarnation.calls.set(id, call);
    call.posted = true;
    try {
      incarnation.worker.postMessage({ id, request: call.request } satisfies CallEnvelope<Request>);
    } catch (error) {
      incarnation.calls.delete(id);
      call.reject(error); // e.g. a request that cannot be cloned
    }
    this.#refreshHold(incarnation);
  }

  /** Drops a call from whichever worker holds it; false if it had already settled. */
  #forget(call: PendingCall<Request, Reply>): boolean {
    const incarnation = this.#current;
    if (!incarnation) return false;
    for (const [id, pending] of incarnation.calls) {
      if (pending !== call) continue;
      incarnation.calls.delete(id);
      this.#refreshHold(incarnation);
      return true;
    }
    return false;
  }

  /**
   * Gives up on a worker. With `failover`, calls it had been sent go on on a
   * fresh worker if they have not been retried yet; every other call rejects.
   */
  #die(incarnation: Incarnation<Request, Reply>, reason: Error, failover: boolean): void {
    if (incarnation.dead) return;
    incarnation.dead = reason;
    if (this.#current === incarnation) this.#current = undefined;
    const calls = [...incarnation.calls.values()];
    incarnation.calls.clear();
    incarnation.worker.unref();
    const carryOn = failover && incarnation.ready && !this.#disposed;
    if (carryOn) this.#replacing = true;
    for (const call of calls) {
      if (carryOn && call.posted && call.retriable) {
        call.retriable = false;
        this.#dispatch(call);
      } else if (carryOn && call.posted) {
        call.reject(new Error(`the ${this.#options.name} died twice during one call, so it is not retried again: ${reason.message}`));
      } else {
        call.reject(reason);
      }
    }
  }

  /** The worker keeps the process alive only while it is starting or answering. */
  #refreshHold(incarnation: Incarnation<Request, Reply>): void {
    if (incarnation.dead) return;
    if (!incarnation.ready || incarnation.calls.size > 0) incarnation.worker.ref();
    else incarnation.worker.unref();
  }
}

export interface ServeWorkerThreadOptions<Reply> {
  /** The buffers of a reply to move to the host rather than copy (they become unusable in the worker). */
  readonly transfer?: (reply: Reply) => readonly TransferListItem[];
}

/**
 * The worker side of {@link WorkerThread}: answers every call with `handle`,
 * concurrently. A rejection becomes the call's error on the host, and does not
 * end the worker. Call it once, from the worker's entry module.
 */
export function serveWorkerThread<Request, Reply>(handle: (request: Request) => Reply | Promise<Reply>, { transfer }: ServeWorkerThreadOptions<Reply> = {}): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorkerThread must run in a worker thread (one a WorkerThread started)');
  port.on('message', ({ id, request }: CallEnvelope<Request>) => {
    (async () => handle(request))().then(
      (reply) => port.postMessage({ id, ok: true, reply } satisfies AnswerEnvelope<Reply>, [...(transfer?.(reply) ?? [])]),
      (error: unknown) => port.postMessage({ id, ok: false, message: error instanceof Error ? error.message : String(error) } satisfies AnswerEnvelope<Reply>),
    );
  });
}
