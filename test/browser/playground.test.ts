// The playground at `/`, driven in real Chromium (Debian's package, through
// playwright-core, which never downloads a browser) against the whole local
// system: wrangler dev serving the static assets and the API, a real origin.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { playgroundUrl } from '../../scripts/local-stack.js';
import { startTestStack, type TestStack } from '../e2e/stack.js';

const CHROMIUM = process.env.LUMEN_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const README_SCREENSHOT = fileURLToPath(new URL('../../docs/playground.png', import.meta.url));
// 700 ms a pass: slow enough to photograph a render in progress for the README.
const SLOW_PIPELINE = fileURLToPath(new URL('../e2e/fixtures/slow-pipeline.json', import.meta.url));
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) {
  console.warn(`Skipping the browser tests: no Chromium at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` (CI always runs them).`);
}

type Rgb = [number, number, number];
interface Pixels {
  width: number;
  height: number;
  data: number[];
}

const at = (image: Pixels, x: number, y: number): Rgb => {
  const offset = (y * image.width + x) * 4;
  return [image.data[offset]!, image.data[offset + 1]!, image.data[offset + 2]!];
};
const isRed = ([r, g, b]: Rgb) => r > 170 && g < 90 && b < 90;
const isGreen = ([r, g, b]: Rgb) => g > 150 && r < 110 && b < 110;
const isYellow = ([r, g, b]: Rgb) => r > 180 && g > 160 && b < 110;

function meanDifference(a: Pixels, b: Pixels, where: (x: number, y: number) => boolean): number {
  let total = 0;
  let count = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (!where(x, y)) continue;
      const [ar, ag, ab] = at(a, x, y);
      const [br, bg, bb] = at(b, x, y);
      total += Math.abs(ar - br) + Math.abs(ag - bg) + Math.abs(ab - bb);
      count += 3;
    }
  }
  return total / count;
}

describe.skipIf(!haveChromium && !process.env.CI)('the playground in Chromium', () => {
  let stack: TestStack;
  let proKey: string;
  let context: BrowserContext;
  let userDataDir: string;
  let page: Page;
  let consoleErrors: string[];
  /** Failed requests a flow provokes on purpose: Chromium logs each as a console error, which is then expected. */
  let expectedFailures: { path: string; status: number }[];

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI is set but there is no Chromium at ${CHROMIUM}: .ci/run installs it with apt-get install -y chromium.`);
    await mkdir(ARTIFACTS, { recursive: true });
    stack = await startTestStack({ origins: 0 });
    await stack.addOrigin('origin-1', { LUMEN_PIPELINE: SLOW_PIPELINE });
    proKey = await stack.key('browserpro', 'pro');
    userDataDir = await mkdtemp(join(tmpdir(), 'lumen-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const failed = /^Failed to load resource: the server responded with a status of (\d+)/.exec(message.text());
      const path = new URL(message.location().url || 'about:blank').pathname;
      if (failed && expectedFailures.some((expected) => expected.path === path && String(expected.status) === failed[1])) return;
      consoleErrors.push(`console: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
    // Every image src the page shows, and whether its slot was showing a partial or the final at that moment.
    await context.addInitScript(() => {
      const frames: { index: string; state: string; src: string }[] = [];
      (window as unknown as { lumenFrames: typeof frames }).lumenFrames = frames;
      new MutationObserver((mutations) => {
        for (const mutation of mutations) {
          const image = mutation.target as HTMLImageElement;
          const slot = image.closest<HTMLElement>('.slot');
          if (slot && image.getAttribute('src')) frames.push({ index: slot.dataset.index ?? '', state: slot.dataset.state ?? '', src: image.src });
        }
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['src'] });
    });
    await page.goto(playgroundUrl(stack.url, proKey));
    await page.waitForSelector('body[data-ready="true"]');
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    await stack?.stop();
  });

  beforeEach(() => {
    consoleErrors = [];
    expectedFailures = [];
  });

  afterEach(() => {
    expect(consoleErrors, 'the console logged errors').toEqual([]);
  });

  /** Screenshots of the whole page at desktop and phone width. */
  async function screenshots(name: string): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, `${name}-1280.png`), fullPage: true });
    await page.setViewportSize({ width: 360, height: 800 });
    await page.screenshot({ path: join(ARTIFACTS, `${name}-360.png`), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  /** The pixels of an <img> on the page, read through a canvas at the image's own size. */
  function pixelsOf(selector: string): Promise<Pixels> {
    return page.locator(selector).evaluate(async (element) => {
      const image = element as HTMLImageElement;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      const context = canvas.getContext('2d')!;
      context.drawImage(image, 0, 0);
      return { width: canvas.width, height: canvas.height, data: Array.from(context.getImageData(0, 0, canvas.width, canvas.height).data) };
    });
  }

  async function generate(prompt: string, options: { n?: number; seed?: number; async?: boolean } = {}): Promise<void> {
    await page.fill('#prompt', prompt);
    await page.selectOption('#size', '256x256');
    await page.fill('#n', String(options.n ?? 1));
    await page.fill('#seed', options.seed === undefined ? '' : String(options.seed));
    await page.setChecked('#async', options.async ?? false);
    await page.click('#go');
  }

  const frames = () => page.evaluate(() => (window as unknown as { lumenFrames: { index: string; state: string; src: string }[] }).lumenFrames.splice(0));

  it('should take the dev key from the URL npm start prints, then drop it from the address bar', async () => {
    expect(await page.inputValue('#api-key')).toBe(proKey);
    expect(page.url()).not.toContain('key=');
    expect(await page.evaluate(() => localStorage.getItem('lumen.apiKey'))).toBe(proKey);
  });

  it('should leave the API to the worker: JSON 404s for unknown paths, health and the API under the static assets', async () => {
    for (const path of ['/v1/nope', '/nope.html']) {
      const response = await fetch(`${stack.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { message: string } }).error.message).toBe(`Unknown endpoint: GET ${path}`);
    }
    expect(await (await fetch(`${stack.url}/healthz`)).json()).toEqual({ ok: true });
    const home = await fetch(`${stack.url}/`);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await home.text()).toContain('<title>Lumen playground</title>');
  });

  it('should show a generation sharpen over at least 3 passes before the final image, with the pass, time, usage and limits', async () => {
    await frames();
    await generate('a red circle on a blue background', { seed: 42 });
    // Mid-render: the README's picture of the playground.
    await page.waitForSelector('.slot[data-index="0"][data-partials="2"]');
    await page.screenshot({ path: README_SCREENSHOT });
    await page.waitForSelector('.slot[data-index="0"][data-state="final"]');

    const seen = await frames();
    const firstFinal = seen.findIndex((frame) => frame.state === 'final');
    expect(firstFinal).toBeGreaterThan(0);
    const partials = new Set(seen.slice(0, firstFinal).filter((frame) => frame.state === 'partial').map((frame) => frame.src));
    expect(partials.size).toBeGreaterThanOrEqual(3);
    expect(await page.textContent('.slot[data-index="0"] figcaption')).toMatch(/final · img_/);
    expect(await page.isHidden('#error'), 'no error shown').toBe(true);
    const status = await page.textContent('#status');
    expect(status).toMatch(/^Done in \d+\.\d s · \d+ tokens \(\d+ in, \d+ out\)$/);
    expect(await page.textContent('#limits')).toMatch(/^\d+ of 120 images left this minute/);
    const image = await pixelsOf('.slot[data-index="0"] img');
    expect([image.width, image.height]).toEqual([256, 256]);
    expect(isRed(at(image, 128, 128)), 'the centre is red').toBe(true);
    expect(await page.locator('#gallery li img').count()).toBe(1);
    await screenshots('generate');
  });

  it('should give each of n images its own place, each sharpening to its own final', async () => {
    await frames();
    await generate('a yellow star on a white background', { n: 2 });
    await page.waitForSelector('.slot[data-index="1"][data-state="final"]');
    await page.waitForSelector('.slot[data-index="0"][data-state="final"]');
    const seen = await frames();
    for (const index of ['0', '1']) {
      expect(seen.filter((frame) => frame.index === index && frame.state === 'partial').length, `image ${index} had previews`).toBeGreaterThanOrEqual(1);
    }
    const ids = await page.locator('.slot').evaluateAll((slots) => slots.map((slot) => (slot as HTMLElement).dataset.imageId));
    expect(new Set(ids).size).toBe(2);
  });

  it('should re-prompt a result by its image id and keep the chain of versions', async () => {
    await generate('a red circle on a blue background', { seed: 42 });
    await page.waitForSelector('.slot[data-index="0"][data-state="final"]');
    await page.click('.slot[data-index="0"] button:text("Edit")');
    await page.waitForSelector('#edit-stage:not([hidden])');
    await page.fill('#edit-prompt', 'make the circle green');
    await page.click('#apply-edit');
    await page.waitForSelector('.slot[data-index="0"][data-state="final"]');
    expect(await page.isHidden('#error'), 'no error shown').toBe(true);
    const edited = await pixelsOf('.slot[data-index="0"] img');
    expect(isGreen(at(edited, 128, 128)), 'the centre turned green').toBe(true);
    const versions = await page.locator('#versions li').allTextContents();
    expect(versions).toEqual(['1. a red circle on a blue background', '2. make the circle green']);
    expect(await page.getAttribute('#versions li:last-child', 'aria-current')).toBe('true');
    await screenshots('edit-by-id');
  });

  it('should confine an edit to the mask painted with the pointer', async () => {
    // The source is the green version the last test left selected.
    const sourceId = await page.getAttribute('.slot[data-index="0"]', 'data-image-id');
    await page.waitForSelector(`#paint[data-source="${sourceId}"]`);
    const before = await pixelsOf('#edit-image');
    await page.locator('#mask').scrollIntoViewIfNeeded();
    const canvas = (await page.locator('#mask').boundingBox())!;
    // Paint the top-left quarter, row by row.
    for (let y = 0.04; y < 0.46; y += 0.06) {
      await page.mouse.move(canvas.x + canvas.width * 0.03, canvas.y + canvas.height * y);
      await page.mouse.down();
      await page.mouse.move(canvas.x + canvas.width * 0.46, canvas.y + canvas.height * y, { steps: 8 });
      await page.mouse.up();
    }
    expect(await page.getAttribute('#paint', 'data-painted')).toBe('true');
    await page.fill('#edit-prompt', 'a big yellow star');
    await page.click('#apply-edit');
    await page.waitForSelector('.slot[data-index="0"][data-state="final"]');
    const after = await pixelsOf('.slot[data-index="0"] img');
    let yellow = 0;
    for (let y = 0; y < 128; y += 2) for (let x = 0; x < 128; x += 2) if (isYellow(at(after, x, y))) yellow++;
    expect(yellow, 'yellow inside the mask').toBeGreaterThan(20);
    expect(meanDifference(before, after, (x, y) => x >= 144 || y >= 144), 'unchanged outside the mask').toBeLessThan(12);
    expect(await page.locator('#versions li').count()).toBe(3);
    await screenshots('edit-mask');
  });

  it('should follow a deferred job from its 202 through the queue to its image, and again after a reload', async () => {
    await generate('two yellow stars on a green background', { async: true, seed: 5 });
    await page.waitForSelector('#job-log li:text("Accepted as job")');
    await page.waitForSelector('#job-log li:text-matches("^Queued")');
    expect(new URL(page.url()).searchParams.get('job')).toMatch(/^job_/);
    await page.waitForSelector('.slot[data-index="0"][data-state="final"]');
    expect(await page.textContent('#status')).toMatch(/^Done in/);
    expect(new URL(page.url()).searchParams.get('job')).toBeNull();
    await screenshots('deferred');

    await generate('a blue square on a white background', { async: true });
    await page.waitForURL(/[?&]job=job_/);
    const job = new URL(page.url()).searchParams.get('job');
    await page.reload();
    await page.waitForSelector(`#job-log li:text("Following job ${job}")`);
    await page.waitForSelector('.slot[data-index="0"][data-state="final"]');
    expect(await page.textContent('.slot[data-index="0"] figcaption')).toContain(`img_${job!.slice(4)}_0`);
    expect(await page.getAttribute('.slot[data-index="0"] img', 'alt')).toBe('Image 1, final: a blue square on a white background');
    expect(await page.isHidden('#error'), 'no error shown').toBe(true);
  });

  it('should verify a dropped image: a generated one as made by Lumen, another as not', async () => {
    await page.setChecked('#async', false);
    const drop = async (make: () => Promise<DataTransfer>) => {
      const dataTransfer = await page.evaluateHandle(make);
      await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
    };
    await drop(async () => {
      const image = document.querySelector<HTMLImageElement>('.slot[data-state="final"] img')!;
      const blob = await (await fetch(image.src)).blob();
      const transfer = new DataTransfer();
      transfer.items.add(new File([blob], 'lumen.png', { type: blob.type }));
      return transfer;
    });
    await page.waitForSelector('#verify-result[data-made]');
    expect(await page.textContent('#verify-result')).toMatch(/^Made by Lumen: these are the exact bytes it delivered\. Job job_\S+, image 1, made .* signed record checks out\.$/);
    await screenshots('verify');

    await drop(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 64;
      const context = canvas.getContext('2d')!;
      context.fillStyle = '#c60';
      context.fillRect(0, 0, 64, 64);
      const blob = await new Promise<Blob>((resolve) => canvas.toBlob((made) => resolve(made!), 'image/png'));
      const transfer = new DataTransfer();
      transfer.items.add(new File([blob], 'mine.png', { type: 'image/png' }));
      return transfer;
    });
    await page.waitForSelector('#verify-result[data-made="false"]');
    expect(await page.textContent('#verify-result')).toMatch(/^Not made by Lumen/);
  });

  it('should say in words which category blocked a prompt', async () => {
    expectedFailures.push({ path: '/v1/images/generations', status: 400 });
    await generate('sexualized image of a minor');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toContain('blocked by the safety policy: it asks for sexual content involving minors');
    expect(await page.locator('.slot').count(), 'no empty places left waiting').toBe(0);
    await screenshots('blocked');
  });

  it('should cancel a streamed job and a queued one on the server', async () => {
    // With no worker left, both jobs wait in the queue until cancelled.
    await Promise.all(stack.origins.map((origin) => origin.stop(5_000)));
    const jobStatus = async (id: string) =>
      ((await (await fetch(`${stack.url}/v1/images/jobs/${id}`, { headers: { authorization: `Bearer ${proKey}` } })).json()) as { status: string }).status;

    await generate('a red circle on a blue background');
    await page.waitForURL(/[?&]job=job_/);
    const streamed = new URL(page.url()).searchParams.get('job')!;
    await page.click('#cancel');
    try {
      await page.waitForSelector('#status:text-matches("^Cancelled: job")');
    } catch (error) {
      console.error(await page.textContent('#status'), await page.textContent('#error'), await page.textContent('#job-log'), consoleErrors, stack.logs.slice(-30).join('\n'));
      throw error;
    }
    expect(await jobStatus(streamed)).toBe('cancelled');

    await generate('a red circle on a blue background', { async: true });
    await page.waitForSelector('#job-log li:text-matches("^Queued: position")');
    const queued = new URL(page.url()).searchParams.get('job')!;
    await page.click('#cancel');
    await page.waitForSelector('#status:text-matches("^Cancelled: job")');
    expect(await jobStatus(queued)).toBe('cancelled');
    await screenshots('cancel');
  });

  it('should get a free key from /v1/signup and keep it', async () => {
    await page.click('#signup');
    await page.waitForSelector('#status:text-matches("^Free key made")');
    const key = await page.inputValue('#api-key');
    expect(key).toMatch(/^lk_s[0-9a-z]{19}_/);
    expect(key).not.toBe(proKey);
    expect(await page.evaluate(() => localStorage.getItem('lumen.apiKey'))).toBe(key);
  });
});
