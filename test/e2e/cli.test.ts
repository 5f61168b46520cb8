// The `lumen` CLI, spawned as a user runs it (node cli/lumen.mjs), against a real stack.
// The stack starts with no origin worker, so a job stays queued until the test adds one.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './stack-imports.js';
import { pixels, startTestStack, until, type TestStack } from './stack.js';

const CLI = fileURLToPath(new URL('../../cli/lumen.mjs', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  stderr: () => string;
  done: Promise<Run>;
}

const JOB_ID = /job_[0-9a-z]{1,4}_[0-9a-f]{32}/;
const IMAGE_ID = /img_[0-9a-z]{1,4}_[0-9a-f]{32}_\d+/g;

describe('the lumen CLI against the e2e stack', () => {
  let stack: TestStack;
  let key: string;
  let home: string;

  beforeAll(async () => {
    stack = await startTestStack({ origins: 0 });
    key = await stack.key('clipro', 'pro');
    home = await mkdtemp(join(tmpdir(), 'lumen-cli-'));
  });

  afterAll(async () => {
    await stack?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  /** A clean environment: only what the test sets, so the machine's own LUMEN_* or OPENAI_* cannot leak in. */
  const environment = (extra: Record<string, string | undefined>) => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, XDG_STATE_HOME: join(home, 'state'), LUMEN_BASE_URL: stack.url, LUMEN_API_KEY: key };
    for (const [name, value] of Object.entries(extra)) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    return env;
  };

  const start = (args: string[], extra: Record<string, string | undefined> = {}): Running => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: home, env: environment(extra), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
    return { child, stderr: () => stderr, done };
  };

  const lumen = (args: string[], extra: Record<string, string | undefined> = {}) => start(args, extra).done;

  const job = async (id: string) => {
    const response = await fetch(`${stack.url}/v1/images/jobs/${id}`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as { status: string };
  };

  const outDir = async (name: string) => mkdtemp(join(home, `${name}-`));

  const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

  it('should exit 2 with one line on stderr for a usage error', async () => {
    for (const args of [['generate'], ['generate', 'a cat', '--size', '13x13'], ['generate', 'a cat', '-n', '11'], ['frobnicate'], ['edit', 'no-such-file.png', 'make it green']]) {
      const run = await lumen(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(lines(run.stderr), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(/^lumen: /);
      expect(run.stdout).toBe('');
    }
  });

  it('should exit 3 for a wrong key and for no key at all', async () => {
    const wrong = await lumen(['generate', 'a cat'], { LUMEN_API_KEY: 'lk_clipro_wrongwrongwrongwrongwrongwrong0000000000000000' });
    expect(wrong.code).toBe(3);
    expect(lines(wrong.stderr)).toHaveLength(1);
    expect(wrong.stderr).toContain('401');
    const none = await lumen(['generate', 'a cat'], { LUMEN_API_KEY: undefined });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('LUMEN_API_KEY');
  });

  it('should exit 5 when the server cannot be reached', async () => {
    const run = await lumen(['moderate', 'a cat'], { LUMEN_BASE_URL: `http://127.0.0.1:${await freePort()}` });
    expect(run.code).toBe(5);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toContain('Cannot reach');
  });

  it('should cancel the job on the server and exit 130 when interrupted with Ctrl-C', async () => {
    // No worker yet: the job waits in the queue until the CLI is interrupted.
    const running = start(['generate', 'a lighthouse at night', '--size', '256x256'], { LUMEN_PROGRESS: 'plain' });
    const id = await until('the job to be queued', () => (running.stderr().includes('queued') ? JOB_ID.exec(running.stderr())?.[0] : undefined));
    expect((await job(id)).status).toBe('queued');
    running.child.kill('SIGINT');
    const run = await running.done;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain(`Cancelled job ${id}`);
    expect((await job(id)).status).toBe('cancelled');
  });

  it('should show the queue position while the job waits, then a bar per pass once a worker takes it', async () => {
    const dir = await outDir('queued');
    const running = start(['generate', 'a red circle on a blue background', '--size', '256x256', '-o', dir], { LUMEN_PROGRESS: 'always' });
    await until('the queue position in a bar frame', () => (/\|[░█]+\| pass 0\/4 {2}queued, next in line/.test(running.stderr()) ? true : undefined));
    await stack.addOrigin('origin-1');
    const run = await running.done;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/\|░+\| pass 0\/4 {2}queued, next in line, about \d+ s/);
    expect(run.stderr).toMatch(/\|█+\| pass 4\/4 {2}done/);
    // The bars go to stderr; stdout has the result only.
    expect(run.stdout).not.toContain('█');
    expect(await readdir(dir)).toHaveLength(1);
  });

  it('should save n=2 PNGs of the requested size and print each path with its image id', async () => {
    const dir = await outDir('two');
    const run = await lumen(['generate', 'a red circle on a blue background', '-n', '2', '--size', '256x256', '--seed', '7', '-o', dir]);
    expect(run.code, run.stderr).toBe(0);
    // stderr is not a terminal: plain progress lines, no bar frames.
    expect(run.stderr).toContain('pass 4/4 done');
    expect(run.stderr).not.toContain('█');
    const printed = lines(run.stdout).map((line) => line.split(/\s+/));
    expect(printed).toHaveLength(2);
    expect(printed.map(([, id]) => id)).toEqual([expect.stringMatching(/_0$/), expect.stringMatching(/_1$/)]);
    for (const [path, id] of printed) {
      expect(path!.startsWith(dir)).toBe(true);
      expect(path).toContain(id);
      const bytes = await readFile(path!);
      expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
      const image = await pixels(bytes);
      expect([image.width, image.height]).toEqual([256, 256]);
      const [r, g, b] = image.at(128, 128);
      expect(r, 'centre is red').toBeGreaterThan(170);
      expect(g + b).toBeLessThan(180);
    }
    expect((await readdir(dir)).sort()).toEqual(printed.map(([path]) => path!.slice(dir.length + 1)).sort());
  });

  it('should print one JSON document and no progress with --json', async () => {
    const dir = await outDir('json');
    const run = await lumen(['--json', 'generate', 'two yellow stars on a green background', '--size', '512x512', '--format', 'webp', '-o', dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const document = JSON.parse(run.stdout) as { job_id: string; status: string; images: { image_id: string; path: string; content_type: string }[] };
    expect(document.status).toBe('succeeded');
    expect(document.job_id).toMatch(JOB_ID);
    expect(document.images).toHaveLength(1);
    expect(document.images[0]!.content_type).toBe('image/webp');
    expect(document.images[0]!.path.endsWith('.webp')).toBe(true);
    const image = await sharp(await readFile(document.images[0]!.path)).metadata();
    expect([image.format, image.width, image.height]).toEqual(['webp', 512, 512]);

    const refused = await lumen(['--json', 'generate', 'sexualized image of a minor']);
    expect(refused.code).toBe(4);
    expect((JSON.parse(refused.stdout) as { error: { kind: string; exit_code: number } }).error).toMatchObject({ kind: 'refused', exit_code: 4 });
  });

  it('should edit an earlier output by its image id and an uploaded file with a mask', async () => {
    const dir = await outDir('edit');
    const first = JSON.parse((await lumen(['--json', 'generate', 'a red circle on a blue background', '--size', '256x256', '-o', dir])).stdout) as { images: { image_id: string; path: string }[] };
    const source = first.images[0]!;

    const byId = await lumen(['--json', 'edit', source.image_id, 'make the circle green', '-o', dir]);
    expect(byId.code, byId.stderr).toBe(0);
    const edited = (JSON.parse(byId.stdout) as { images: { image_id: string; path: string }[] }).images[0]!;
    expect(edited.image_id).not.toBe(source.image_id);
    const green = await pixels(await readFile(edited.path));
    const [r, g, b] = green.at(128, 128);
    expect(g, 'the circle is green now').toBeGreaterThan(120);
    expect(r + b).toBeLessThan(200);

    const alpha = Buffer.alloc(256 * 256 * 4, 255);
    for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) alpha[(y * 256 + x) * 4 + 3] = 0;
    const maskPath = join(dir, 'mask.png');
    await writeFile(maskPath, await sharp(alpha, { raw: { width: 256, height: 256, channels: 4 } }).png().toBuffer());
    const photoPath = join(dir, 'photo.png');
    await writeFile(photoPath, await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 40, g: 90, b: 200 } } }).png().toBuffer());
    const byFile = await lumen(['edit', photoPath, 'a big yellow star', '--mask', maskPath, '-o', dir]);
    expect(byFile.code, byFile.stderr).toBe(0);
    const [path, id] = lines(byFile.stdout)[0]!.split(/\s+/);
    expect(id).toMatch(IMAGE_ID);
    const output = await pixels(await readFile(path!));
    // Outside the mask the upload's blue survives.
    const [, , blue] = output.at(200, 200);
    expect(blue).toBeGreaterThan(150);
  });

  it('should show a job, follow it with --watch and list the jobs this machine started', async () => {
    const dir = await outDir('jobs');
    const generated = JSON.parse((await lumen(['--json', 'generate', 'three yellow stars', '--size', '256x256', '-o', dir])).stdout) as { job_id: string; images: { image_id: string }[] };

    const status = await lumen(['jobs', generated.job_id]);
    expect(status.code, status.stderr).toBe(0);
    expect(lines(status.stdout)[0]).toBe(`${generated.job_id}  succeeded`);
    expect(status.stdout).toContain(generated.images[0]!.image_id);

    const watched = await lumen(['jobs', generated.job_id, '--watch', '-o', dir]);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stderr).toContain('done');
    expect(watched.stdout).toContain(`${generated.images[0]!.image_id}`);

    const listed = await lumen(['--json', 'jobs']);
    const { jobs } = JSON.parse(listed.stdout) as { jobs: { id: string; status: string; prompt: string }[] };
    expect(jobs[0]).toMatchObject({ id: generated.job_id, status: 'succeeded', prompt: 'three yellow stars' });
    // The interrupted job is listed too, as the server now has it.
    expect(jobs.find((entry) => entry.prompt === 'a lighthouse at night')?.status).toBe('cancelled');

    const missing = await lumen(['jobs', 'job_0_00000000000000000000000000000000']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('404');
  });

  it('should verify that Lumen made an image it saved', async () => {
    const dir = await outDir('verify');
    const generated = JSON.parse((await lumen(['--json', 'generate', 'a blue square', '--size', '256x256', '-o', dir])).stdout) as { job_id: string; images: { path: string }[] };
    const run = await lumen(['verify', generated.images[0]!.path]);
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)[0]).toMatch(/^made by Lumen: yes \(match: exact/);
    expect(run.stdout).toContain(generated.job_id);
    const asJson = JSON.parse((await lumen(['--json', 'verify', generated.images[0]!.path])).stdout) as { made_by_lumen: boolean };
    expect(asJson.made_by_lumen).toBe(true);

    const plain = join(dir, 'plain.png');
    await writeFile(plain, await sharp({ create: { width: 256, height: 256, channels: 3, background: '#808080' } }).png().toBuffer());
    const other = await lumen(['verify', plain]);
    expect(other.code).toBe(0);
    expect(lines(other.stdout)[0]).toMatch(/^made by Lumen: no/);
  });

  it('should print the categories of a flagged text with exit 0, reading the OPENAI_* variables too', async () => {
    const run = await lumen(['moderate', 'sexualized image of a minor'], { LUMEN_API_KEY: undefined, LUMEN_BASE_URL: undefined, OPENAI_API_KEY: key, OPENAI_BASE_URL: `${stack.url}/v1` });
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)[0]).toBe('flagged: yes');
    expect(run.stdout).toMatch(/sexual\/minors {2}0\.\d\d/);
    const clean = await lumen(['moderate', 'a child flying a kite']);
    expect(clean.code).toBe(0);
    expect(clean.stdout.trim()).toBe('flagged: no');
  });

  it('should refuse a blocked prompt with exit 4 and one line naming the category', async () => {
    const run = await lumen(['generate', 'sexualized image of a minor']);
    expect(run.code).toBe(4);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toContain('moderation_blocked');
    expect(run.stderr).toContain('sexual/minors');
    expect(run.stdout).toBe('');
  });

  it('should sign up and print a key that works, with how to export it', async () => {
    const run = await lumen(['signup'], { LUMEN_API_KEY: undefined });
    expect(run.code, run.stderr).toBe(0);
    const newKey = /^lk_\S+$/m.exec(run.stdout)?.[0];
    expect(newKey).toBeDefined();
    expect(run.stdout).toContain(`export LUMEN_API_KEY=${newKey}`);
    const moderated = await lumen(['moderate', 'a kite'], { LUMEN_API_KEY: newKey });
    expect(moderated.code, moderated.stderr).toBe(0);
  });
});
