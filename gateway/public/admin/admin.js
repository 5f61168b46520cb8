// The ops console: live charts from /v1/admin/metrics (Prometheus text, parsed
// here, kept as a rolling window in this tab), the workers, surge, and a job
// inspector over /v1/admin/jobs. Every call carries the admin secret.
/* global uPlot */

const SECRET_KEY = 'lumen.adminSecret';
const REFRESH_MS = 3_000;
const WINDOW_POINTS = 200; // 10 minutes at REFRESH_MS
const SILENT_AFTER_MS = 30_000;
const TIERS = ['free', 'plus', 'pro', 'enterprise'];
const COLOURS = { free: '#8a8f99', plus: '#0f8a7e', pro: '#3a3fd8', enterprise: '#9b2fae', none: '#c05a00', sync: '#3a3fd8', deferred: '#0f8a7e', async: '#9b2fae', refused: '#a4132d', succeeded: '#106b3a', failed: '#a4132d', blocks: '#a4132d', mean: '#3a3fd8' };

const $ = (selector) => /** @type {HTMLElement} */ (document.querySelector(selector));

/** Thrown for a non-2xx answer, with the API's own message. */
class AdminProblem extends Error {
  /** @param {string} message @param {number} status */
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// ---- Prometheus text ------------------------------------------------------

/**
 * The samples of a Prometheus text exposition (0.0.4): name, labels, value. Comments and TYPE/HELP lines are skipped.
 * @param {string} text
 * @returns {{ name: string, labels: Record<string, string>, value: number }[]}
 */
export function parsePrometheus(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const nameEnd = line.search(/[{\s]/);
    if (nameEnd <= 0) continue;
    const name = line.slice(0, nameEnd);
    /** @type {Record<string, string>} */
    const labels = {};
    let rest = line.slice(nameEnd);
    if (rest.startsWith('{')) {
      let at = 1;
      while (at < rest.length && rest[at] !== '}') {
        const eq = rest.indexOf('=', at);
        const label = rest.slice(at, eq).replace(/^[\s,]+/, '');
        let value = '';
        let cursor = eq + 2; // past ="
        while (cursor < rest.length && rest[cursor] !== '"') {
          if (rest[cursor] === '\\') {
            const next = rest[cursor + 1];
            value += next === 'n' ? '\n' : next;
            cursor += 2;
          } else value += rest[cursor++];
        }
        labels[label] = value;
        at = cursor + 1;
        while (rest[at] === ',' || rest[at] === ' ') at++;
      }
      rest = rest.slice(at + 1);
    }
    const value = Number(rest.trim().split(/\s+/)[0]);
    if (!Number.isNaN(value)) samples.push({ name, labels, value });
  }
  return samples;
}

/** The sum of `name`'s samples whose labels include `match`. */
function sumOf(samples, name, match = {}) {
  let total = 0;
  for (const sample of samples) {
    if (sample.name !== name) continue;
    if (Object.entries(match).every(([label, value]) => sample.labels[label] === value)) total += sample.value;
  }
  return total;
}

// ---- Charts ---------------------------------------------------------------

/**
 * Each chart: its series and how to read a point from the current scrape (`now`) and the previous one (`before`, `seconds` apart).
 * Counters are shown as rates; a negative step (a shard restarted its counters) counts as none.
 */
const rate = (now, before, seconds, name, match) => (before ? Math.max(0, sumOf(now, name, match) - sumOf(before, name, match)) / seconds : null);
const CHARTS = [
  { id: 'queue', title: 'Queue depth', unit: 'jobs', series: TIERS.map((tier) => ({ label: tier, read: (now) => sumOf(now, 'lumen_queue_depth', { tier }) })) },
  { id: 'wait', title: 'Estimated wait', unit: 's', series: TIERS.map((tier) => ({ label: tier, read: (now) => sumOf(now, 'lumen_queue_estimated_wait_seconds', { tier }) })) },
  { id: 'admissions', title: 'Admissions', unit: '/s', series: ['sync', 'deferred', 'async', 'refused'].map((mode) => ({ label: mode, read: (now, before, s) => rate(now, before, s, 'lumen_admissions_total', { mode }) })) },
  { id: 'throughput', title: 'Jobs finished', unit: '/s', series: ['succeeded', 'failed'].map((status) => ({ label: status, read: (now, before, s) => rate(now, before, s, 'lumen_jobs_finished_total', { status }) })) },
  {
    id: 'lease-latency',
    title: 'Lease latency (mean)',
    unit: 's',
    series: [
      {
        label: 'mean',
        read: (now, before) => {
          if (!before) return null;
          const leases = sumOf(now, 'lumen_lease_latency_seconds_count') - sumOf(before, 'lumen_lease_latency_seconds_count');
          return leases > 0 ? (sumOf(now, 'lumen_lease_latency_seconds_sum') - sumOf(before, 'lumen_lease_latency_seconds_sum')) / leases : null;
        },
      },
    ],
  },
  { id: 'throttled', title: '429s', unit: '/s', series: [...TIERS, 'none'].map((tier) => ({ label: tier, read: (now, before, s) => rate(now, before, s, 'lumen_rate_limited_total', { tier }) })) },
  { id: 'safety', title: 'Safety blocks', unit: '/min', series: [{ label: 'blocks', read: (_now, _before, _s, blocksPerMinute) => blocksPerMinute }] },
];

/** @type {{ at: number, samples: ReturnType<typeof parsePrometheus> } | null} */
let previous = null;
/** x (epoch seconds), then one array per series of each chart. */
const windows = new Map(CHARTS.map((chart) => [chart.id, [[], ...chart.series.map(() => [])]]));
/** @type {Map<string, { plot: InstanceType<typeof uPlot>, figure: HTMLElement }>} */
const plots = new Map();
/** Newest safety block already counted, so each refresh counts only the new ones. */
let lastBlockId = null;

function chartWidth(figure) {
  return Math.max(200, figure.clientWidth - 2);
}

function buildCharts() {
  const host = $('#charts');
  for (const chart of CHARTS) {
    const figure = document.createElement('figure');
    figure.className = 'chart';
    figure.dataset.chart = chart.id;
    figure.dataset.points = '0';
    figure.dataset.peak = '0';
    const caption = document.createElement('figcaption');
    caption.textContent = `${chart.title} (${chart.unit})`;
    figure.append(caption);
    host.append(figure);
    const plot = new uPlot(
      {
        width: chartWidth(figure),
        height: 170,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [{ stroke: '#5a5f6b', grid: { stroke: '#eceef2' } }, { stroke: '#5a5f6b', grid: { stroke: '#eceef2' }, size: 48 }],
        series: [{}, ...chart.series.map((series) => ({ label: series.label, stroke: COLOURS[series.label] ?? '#3a3fd8', width: 2, spanGaps: true, points: { show: false } }))],
        legend: { live: false },
      },
      /** @type {uPlot.AlignedData} */ (windows.get(chart.id)),
      figure,
    );
    plots.set(chart.id, { plot, figure });
  }
  new ResizeObserver(() => {
    for (const { plot, figure } of plots.values()) plot.setSize({ width: chartWidth(figure), height: 170 });
  }).observe(host);
}

async function safetyBlocksPerMinute(seconds) {
  const page = await adminJson('GET', '/v1/admin/safety?blocked=true&limit=100');
  const newest = page.data[0]?.id ?? null;
  const fresh = lastBlockId === null ? 0 : page.data.filter((verdict) => verdict.id > lastBlockId).length;
  const first = lastBlockId === null && previous === null;
  lastBlockId = newest ?? lastBlockId ?? 0;
  return first ? null : (fresh / seconds) * 60;
}

async function refreshCharts() {
  const response = await adminFetch('GET', '/v1/admin/metrics');
  const samples = parsePrometheus(await response.text());
  const at = Date.now() / 1000;
  const seconds = previous ? Math.max(0.001, at - previous.at) : 1;
  let blocks = null;
  try {
    blocks = await safetyBlocksPerMinute(seconds);
  } catch (error) {
    // The audit log lives on the origins; without one answering, the other charts still move.
    if (error instanceof AdminProblem && error.status === 401) throw error;
  }
  for (const chart of CHARTS) {
    const data = windows.get(chart.id);
    data[0].push(at);
    chart.series.forEach((series, index) => data[index + 1].push(series.read(samples, previous?.samples ?? null, seconds, blocks)));
    if (data[0].length > WINDOW_POINTS) for (const column of data) column.shift();
    const { plot, figure } = plots.get(chart.id);
    plot.setData(data);
    figure.dataset.points = String(data[0].length);
    figure.dataset.peak = String(Math.max(0, ...data.slice(1).flat().filter((value) => typeof value === 'number')));
  }
  previous = { at, samples };
}

// ---- Workers and surge ----------------------------------------------------

function ago(ms) {
  if (ms === null || ms === undefined) return 'never';
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return seconds < 90 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`;
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

async function refreshWorkers() {
  const { data } = await adminJson('GET', '/v1/admin/workers');
  const body = $('#workers tbody');
  body.replaceChildren();
  for (const worker of data) {
    const row = document.createElement('tr');
    row.dataset.worker = worker.id;
    cell(row, worker.id, 'mono');
    cell(row, `${Math.min(worker.jobsHeld, worker.slots)} / ${worker.slots}`);
    cell(row, String(worker.jobsHeld));
    cell(row, ago(worker.lastHeartbeatAt));
    const heardAt = Math.max(worker.lastLeaseAt ?? 0, worker.lastHeartbeatAt ?? 0);
    // Idle workers call at least once per lease long poll (25 s); longer silence is a worker that may be gone, until WORKER_EXPIRY_MS drops it.
    const silent = Date.now() - heardAt > SILENT_AFTER_MS;
    const state = worker.draining ? `draining since ${clock(worker.drainingSince)}` : silent ? `silent ${ago(heardAt).replace(' ago', '')}` : 'active';
    cell(row, state, worker.draining || silent ? 'warn' : 'ok');
    const action = cell(row, '');
    const drain = document.createElement('button');
    drain.type = 'button';
    drain.textContent = 'Drain';
    drain.disabled = worker.draining;
    drain.setAttribute('aria-label', `Drain ${worker.id}`);
    drain.addEventListener('click', () => {
      if (!confirm(`Drain ${worker.id}? It takes no new jobs, finishes the ones it holds and leaves.`)) return;
      void act(async () => {
        await adminJson('POST', `/v1/admin/workers/${encodeURIComponent(worker.id)}/drain`);
        await refreshWorkers();
      });
    });
    action.append(drain);
    body.append(row);
  }
  $('#workers-empty').hidden = data.length > 0;
}

async function refreshSurge() {
  const status = await adminJson('GET', '/v1/admin/surge?limit=20');
  const state = $('#surge-state');
  const load = status.load ? ` · last reading: paid wait ${Math.round(status.load.paidWaitMs)} ms, ${status.load.freeBacklog} free queued` : '';
  state.textContent = `${status.surge ? 'Surge limits apply' : 'Normal limits'} · mode ${status.mode}${status.mode === 'auto' ? '' : ' (pinned)'}${load}`;
  state.dataset.surge = String(status.surge);
  state.dataset.mode = status.mode;
  for (const button of document.querySelectorAll('[data-surge]')) button.setAttribute('aria-pressed', String(button.getAttribute('data-surge') === status.mode));
  const list = $('#surge-history');
  list.replaceChildren();
  for (const change of status.history) {
    const item = document.createElement('li');
    const time = document.createElement('time');
    time.dateTime = new Date(change.at).toISOString();
    time.textContent = clock(change.at);
    item.append(time, ` ${change.surge ? 'engaged' : 'released'} by ${change.cause} (${change.mode}): ${change.reason}`);
    list.append(item);
  }
  if (status.history.length === 0) {
    const item = document.createElement('li');
    item.className = 'hint';
    item.textContent = 'No change yet.';
    list.append(item);
  }
}

// ---- Job inspector ----------------------------------------------------------

async function findJobs(form) {
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (typeof value === 'string' && value.trim() !== '') query.set(name, value.trim());
  query.set('limit', '50');
  const { data } = await adminJson('GET', `/v1/admin/jobs?${query}`);
  const body = $('#jobs tbody');
  body.replaceChildren();
  for (const job of data) {
    const row = document.createElement('tr');
    row.dataset.job = job.id;
    const idCell = cell(row, '', 'mono');
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'link';
    open.textContent = job.id;
    open.addEventListener('click', () => void act(() => showJob(job.id)));
    idCell.append(open);
    cell(row, job.tenantId);
    cell(row, job.tier);
    cell(row, job.status, `status-${job.status}`);
    cell(row, String(job.attempt));
    cell(row, String(job.passesDone));
    cell(row, clock(job.createdAt));
    body.append(row);
  }
  $('#jobs-empty').hidden = data.length > 0;
  if (data.length === 1) await showJob(data[0].id);
  else $('#job').hidden = true;
}

/** One line of the history: what happened, in words an operator reads at a glance. */
function describeEvent(event, tier) {
  const data = event.data;
  switch (event.type) {
    case 'queued':
      return { kind: 'admission', text: `admitted and queued (${tier})` };
    case 'leased': {
      const where = data.worker ? ` on ${data.worker}` : '';
      if (Number(data.resumeAfterPass) > 0) return { kind: 'resume', text: `resumed at pass ${Number(data.resumeAfterPass) + 1}${where} (attempt ${data.attempt}, from the checkpoint after pass ${data.resumeAfterPass})` };
      return { kind: 'lease', text: `leased${where} (attempt ${data.attempt})` };
    }
    case 'progress':
      return { kind: 'progress', text: `pass ${data.passesDone} done, checkpoint stored` };
    case 'partial_image':
      return { kind: 'progress', text: `preview of image ${data.imageIndex} after pass ${data.pass} (partial ${data.partialImageIndex})` };
    case 'requeued':
      return { kind: 'requeue', text: `requeued: ${data.reason} (attempt ${data.attempt} interrupted after pass ${data.resumeAfterPass}; ${data.attemptSpent === false ? 'attempt given back' : 'attempt spent'})` };
    case 'completed':
      return { kind: 'outcome good', text: `succeeded with ${data.images} image${data.images === 1 ? '' : 's'}` };
    case 'failed':
      return { kind: 'outcome bad', text: `failed: ${data.code}: ${data.message}` };
    case 'cancelled':
      return { kind: 'outcome bad', text: `cancelled after pass ${data.afterPass}` };
    default:
      return { kind: 'other', text: `${event.type} ${JSON.stringify(data)}` };
  }
}

function summaryItem(list, term, value) {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  list.append(dt, dd);
}

async function showJob(id) {
  const job = await adminJson('GET', `/v1/admin/jobs/${encodeURIComponent(id)}`);
  /** @type {{ at: number, kind: string, text: string, precise: boolean }[]} */
  const entries = job.events.map((event) => ({ at: event.createdAt, precise: true, ...describeEvent(event, job.tier) }));
  let safetyNote = null;
  try {
    const verdicts = await adminJson('GET', `/v1/admin/safety?job=${encodeURIComponent(id)}&limit=100`);
    for (const verdict of verdicts.data) {
      const where = verdict.stage === 'input' ? 'prompt' : `image ${verdict.image_index} at pass ${verdict.pass}`;
      const score = typeof verdict.score === 'number' ? ` ${verdict.score.toFixed(2)}` : '';
      const text = verdict.allowed ? `safety: ${where} allowed by ${verdict.plugin}` : `safety: ${where} blocked by ${verdict.plugin} (${verdict.category}${score})`;
      entries.push({ at: verdict.created_at * 1000, precise: false, kind: verdict.allowed ? 'safety' : 'safety bad', text });
    }
  } catch (error) {
    if (error instanceof AdminProblem && error.status === 401) throw error;
    safetyNote = `Safety verdicts unavailable: ${error instanceof Error ? error.message : String(error)}`;
  }
  entries.sort((a, b) => a.at - b.at);
  for (const delivery of job.webhooks) {
    const text = `webhook to ${delivery.url}: ${delivery.status} after ${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}${delivery.lastError ? ` (${delivery.lastError})` : ''}`;
    entries.push({ at: delivery.nextAttemptAt, precise: delivery.status === 'pending', kind: delivery.status === 'failed' ? 'webhook bad' : 'webhook', text: delivery.status === 'pending' ? `${text}, next try` : text });
  }

  $('#job-title').textContent = job.id;
  const summary = $('#job-summary');
  summary.replaceChildren();
  summaryItem(summary, 'Tenant', `${job.tenantId} (${job.tier})`);
  summaryItem(summary, 'Status', job.status);
  summaryItem(summary, 'Attempt', String(job.attempt));
  summaryItem(summary, 'Passes done', String(job.passesDone));
  summaryItem(summary, 'Held by', job.leaseWorker ?? '—');
  summaryItem(summary, 'Prompt', job.params.prompt);
  summaryItem(summary, 'Size', `${job.params.width} × ${job.params.height}, n ${job.params.n}`);
  if (job.traceId) summaryItem(summary, 'Trace', job.traceId);
  const timeline = $('#timeline');
  timeline.replaceChildren();
  const start = job.createdAt;
  for (const entry of entries) {
    const item = document.createElement('li');
    item.className = entry.kind;
    const time = document.createElement('time');
    time.dateTime = new Date(entry.at).toISOString();
    const offset = (entry.at - start) / 1000;
    time.textContent = `${clock(entry.at)} +${entry.precise ? offset.toFixed(1) : Math.max(0, Math.round(offset))} s`;
    const text = document.createElement('span');
    text.textContent = entry.text;
    item.append(time, text);
    timeline.append(item);
  }
  if (safetyNote) {
    const item = document.createElement('li');
    item.className = 'hint';
    item.textContent = safetyNote;
    timeline.append(item);
  }
  $('#job').hidden = false;
  $('#job').dataset.job = job.id;
}

// ---- Plumbing ---------------------------------------------------------------

function secret() {
  return sessionStorage.getItem(SECRET_KEY) ?? '';
}

async function adminFetch(method, path) {
  const response = await fetch(path, { method, headers: { authorization: `Bearer ${secret()}` }, cache: 'no-store' });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = (await response.json()).error?.message ?? message;
    } catch {
      // Not the API's JSON error: the status says enough.
    }
    throw new AdminProblem(message, response.status);
  }
  return response;
}

async function adminJson(method, path) {
  return (await adminFetch(method, path)).json();
}

function say(text, bad = false) {
  const status = $('#status');
  status.textContent = text;
  status.classList.toggle('bad', bad);
}

/** Runs an action, putting its failure in the status line; a refused secret signs out. */
async function act(action) {
  try {
    await action();
  } catch (error) {
    if (error instanceof AdminProblem && error.status === 401) {
      signOut();
      say(`The admin secret was refused: ${error.message}`, true);
      return;
    }
    say(error instanceof Error ? error.message : String(error), true);
  }
}

let timer = 0;

async function refresh() {
  await act(async () => {
    await Promise.all([refreshCharts(), refreshWorkers(), refreshSurge()]);
    say(`Updated ${clock(Date.now())}`);
    document.body.dataset.ready = 'true';
  });
}

function signIn() {
  $('#console').hidden = false;
  $('#sign-out').hidden = false;
  $('#sign-in').hidden = true;
  /** @type {HTMLInputElement} */ ($('#admin-secret')).value = '';
  /** @type {HTMLInputElement} */ ($('#admin-secret')).placeholder = 'signed in';
  if (plots.size === 0) buildCharts();
  clearInterval(timer);
  void refresh();
  timer = window.setInterval(() => void refresh(), REFRESH_MS);
}

function signOut() {
  sessionStorage.removeItem(SECRET_KEY);
  clearInterval(timer);
  $('#console').hidden = true;
  $('#sign-out').hidden = true;
  $('#sign-in').hidden = false;
  /** @type {HTMLInputElement} */ ($('#admin-secret')).placeholder = '';
  delete document.body.dataset.ready;
}

$('#access').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = /** @type {HTMLInputElement} */ ($('#admin-secret')).value.trim();
  if (value === '') return say('Enter the ADMIN_SECRET.', true);
  sessionStorage.setItem(SECRET_KEY, value);
  say('Signing in…');
  signIn();
});
$('#sign-out').addEventListener('click', () => {
  signOut();
  say('Signed out.');
});
for (const button of document.querySelectorAll('[data-surge]')) {
  button.addEventListener('click', () =>
    void act(async () => {
      const response = await fetch('/v1/admin/surge', {
        method: 'POST',
        headers: { authorization: `Bearer ${secret()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ mode: button.getAttribute('data-surge') }),
      });
      if (!response.ok) throw new AdminProblem((await response.json()).error?.message ?? String(response.status), response.status);
      await refreshSurge();
    }),
  );
}
$('#find').addEventListener('submit', (event) => {
  event.preventDefault();
  void act(() => findJobs(/** @type {HTMLFormElement} */ (event.target)));
});

if (secret() !== '') signIn();
