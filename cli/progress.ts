// How a job's progress is shown on stderr: a bar per image on a terminal, plain
// lines when stderr is a file or pipe (so logs stay readable), nothing for --json.
import { MultiBar, type SingleBar } from 'cli-progress';

/**
 * Decode passes of the default model pack. The API does not say how many passes a
 * job will run (the origin's pack decides), so the bars start at this and grow if a
 * job reports more; a finished job fills its bars whatever the count.
 */
export const ASSUMED_PASSES = 4;

export type ProgressMode = 'bars' | 'lines' | 'off';

/** LUMEN_PROGRESS (always, plain, off) overrides; otherwise bars only on a terminal, and none with --json. */
export function progressMode(json: boolean, env: NodeJS.ProcessEnv, stderr: { isTTY?: boolean }): ProgressMode {
  const forced = env.LUMEN_PROGRESS;
  if (forced === 'always') return 'bars';
  if (forced === 'plain') return 'lines';
  if (forced === 'off' || json) return 'off';
  return stderr.isTTY ? 'bars' : 'lines';
}

export interface QueueState {
  position: number | null;
  etaSeconds: number | undefined;
}

export interface ProgressView {
  created(jobId: string, images: number): void;
  queued(state: QueueState): void;
  started(attempt: number): void;
  /** Image `imageIndex` (or every image, for a job-wide pass) has finished pass `pass`. */
  pass(imageIndex: number | 'all', pass: number): void;
  requeued(resumeFromPass: number, reason: string): void;
  completed(): void;
  /** A line for the user, shown without breaking the bars. */
  note(line: string): void;
  stop(): void;
}

export function createProgressView(mode: ProgressMode, stderr: NodeJS.WriteStream): ProgressView {
  if (mode === 'bars') return new BarsView(stderr);
  if (mode === 'lines') return new LinesView((line) => stderr.write(`${line}\n`));
  return new SilentView();
}

function queueText({ position, etaSeconds }: QueueState): string {
  const ahead = position === null ? 'queued' : position === 0 ? 'queued, next in line' : `queued, ${position} ahead`;
  return etaSeconds === undefined ? ahead : `${ahead}, about ${formatSeconds(etaSeconds)}`;
}

export function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.max(0, Math.round(seconds))} s`;
  return `${Math.round(seconds / 60)} min`;
}

class SilentView implements ProgressView {
  created(): void {}
  queued(): void {}
  started(): void {}
  pass(): void {}
  requeued(): void {}
  completed(): void {}
  note(): void {}
  stop(): void {}
}

/** Plain lines, each printed only when something changed. */
class LinesView implements ProgressView {
  #passes: number[] = [];
  #jobPass = 0;
  #lastQueue = '';

  constructor(private readonly print: (line: string) => void) {}

  created(jobId: string, images: number): void {
    this.#passes = Array.from({ length: images }, () => 0);
    this.print(`job ${jobId}: ${images} image${images === 1 ? '' : 's'}`);
  }

  queued(state: QueueState): void {
    const text = queueText(state);
    if (text !== this.#lastQueue) this.print(text);
    this.#lastQueue = text;
  }

  started(attempt: number): void {
    this.#lastQueue = '';
    this.print(attempt > 1 ? `rendering (attempt ${attempt})` : 'rendering');
  }

  pass(imageIndex: number | 'all', pass: number): void {
    const total = Math.max(ASSUMED_PASSES, pass);
    if (imageIndex === 'all') {
      if (pass <= this.#jobPass) return;
      this.#jobPass = pass;
      this.#passes = this.#passes.map((done) => Math.max(done, pass));
      this.print(`pass ${pass}/${total} done`);
      return;
    }
    if (pass <= (this.#passes[imageIndex] ?? 0)) return;
    this.#passes[imageIndex] = pass;
    this.print(`image ${imageIndex + 1}: pass ${pass}/${total}`);
  }

  requeued(resumeFromPass: number, reason: string): void {
    this.print(`requeued (${reason}); resuming after pass ${resumeFromPass}`);
  }

  completed(): void {
    this.print('done');
  }

  note(line: string): void {
    this.print(line);
  }

  stop(): void {}
}

/** One cli-progress bar per image; the state column says queued, rendering or done. */
class BarsView implements ProgressView {
  readonly #multibar: MultiBar;
  #bars: SingleBar[] = [];
  #values: number[] = [];
  #total = ASSUMED_PASSES;
  #stopped = false;

  constructor(stream: NodeJS.WriteStream) {
    this.#multibar = new MultiBar({
      stream,
      format: ' image {image} |{bar}| pass {value}/{total}  {state}',
      barCompleteChar: '█',
      barIncompleteChar: '░',
      barsize: 30,
      hideCursor: true,
      gracefulExit: false,
      // LUMEN_PROGRESS=always on a non-terminal: cli-progress then prints each frame as lines.
      noTTYOutput: !stream.isTTY,
      notTTYSchedule: 250,
    });
  }

  created(_jobId: string, images: number): void {
    this.#values = Array.from({ length: images }, () => 0);
    this.#bars = this.#values.map((_, index) =>
      this.#multibar.create(this.#total, 0, { image: images > 1 ? `${index + 1}/${images}` : '1', state: 'submitted' }),
    );
  }

  queued(state: QueueState): void {
    this.#setState(queueText(state));
  }

  started(attempt: number): void {
    this.#setState(attempt > 1 ? `rendering (attempt ${attempt})` : 'rendering');
  }

  pass(imageIndex: number | 'all', pass: number): void {
    if (pass > this.#total) {
      this.#total = pass;
      for (const bar of this.#bars) bar.setTotal(pass);
    }
    const indexes = imageIndex === 'all' ? this.#values.map((_, index) => index) : [imageIndex];
    for (const index of indexes) {
      const bar = this.#bars[index];
      if (!bar || pass <= (this.#values[index] ?? 0)) continue;
      this.#values[index] = pass;
      bar.update(pass);
    }
  }

  requeued(resumeFromPass: number, reason: string): void {
    this.note(`requeued (${reason}); resuming after pass ${resumeFromPass}`);
    this.#setState(`requeued, resuming after pass ${resumeFromPass}`);
  }

  completed(): void {
    for (const [index, bar] of this.#bars.entries()) {
      this.#values[index] = this.#total;
      bar.update(this.#total, { state: 'done' });
    }
  }

  note(line: string): void {
    if (this.#stopped) return;
    this.#multibar.log(`${line}\n`);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#multibar.stop();
  }

  #setState(state: string): void {
    for (const bar of this.#bars) bar.update({ state });
  }
}
