// The ops console at /admin, driven in real Chromium (Debian's package, through
// playwright-core) against the whole local system: wrangler dev serving the
// static assets and the admin API, real origins, one of them SIGKILLed mid-job.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/local-stack.js';
import { startTestStack, until, type TestStack } from '../e2e/stack.js';
import { ISSUE_REFUSED } from '../fixtures/moderation/issue-examples.js';

const CHROMIUM = process.env.LUMEN_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
// 700 ms a pass, 4 passes: time to kill a worker between its checkpoints.
const SLOW_PIPELINE = fileURLToPath(new URL('../e2e/fixtures/slow-pipeline.json', import.meta.url));
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) {
  console.warn(`Skipping the browser tests: no Chromium at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` (CI always runs them).`);
}

interface PublicJob {
  id: string;
  status: string;
  passes_done: number;
  attempt: number;
}

describe.skipIf(!haveChromium && !process.env.CI)('the ops console in Chromium', () => {
  let stack: TestStack;
  let key: string;
  let context: BrowserContext;
  let userDataDir: string;
  let page: Page;
  let consoleErrors: string[];
  /** The job whose first worker was SIGKILLed after its second pass. */
  let resumedId: string;
  /** Jobs run start to end by one worker while the console watched. */
  const watchedIds: string[] = [];

  async function submit(body: Record<string, unknown>): Promise<Response> {
    return fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ size: '256x256', ...body }),
    });
  }

  async function job(id: string): Promise<PublicJob> {
    return (await (await fetch(`${stack.url}/v1/images/jobs/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as PublicJob;
  }

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI is set but there is no Chromium at ${CHROMIUM}: .ci/run installs it with apt-get install -y chromium.`);
    await mkdir(ARTIFACTS, { recursive: true });
    // The origin API (safety audit) is served by the second origin, which outlives the first.
    const apiPort = await freePort();
    stack = await startTestStack({ origins: 0, vars: { LEASE_TTL_MS: '1500', ORIGIN_API_URLS: `http://127.0.0.1:${apiPort}` } });
    key = await stack.key('consolepro', 'pro', { concurrentJobs: 10 });

    // A job whose worker dies after its second pass, resumed from the checkpoint by another.
    const doomed = await stack.addOrigin('origin-1', { LUMEN_PIPELINE: SLOW_PIPELINE });
    const submitted = await submit({ prompt: 'a red circle and a small yellow star on a blue background', seed: 77 });
    expect(submitted.status).toBe(202);
    resumedId = ((await submitted.json()) as PublicJob).id;
    await until('two passes', async () => ((await job(resumedId)).passes_done >= 2 ? true : undefined));
    await doomed.kill();
    await stack.addOrigin('origin-2', { LUMEN_PIPELINE: SLOW_PIPELINE, LUMEN_API_PORT: String(apiPort) });
    await until('the resumed job to finish', async () => ((await job(resumedId)).status === 'succeeded' ? true : undefined), 60_000);

    userDataDir = await mkdtemp(join(tmpdir(), 'lumen-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`console: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    await stack?.stop();
  });

  beforeEach(() => {
    consoleErrors = [];
  });

  afterEach(() => {
    expect(consoleErrors, 'the console logged errors').toEqual([]);
  });

  async function screenshots(name: string): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, `${name}-1280.png`), fullPage: true });
    await page.setViewportSize({ width: 360, height: 800 });
    await page.waitForTimeout(300); // the charts follow their container's width on the next frame
    await page.screenshot({ path: join(ARTIFACTS, `${name}-360.png`), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  it('should answer /admin with the console, and the admin API only with the secret', async () => {
    const answer = await fetch(`${stack.url}/admin`);
    expect(answer.status).toBe(200);
    expect(answer.url).toMatch(/\/admin\/$/);
    expect(await answer.text()).toContain('<title>Lumen ops console</title>');
    expect((await fetch(`${stack.url}/v1/admin/jobs`)).status).toBe(401);
  });

  it('should sign in with the admin secret, kept for the tab, and chart live traffic, list the worker and show surge', async () => {
    await page.goto(`${stack.url}/admin`);
    await page.fill('#admin-secret', stack.secrets.adminSecret);
    await page.click('#sign-in');
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.evaluate(() => sessionStorage.getItem('lumen.adminSecret'))).toBe(stack.secrets.adminSecret);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);

    // Traffic while the console watches: five jobs queue up behind one slow worker, and a refused prompt is blocked.
    const ids = watchedIds;
    for (let i = 0; i < 5; i++) {
      const response = await submit({ prompt: `a green square number ${i}` });
      expect(response.status).toBe(202);
      ids.push(((await response.json()) as PublicJob).id);
    }
    expect((await submit({ prompt: ISSUE_REFUSED[0]![0] })).status).toBe(400);
    await page.waitForSelector('[data-chart="queue"]:not([data-peak="0"])', { timeout: 30_000 });
    for (const id of ids) await until(`job ${id}`, async () => ((await job(id)).status === 'succeeded' ? true : undefined), 60_000);
    await page.waitForSelector('[data-chart="throughput"]:not([data-peak="0"])', { timeout: 30_000 });
    await page.waitForSelector('[data-chart="admissions"]:not([data-peak="0"])');
    await page.waitForSelector('[data-chart="lease-latency"]:not([data-peak="0"])');
    await page.waitForSelector('[data-chart="safety"]:not([data-peak="0"])', { timeout: 30_000 });

    // Every chart drew its canvas, with a legend naming its series.
    expect(await page.locator('[data-chart] canvas').count()).toBe(7);
    expect(await page.locator('[data-chart="queue"] .u-legend').textContent()).toContain('enterprise');

    const worker = page.locator('#workers tr[data-worker="origin-2"]');
    await worker.waitFor();
    expect(await worker.locator('td').nth(1).textContent()).toMatch(/^[01] \/ 1$/);
    expect(await worker.locator('td').nth(4).textContent()).toBe('active');
    expect(await worker.getByRole('button', { name: 'Drain origin-2' }).isEnabled()).toBe(true);

    expect(await page.getAttribute('#surge-state', 'data-mode')).toBe('auto');
    expect(await page.getAttribute('[data-surge="auto"]', 'aria-pressed')).toBe('true');
    await screenshots('console');
  });

  it('should pin surge on and hand it back to the controller, each change in the history', async () => {
    await page.click('[data-surge="on"]');
    await page.waitForSelector('#surge-state[data-mode="on"][data-surge="true"]');
    expect(await page.locator('#surge-history li').first().textContent()).toMatch(/engaged by admin \(on\)/);
    await page.click('[data-surge="auto"]');
    await page.waitForSelector('#surge-state[data-mode="auto"]');
    expect(await page.getAttribute('[data-surge="auto"]', 'aria-pressed')).toBe('true');
    expect(await page.locator('#surge-history li').count()).toBeGreaterThanOrEqual(2);
  });

  it("should show a resumed job's whole history in the inspector: its leases, checkpoints, the requeue, the resume on the other worker and the outcome", async () => {
    const history = (await (await fetch(`${stack.url}/v1/admin/jobs/${resumedId}`, { headers: { authorization: `Bearer ${stack.secrets.adminSecret}` } })).json()) as {
      events: { type: string; data: Record<string, unknown> }[];
    };
    const resume = history.events.filter((event) => event.type === 'leased').at(-1)!;
    expect(resume.data.worker).toBe('origin-2');
    const resumedAtPass = Number(resume.data.resumeAfterPass) + 1;

    await page.fill('#find-tenant', 'consolepro');
    await page.click('#find-go');
    await page.locator(`#jobs tr[data-job="${resumedId}"]`).waitFor();
    expect(await page.locator('#jobs tbody tr').count()).toBe(6);

    await page.fill('#find-tenant', '');
    await page.fill('#find-id', resumedId);
    await page.click('#find-go');
    await page.waitForSelector(`#job[data-job="${resumedId}"]:not([hidden])`);
    const lines = await page.locator('#timeline li span').allTextContents();
    const shown = (await page.locator('#timeline').innerText()).replaceAll('\n', ' | ');
    expect(lines[0]).toBe('admitted and queued (pro)');
    expect(lines).toContain('leased on origin-1 (attempt 1)');
    expect(lines).toContain('pass 2 done, checkpoint stored');
    expect(lines.some((line) => /^requeued: lease expired \(attempt 1 interrupted after pass \d; attempt spent\)$/.test(line))).toBe(true);
    expect(lines.find((line) => line.startsWith('resumed at'))).toMatch(new RegExp(`^resumed at pass ${resumedAtPass} on origin-2 \\(attempt 2,`));
    // The first worker died before it wrote its attempt's verdicts, and the resumed attempt starts past the prompt check.
    expect(lines.some((line) => line.startsWith('safety:')), shown).toBe(false);
    expect(lines.at(-1)).toBe('succeeded with 1 image');
    // In order: the resume comes after the requeue, which comes after the first lease.
    const order = ['leased on origin-1', 'requeued:', 'resumed at', 'succeeded'].map((start) => lines.findIndex((line) => line.startsWith(start)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(await page.locator('#timeline li time').first().textContent()).toMatch(/^\d\d:\d\d:\d\d \+0\.0 s$/);
    await page.locator('#job').scrollIntoViewIfNeeded();
    await screenshots('console-inspector');
  });

  it("should show the safety verdicts of a job's attempt among its events", async () => {
    const id = watchedIds[0]!;
    const verdicts = (await (await fetch(`${stack.url}/v1/admin/safety?job=${id}`, { headers: { authorization: `Bearer ${stack.secrets.adminSecret}` } })).json()) as {
      data: { stage: string; plugin: string; allowed: boolean }[];
    };
    expect(verdicts.data.length).toBeGreaterThan(0);
    await page.fill('#find-id', id);
    await page.click('#find-go');
    await page.waitForSelector(`#job[data-job="${id}"]:not([hidden])`);
    const lines = await page.locator('#timeline li span').allTextContents();
    const safety = lines.filter((line) => line.startsWith('safety:'));
    expect(safety).toHaveLength(verdicts.data.length);
    expect(safety.every((line) => / allowed by lumen\//.test(line))).toBe(true);
  });
});
