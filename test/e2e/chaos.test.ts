// Chaos against `npm start` itself: twelve streamed jobs in flight while the
// origin is SIGKILLed twice and the gateway's workerd once. The supervisor
// must bring every part back, and every job must finish exactly once.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { connectLibsql } from '../../origin-gpu/db.js';
import { freePort, ROOT } from '../../scripts/local-stack.js';
import { until as untilWithin } from './stack.js';

// Enough that some are still waiting when the gateway goes down, however fast the stranded two come back (a loaded machine varies that).
const JOBS = 12;
// 700 ms more per pass, so jobs are still queued and running when the gateway goes down, after both origin crashes.
const SLOW_PIPELINE = fileURLToPath(new URL('./fixtures/slow-pipeline.json', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Chaos waits span restarts, so they get longer than the shared default. */
const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 45_000) => untilWithin(what, probe, timeoutMs);

interface ChildRecord {
  name: string;
  pid: number | null;
  status: 'running' | 'restarting' | 'stopped';
  restarts: number;
}

interface ProcessFile {
  supervisor: number;
  url: string;
  children: ChildRecord[];
}

/** One event of a generation stream, as the SDK hands it over. */
type StreamEvent = { type: string } & Record<string, unknown>;

interface JobEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

interface ClientRecord {
  jobId: string;
  /** What the POST stream delivered, in order. */
  streamEvents: StreamEvent[];
  /** How the POST stream ended. */
  streamEnd: 'completed' | 'error_event' | 'clean_end' | 'cut';
  /** The job's status as the client finally learned it, from the stream or by reconnecting. */
  outcome: string;
}


/** Reads server-sent events (id, event, data) off a fetch body. */
async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ id?: string; event: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let boundary;
    while ((boundary = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const fields: { id?: string; event: string; data: string[] } = { event: 'message', data: [] };
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const name = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'id') fields.id = value;
        else if (name === 'event') fields.event = value;
        else if (name === 'data') fields.data.push(value);
      }
      if (fields.data.length > 0) yield { id: fields.id, event: fields.event, data: fields.data.join('\n') };
    }
  }
}

describe('npm start under chaos', () => {
  let dir: string;
  let supervisorProcess: ChildProcess;
  let supervisorExited: Promise<void>;
  const logs: string[] = [];
  /** Every pid the supervisor ever reported, so afterAll can end strays even if the supervisor is gone. */
  const seenPids = new Set<number>();
  let url: string;
  let proKey: string;

  async function processFile(): Promise<ProcessFile | undefined> {
    try {
      const state = JSON.parse(await readFile(join(dir, 'processes.json'), 'utf8')) as ProcessFile;
      for (const child of state.children) if (child.pid) seenPids.add(child.pid);
      return state;
    } catch {
      return undefined; // not written yet, or being replaced
    }
  }

  async function child(name: string): Promise<ChildRecord> {
    return until(`${name} in processes.json`, async () => (await processFile())?.children.find((entry) => entry.name === name));
  }

  /** Waits until the supervisor reports `name` running again under a pid other than `oldPid`. */
  async function restarted(name: string, oldPid: number): Promise<ChildRecord> {
    return until(`${name} to be restarted`, async () => {
      const current = await child(name);
      return current.status === 'running' && current.pid !== null && current.pid !== oldPid ? current : undefined;
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lumen-chaos-'));
    const [port, apiPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CI: 'true',
      WRANGLER_SEND_METRICS: 'false',
      LUMEN_STATE_DIR: dir,
      LUMEN_HOST: '127.0.0.1',
      LUMEN_PORT: String(port),
      LUMEN_API_PORT: String(apiPort),
      LUMEN_METRICS_PORT: String(metricsPort),
      LUMEN_PIPELINE: SLOW_PIPELINE,
    };
    for (const name of ['LUMEN_PROCESS_FILE', 'LUMEN_DB_URL', 'LUMEN_WORKER_ID', 'LUMEN_SLOTS']) delete env[name];
    // Its own process group, so afterAll can end it whatever state it is in.
    supervisorProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    supervisorExited = new Promise((resolve) => supervisorProcess.once('exit', () => resolve()));
    for (const stream of [supervisorProcess.stdout!, supervisorProcess.stderr!]) createInterface({ input: stream }).on('line', (line) => logs.push(line));
    proKey = await until(
      'the banner with the dev keys',
      () => {
        if (supervisorProcess.exitCode !== null) throw new Error(`npm start exited early:\n${logs.slice(-30).join('\n')}`);
        return logs.map((line) => /pro\s+key \(tenant devpro\): (\S+)/.exec(line)?.[1]).find(Boolean);
      },
      90_000,
    );
    url = `http://127.0.0.1:${port}`;
    const devVars = await readFile(join(dir, '.dev.vars'), 'utf8');
    const adminSecret = /^ADMIN_SECRET=(.+)$/m.exec(devVars)![1]!.trim();
    // Ten at once is over the pro plan's concurrency; this test is about crashes, not limits.
    const limits = await fetch(`${url}/v1/admin/tenants/devpro/limits`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ concurrentJobs: JOBS + 2, imagesPerMinute: 100, requestsPerMinute: 1000 }),
    });
    expect(limits.status).toBe(200);
  }, 100_000);

  afterAll(async () => {
    await processFile();
    if (supervisorProcess?.exitCode === null) {
      process.kill(supervisorProcess.pid!, 'SIGINT');
      await Promise.race([supervisorExited, sleep(25_000)]);
    }
    // Anything still alive after a polite stop is ended by force: the supervisor's group and every child group it reported.
    for (const pid of [supervisorProcess?.pid, ...seenPids]) {
      if (!pid) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 40_000);

  /** Follows a job's event log from `afterId`, reconnecting through outages, until it ends; returns its final status. */
  async function followEvents(jobId: string, deadline: number): Promise<string> {
    let lastEventId = '0';
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`${url}/v1/images/jobs/${jobId}/events`, {
          headers: { authorization: `Bearer ${proKey}`, 'last-event-id': lastEventId },
          signal: AbortSignal.timeout(Math.max(1_000, deadline - Date.now())),
        });
        if (response.ok && response.body) {
          for await (const event of serverSentEvents(response.body)) {
            if (event.id) lastEventId = event.id;
            if (event.event === 'completed') return 'succeeded';
            if (event.event === 'failed' || event.event === 'cancelled') return event.event;
          }
        }
      } catch {
        // the gateway is down or restarting: try again
      }
      await sleep(500);
    }
    return 'timed out';
  }

  async function jobEvents(jobId: string): Promise<JobEvent[]> {
    const response = await fetch(`${url}/v1/images/jobs/${jobId}/events`, { headers: { authorization: `Bearer ${proKey}` } });
    expect(response.status).toBe(200);
    const events: JobEvent[] = [];
    // The job has ended, so the log ends after its last event.
    for await (const event of serverSentEvents(response.body!)) {
      events.push({ seq: Number(event.id), type: event.event, data: JSON.parse(event.data) as Record<string, unknown> });
    }
    return events;
  }

  /** One client: a streamed generation, and if the stream is cut, recovery by the job id from the header. */
  async function streamedClient(index: number, deadline: number, onEvent: (event: StreamEvent) => void, onStreamEnd: () => void): Promise<ClientRecord> {
    const client = new OpenAI({ apiKey: proKey, baseURL: `${url}/v1`, maxRetries: 0, timeout: 110_000 });
    const { data: stream, response } = await client.images
      .generate({ model: 'gpt-image-1', prompt: `a red circle and a blue square, picture ${index}`, size: '1024x1024', stream: true, partial_images: 3 })
      .withResponse();
    const jobId = response.headers.get('lumen-job-id');
    if (!jobId) throw new Error('the stream came without a Lumen-Job-Id header');
    const streamEvents: StreamEvent[] = [];
    let streamEnd: ClientRecord['streamEnd'] = 'clean_end';
    try {
      for await (const event of stream) {
        const record = event as unknown as StreamEvent;
        streamEvents.push(record);
        onEvent(record);
        if (record.type === 'image_generation.completed') streamEnd = 'completed';
      }
    } catch (error) {
      // The SDK throws an APIError with no status for an `error` event, anything else for a broken connection.
      streamEnd = error instanceof OpenAI.APIError && error.status === undefined ? 'error_event' : 'cut';
    }
    onStreamEnd();
    const outcome = streamEnd === 'completed' ? 'succeeded' : await followEvents(jobId, deadline);
    return { jobId, streamEvents, streamEnd, outcome };
  }

  it('should finish all twelve streamed jobs exactly once through two origin crashes and a gateway crash', { timeout: 110_000 }, async () => {
    onTestFailed(() => {
      console.error(`last supervisor log lines:\n${logs.filter((line) => !line.includes('wrangler:info] GET')).slice(-80).join('\n')}`);
    });
    const deadline = Date.now() + 95_000;
    const lastPartialAt: number[] = Array(JOBS).fill(0);
    const streamOpen: boolean[] = Array(JOBS).fill(true);
    const clients = Array.from({ length: JOBS }, (_, index) =>
      streamedClient(
        index,
        deadline,
        (event) => {
          if (event.type === 'image_generation.partial_image') lastPartialAt[index] = Date.now();
        },
        () => (streamOpen[index] = false),
      ),
    );
    // Should an assertion below fail first, the clients still settle quietly; Promise.all still sees their errors.
    for (const client of clients) client.catch(() => undefined);
    const partialAfter = (since: number, what: string) => until(what, () => (lastPartialAt.some((at) => at > since) ? true : undefined));
    // With one slot, the job that sent the latest preview is the one running.
    const running = () => lastPartialAt.indexOf(Math.max(...lastPartialAt));

    // First origin crash: as soon as the first preview is out, mid-job.
    await partialAfter(0, 'the first partial image');
    const origin = await child('origin-1');
    const strandedFirst = running();
    process.kill(origin.pid!, 'SIGKILL');
    const originAgain = await restarted('origin-1', origin.pid!);

    // Second: once the restarted origin has sent a preview of its own.
    await partialAfter(Date.now(), 'a partial image from the restarted origin');
    const strandedSecond = running();
    process.kill(originAgain.pid!, 'SIGKILL');
    const originThird = await restarted('origin-1', originAgain.pid!);
    expect(originThird.restarts).toBe(2);

    // The two stranded jobs go back to the queue and finish while their streams are still open…
    await until('the stranded jobs\' streams to end', () => (!streamOpen[strandedFirst] && !streamOpen[strandedSecond] ? true : undefined), 60_000);
    // …and others are still waiting when the gateway's runtime dies: workerd goes, wrangler lives on and must be found out by the health check.
    expect(streamOpen.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    const gateway = await child('gateway');
    const { stdout: group } = await promisify(execFile)('ps', ['-o', 'pid=,comm=', '-g', String(gateway.pid)]);
    const workerdPids = group
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([, command]) => command === 'workerd')
      .map(([pid]) => Number(pid));
    expect(workerdPids.length).toBeGreaterThan(0);
    for (const pid of workerdPids) process.kill(pid, 'SIGKILL');
    const gatewayAgain = await restarted('gateway', gateway.pid!);
    expect(gatewayAgain.restarts).toBe(1);

    const records = await Promise.all(clients);
    // The stranded jobs' streams stayed open through the requeue and delivered the image.
    expect([records[strandedFirst]!.streamEnd, records[strandedSecond]!.streamEnd]).toEqual(['completed', 'completed']);

    // Every job completed, whether its stream survived or the client came back by its job id.
    expect(records.map((record) => record.outcome)).toEqual(Array(JOBS).fill('succeeded'));
    expect(new Set(records.map((record) => record.jobId)).size).toBe(JOBS);
    // The gateway crash cut the streams still open then; the rest ran to image_generation.completed.
    expect(records.some((record) => record.streamEnd !== 'completed')).toBe(true);
    for (const record of records) {
      const last = record.streamEvents.at(-1)?.type;
      if (record.streamEnd === 'completed') expect(last).toBe('image_generation.completed');
      else expect(['cut', 'clean_end', 'error_event']).toContain(record.streamEnd);
      // No preview twice within one stream, across attempts.
      const partials = record.streamEvents
        .filter((event) => event.type === 'image_generation.partial_image')
        .map((event) => `${Number(event.image_index ?? 0)}:${Number(event.partial_image_index)}`);
      expect(new Set(partials).size, `job ${record.jobId}: partials ${partials.join(', ')}`).toBe(partials.length);
      expect(record.streamEvents.filter((event) => event.type === 'image_generation.completed').length).toBeLessThanOrEqual(1);
    }

    let requeues = 0;
    for (const record of records) {
      const events = await jobEvents(record.jobId);
      expect(events.filter((event) => event.type === 'completed'), `job ${record.jobId}`).toHaveLength(1);
      expect(events.at(-1)?.type).toBe('completed');
      // A new attempt starts at or after the last checkpoint before it, never further back.
      let checkpoint = 0;
      const resumePoints: number[] = [];
      for (const event of events) {
        if (event.type === 'progress') checkpoint = Math.max(checkpoint, Number(event.data.passesDone));
        if (event.type === 'requeued') {
          requeues += 1;
          expect(Number(event.data.resumeAfterPass), `job ${record.jobId} requeued`).toBeGreaterThanOrEqual(checkpoint);
          resumePoints.push(Number(event.data.resumeAfterPass));
        }
        if (event.type === 'leased' && Number(event.data.attempt) > 1) {
          expect(Number(event.data.resumeAfterPass), `job ${record.jobId} attempt ${event.data.attempt}`).toBeGreaterThanOrEqual(checkpoint);
        }
      }
      // The stream tells its client about each requeue it was open for, with the pass the job resumes from.
      const streamRequeues = record.streamEvents.filter((event) => event.type === 'image_generation.requeued');
      for (const event of streamRequeues) expect(resumePoints).toContain(Number(event.resume_from_pass));
      if (record.streamEnd === 'completed') expect(streamRequeues.length, `job ${record.jobId}`).toBe(resumePoints.length);
      else expect(streamRequeues.length).toBeLessThanOrEqual(resumePoints.length);

      const image = await fetch(`${url}/v1/images/jobs/${record.jobId}/images/0`, { headers: { authorization: `Bearer ${proKey}` } });
      expect(image.status).toBe(200);
      expect((await image.arrayBuffer()).byteLength).toBeGreaterThan(1_000);
    }
    // Both origin crashes stranded a running job, which went back to the queue.
    expect(requeues).toBeGreaterThanOrEqual(2);

    // The origin's own ledger agrees: one succeeded run per job, however many attempts.
    const db = connectLibsql(`file:${join(dir, 'origin.db')}`);
    try {
      // A run is recorded as succeeded only after the gateway has its result, so the last rows can trail the jobs' status.
      const succeeded = await until('every job\'s succeeded run recorded', async () => {
        const rows = (await db.execute('select job_id, count(*) as n from runs where status = \'succeeded\' group by job_id')).rows;
        return rows.length >= JOBS ? new Map(rows.map((row) => [String(row.job_id), Number(row.n)])) : undefined;
      });
      expect(records.map((record) => succeeded.get(record.jobId))).toEqual(Array(JOBS).fill(1));
      const attempts = (await db.execute('select count(*) as n from runs')).rows[0]!;
      expect(Number(attempts.n)).toBeGreaterThan(JOBS);
    } finally {
      db.close();
    }

    // The supervisor logged each crash with its signal, and each restart.
    const lumen = logs.filter((line) => line.startsWith('[lumen]'));
    expect(lumen.filter((line) => /origin-1 \(pid \d+\) exited unexpectedly \(killed by SIGKILL\)/.test(line))).toHaveLength(2);
    expect(lumen.filter((line) => /origin-1 restarted \(pid \d+/.test(line))).toHaveLength(2);
    expect(lumen.some((line) => /gateway \(pid \d+\) failed 3 health checks in a row/.test(line))).toBe(true);
    expect(lumen.some((line) => /gateway restarted \(pid \d+, restart 1\)/.test(line))).toBe(true);
    expect(lumen.some((line) => line.includes('stopping'))).toBe(false);
  });
});
