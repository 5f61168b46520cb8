// Lumen playground: generate, watch it sharpen, edit, verify. Plain ES modules, no build step.
import { ApiProblem, authHeaders, blobOfBase64, describeError, limitsInWords, problemOf, readEvents, waitInWords } from './api.js';
import { MaskPainter } from './mask.js';

const KEY_STORAGE = 'lumen.apiKey';
const GALLERY_STORAGE = 'lumen.gallery';
const GALLERY_MAX = 60;
const PARTIAL_IMAGES = 3;
const QUEUE_POLL_MS = 2000;
const MIME = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const keyInput = /** @type {HTMLInputElement} */ ($('api-key'));
const slotsBox = $('slots');
const statusBox = $('status');
const errorBox = $('error');
const jobLog = $('job-log');
const cancelButton = /** @type {HTMLButtonElement} */ ($('cancel'));
const goButton = /** @type {HTMLButtonElement} */ ($('go'));
const applyButton = /** @type {HTMLButtonElement} */ ($('apply-edit'));
const editImage = /** @type {HTMLImageElement} */ ($('edit-image'));
const brush = /** @type {HTMLInputElement} */ ($('brush'));

// ---------------------------------------------------------------------------
// The key: localStorage, or `#key=` once (what `npm start` prints), then gone from the URL.

function takeKeyFromHash() {
  const match = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (!match?.[1]) return;
  localStorage.setItem(KEY_STORAGE, decodeURIComponent(match[1]));
  history.replaceState(history.state, '', location.pathname + location.search);
}

function apiKey() {
  return keyInput.value.trim();
}

function requireKey() {
  const key = apiKey();
  if (!key) throw new ApiProblem('Paste an API key first, or press "Get a free key".', 0, null, null);
  return key;
}

keyInput.addEventListener('change', () => localStorage.setItem(KEY_STORAGE, apiKey()));
$('show-key').addEventListener('click', (event) => {
  const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
  const shown = keyInput.type === 'text';
  keyInput.type = shown ? 'password' : 'text';
  button.textContent = shown ? 'Show' : 'Hide';
  button.setAttribute('aria-pressed', String(!shown));
});

$('signup').addEventListener('click', async () => {
  clearError();
  try {
    const response = await fetch('/v1/signup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    if (!response.ok) throw await problemOf(response);
    const body = await response.json();
    keyInput.value = body.key;
    localStorage.setItem(KEY_STORAGE, body.key);
    say(`Free key made (tenant ${body.tenant}, ${body.tier} tier) and saved in this browser.`);
  } catch (error) {
    showError(error);
  }
});

// ---------------------------------------------------------------------------
// Words on the page

/** @param {string} text */
function say(text) {
  statusBox.textContent = text;
}

/** @param {string} text */
function log(text) {
  const item = document.createElement('li');
  item.textContent = text;
  jobLog.append(item);
}

/** @param {unknown} error */
function showError(error) {
  const text = error instanceof ApiProblem ? error.message : error instanceof Error ? `Something went wrong: ${error.message}` : String(error);
  errorBox.textContent = text;
  errorBox.hidden = false;
}

function clearError() {
  errorBox.hidden = true;
  errorBox.textContent = '';
}

/** @param {Headers} headers */
function showLimits(headers) {
  const words = limitsInWords(headers);
  if (words) $('limits').textContent = words;
}

/** @param {number} ms */
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** @param {any} usage */
function usageInWords(usage) {
  if (!usage) return '';
  return ` · ${usage.total_tokens} tokens (${usage.input_tokens} in, ${usage.output_tokens} out)`;
}

// ---------------------------------------------------------------------------
// One run: a generation or an edit, streamed or followed as a job.

/**
 * @typedef {{ imageId: string | null, jobId: string | null, index: number, prompt: string, parent: string | null,
 *             blob?: Blob, thumb?: string, format?: string, uploadName?: string }} Version
 * @typedef {{ controller: AbortController, jobId: string | null, startedAt: number, prompt: string, parent: Version | null,
 *             n: number, partialCounts: number[], completed: number, finalsSeen: number, finals: Promise<void>[], phase: string, finished: boolean, cancelled: boolean,
 *             pollTimer: number | undefined, clock: number | undefined, lastEventId: string }} Run
 */
/** @type {Run | null} */
let run = null;

function setBusy(busy) {
  cancelButton.disabled = !busy;
  goButton.disabled = busy;
  applyButton.disabled = busy;
}

/** @param {string} phase */
function setPhase(phase) {
  if (!run) return;
  run.phase = phase;
  say(phase);
}

/** @param {string | null} jobId */
function rememberJob(jobId) {
  const url = new URL(location.href);
  if (jobId) url.searchParams.set('job', jobId);
  else url.searchParams.delete('job');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}

/** @param {number} n @param {string} prompt @param {Version | null} parent */
function beginRun(n, prompt, parent) {
  clearError();
  jobLog.replaceChildren();
  slotsBox.replaceChildren(...Array.from({ length: n }, (_, index) => slotElement(index, n)));
  run = {
    controller: new AbortController(),
    jobId: null,
    startedAt: Date.now(),
    prompt,
    parent,
    n,
    partialCounts: [],
    completed: 0,
    finalsSeen: 0,
    finals: [],
    phase: 'Sending',
    finished: false,
    cancelled: false,
    pollTimer: undefined,
    clock: undefined,
    lastEventId: '0',
  };
  const current = run;
  // The elapsed time ticks outside the live region, so screen readers hear phases, not every tenth of a second.
  current.clock = window.setInterval(() => {
    if (!current.finished) $('clock').textContent = seconds(Date.now() - current.startedAt);
  }, 100);
  setBusy(true);
  setPhase('Sending');
  return current;
}

/** @param {Run} current @param {string} words */
function endRun(current, words) {
  current.finished = true;
  window.clearInterval(current.clock);
  window.clearInterval(current.pollTimer);
  $('clock').textContent = seconds(Date.now() - current.startedAt);
  say(words);
  if (run === current) {
    setBusy(false);
    rememberJob(null);
  }
}

/** @param {number} index @param {number} n */
function slotElement(index, n) {
  const figure = document.createElement('figure');
  figure.className = 'slot';
  figure.dataset.index = String(index);
  figure.dataset.state = 'waiting';
  figure.dataset.partials = '0';
  const frame = document.createElement('div');
  frame.className = 'frame';
  const image = document.createElement('img');
  image.alt = `Image ${index + 1} of ${n}: waiting for the first pass`;
  frame.append(image);
  const caption = document.createElement('figcaption');
  caption.textContent = `Image ${index + 1} · waiting`;
  const actions = document.createElement('div');
  actions.className = 'slot-actions';
  actions.hidden = true;
  figure.append(frame, caption, actions);
  return figure;
}

/** @param {number} index */
function slotAt(index) {
  return /** @type {HTMLElement | null} */ (slotsBox.querySelector(`.slot[data-index="${index}"]`));
}

/** @param {Run} current @param {number} index @param {string} src @param {number} pass */
function showPartial(current, index, src, pass) {
  const slot = slotAt(index);
  if (!slot || current.finished || slot.dataset.state === 'final') return;
  const image = /** @type {HTMLImageElement} */ (slot.querySelector('img'));
  if (image.src.startsWith('blob:')) URL.revokeObjectURL(image.src);
  slot.dataset.state = 'partial';
  slot.dataset.partials = String(Number(slot.dataset.partials) + 1);
  image.src = src;
  image.alt = `Image ${index + 1}: preview after pass ${pass}`;
  /** @type {HTMLElement} */ (slot.querySelector('figcaption')).textContent = `Image ${index + 1} · pass ${pass}`;
  setPhase(`Rendering: pass ${pass}${current.n > 1 ? ` (image ${index + 1} of ${current.n})` : ''}`);
}

/** @param {Run} current @param {number} index @param {Version} version @param {any} usage */
async function showFinal(current, index, version, usage) {
  const slot = slotAt(index);
  if (!slot || !version.blob) return;
  const image = /** @type {HTMLImageElement} */ (slot.querySelector('img'));
  if (image.src.startsWith('blob:')) URL.revokeObjectURL(image.src);
  slot.dataset.state = 'final';
  slot.dataset.imageId = version.imageId ?? '';
  image.src = URL.createObjectURL(version.blob);
  image.alt = `Image ${index + 1}, final: ${version.prompt}`;
  /** @type {HTMLElement} */ (slot.querySelector('figcaption')).textContent = `Image ${index + 1} · final${version.imageId ? ` · ${version.imageId}` : ''}`;
  const actions = /** @type {HTMLElement} */ (slot.querySelector('.slot-actions'));
  actions.replaceChildren(
    button('Edit', `Edit image ${index + 1}`, () => selectSource(version)),
    button('Download', `Download image ${index + 1}`, () => downloadVersion(version)),
    button('Verify', `Verify image ${index + 1}`, () => verify(/** @type {Blob} */ (version.blob))),
  );
  actions.hidden = false;
  version.thumb = await thumbnail(version.blob);
  if (version.imageId) addToGallery(version);
  current.completed++;
  if (current.completed >= current.n) {
    endRun(current, `Done in ${seconds(Date.now() - current.startedAt)}${usageInWords(usage)}`);
    if (current.parent && current.n === 1) selectSource(version);
  }
}

/** @param {string} text @param {string} label @param {() => unknown} onClick */
function button(text, label, onClick) {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = text;
  element.setAttribute('aria-label', label);
  element.addEventListener('click', () => void onClick());
  return element;
}

/** @param {string} jobId @param {number} index */
const imageIdOf = (jobId, index) => `img_${jobId.slice('job_'.length)}_${index}`;

/**
 * Sends a generation or edit and shows it to the end: streamed when it can be,
 * or followed as a job when the answer is 202.
 * @param {{ path: string, json?: Record<string, unknown>, form?: () => Promise<FormData>, n: number, prompt: string, parent: Version | null, async: boolean, format: string }} request
 */
async function submit(request) {
  let current;
  try {
    const key = requireKey();
    current = beginRun(request.n, request.prompt, request.parent);
    /** @type {Record<string, string>} */
    const headers = authHeaders(key);
    if (request.async) headers.prefer = 'respond-async';
    let body;
    if (request.form) {
      // Built after the run began, so the page shows the new run at once, not the last result while the mask encodes.
      body = await request.form();
      body.set('stream', String(!request.async));
      if (!request.async) body.set('partial_images', String(PARTIAL_IMAGES));
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify({ ...request.json, ...(request.async ? {} : { stream: true, partial_images: PARTIAL_IMAGES }) });
    }
    const response = await fetch(request.path, { method: 'POST', headers, body, signal: current.controller.signal });
    showLimits(response.headers);
    current.jobId = response.headers.get('lumen-job-id');
    if (current.jobId) {
      rememberJob(current.jobId);
      sessionStorage.setItem(`lumen.prompt.${current.jobId}`, request.prompt);
    }
    if (!response.ok) throw await problemOf(response);
    if (response.status === 202) {
      const job = await response.json();
      log(`Accepted as job ${job.id}${response.headers.get('lumen-admission') === 'deferred' ? ' (the free tier queues it)' : ''}.`);
      await followJob(current, job.id, job);
      return;
    }
    if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      setPhase('Waiting for the first pass');
      await readEvents(response, (event) => onStreamEvent(current, request.format, event));
      await Promise.all(current.finals);
      if (!current.finished && !current.cancelled) throw new Error('the stream ended before the image was finished');
      return;
    }
    const answer = await response.json();
    await Promise.all(
      answer.data.map((item, index) =>
        showFinal(current, index, versionOf(current, item.image_id, index, blobOfBase64(item.b64_json, MIME[answer.output_format] ?? 'image/png'), request.format), answer.usage),
      ),
    );
  } catch (error) {
    if (current?.cancelled) return;
    if (current) endRun(current, 'Stopped: see the message above.');
    // Nothing was rendered: the empty places would only suggest that something is coming.
    if (!slotsBox.querySelector('.slot:not([data-state="waiting"])')) slotsBox.replaceChildren(emptyResults());
    showError(error);
  }
}

function emptyResults() {
  const empty = document.createElement('p');
  empty.className = 'empty';
  empty.textContent = 'Your images appear here, sharpening pass by pass.';
  return empty;
}

/** @param {Run} current @param {string | null} imageId @param {number} index @param {Blob} blob @param {string} format @returns {Version} */
function versionOf(current, imageId, index, blob, format) {
  return { imageId, jobId: current.jobId, index, prompt: current.prompt, parent: current.parent?.imageId ?? current.parent?.uploadName ?? null, blob, format };
}

/** @param {Run} current @param {string} format @param {{ event: string, data: string }} event */
function onStreamEvent(current, format, event) {
  const data = JSON.parse(event.data);
  if (event.event.endsWith('.partial_image')) {
    const pass = Number(data.partial_image_index);
    // `image_index` when the server sends it; otherwise the k-th preview of a pass belongs to image k.
    const seen = current.partialCounts[pass] ?? 0;
    current.partialCounts[pass] = seen + 1;
    const index = typeof data.image_index === 'number' ? data.image_index : Math.min(seen, current.n - 1);
    showPartial(current, index, URL.createObjectURL(blobOfBase64(data.b64_json, 'image/webp')), pass + 1);
  } else if (event.event.endsWith('.completed')) {
    // Counted here, not in showFinal, which awaits: two completed events in a row must not both take the same place.
    const index = typeof data.image_index === 'number' ? data.image_index : current.finalsSeen++;
    const blob = blobOfBase64(data.b64_json, MIME[data.output_format] ?? MIME[format] ?? 'image/png');
    current.finals.push(showFinal(current, index, versionOf(current, data.image_id ?? null, index, blob, data.output_format ?? format), data.usage));
  } else if (event.event.endsWith('.requeued')) {
    log(`The worker was lost; the job resumes${data.resume_from_pass ? ` after pass ${data.resume_from_pass}` : ' from the start'}.`);
    setPhase('Resuming on another worker');
  } else if (event.event === 'error') {
    throw new ApiProblem(describeError(0, data.error, new Headers()), 0, data.error, null);
  }
}

// ---------------------------------------------------------------------------
// Deferred jobs: the job's events, read with fetch; its queue position polled while it waits.

/** @param {any} job */
function queueWords(job) {
  const position = job.queue_position;
  const wait = typeof job.estimated_wait_seconds === 'number' ? `, about ${waitInWords(job.estimated_wait_seconds)} to wait` : '';
  return position === null || position === undefined ? 'Queued' : `Queued: position ${position + 1} in line${wait}`;
}

/** @param {Run} current @param {string} jobId @param {any} job the job's view, when already known */
async function followJob(current, jobId, job) {
  const key = requireKey();
  current.jobId = jobId;
  rememberJob(jobId);
  statusBox.dataset.jobId = jobId;
  if (job) onJobView(current, job);
  const refresh = async () => {
    const response = await fetch(`/v1/images/jobs/${jobId}`, { headers: authHeaders(key), signal: current.controller.signal });
    if (!response.ok) throw await problemOf(response);
    const view = await response.json();
    onJobView(current, view);
    return view;
  };
  if (!job) job = await refresh();
  current.pollTimer = window.setInterval(() => {
    if (current.phase.startsWith('Queued')) refresh().catch(() => undefined);
  }, QUEUE_POLL_MS);
  while (!current.finished && !current.cancelled) {
    const response = await fetch(`/v1/images/jobs/${jobId}/events?after=${current.lastEventId}`, { headers: authHeaders(key), signal: current.controller.signal });
    if (!response.ok) throw await problemOf(response);
    let terminal = null;
    await readEvents(response, (event) => {
      if (event.id) current.lastEventId = event.id;
      const data = JSON.parse(event.data);
      if (event.event === 'queued') log('Queued.');
      else if (event.event === 'leased') {
        log(`A worker took the job (attempt ${data.attempt}).`);
        setPhase('Rendering');
      } else if (event.event === 'progress') setPhase(`Rendering: pass ${data.passesDone} done`);
      else if (event.event === 'partial_image') {
        const index = Number(data.imageIndex ?? 0);
        showPartial(current, index, data.url, Number(data.partialImageIndex) + 1);
      } else if (event.event === 'requeued') log(`The worker was lost; the job goes back to the queue (${data.reason}).`);
      else if (event.event === 'completed' || event.event === 'failed' || event.event === 'cancelled') terminal = event.event;
    });
    if (terminal) {
      await finishJob(current, await refresh());
      return;
    }
    // The stream closed early (a restart, a proxy): pick up where it stopped.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** @param {Run} current @param {any} job */
function onJobView(current, job) {
  if (current.finished) return;
  if (job.status === 'queued') {
    const words = queueWords(job);
    if (words !== current.phase) log(words);
    setPhase(words);
  } else if (job.status === 'running' && current.phase.startsWith('Queued')) {
    setPhase(`Rendering: pass ${job.passes_done} done`);
  }
}

/** @param {Run} current @param {any} job */
async function finishJob(current, job) {
  if (job.status === 'succeeded') {
    log('Finished.');
    current.n = job.data.length;
    if (slotsBox.querySelectorAll('.slot').length !== current.n) slotsBox.replaceChildren(...job.data.map((_, index) => slotElement(index, current.n)));
    await Promise.all(
      job.data.map(async (item, index) => {
        const response = await fetch(item.url);
        if (!response.ok) throw await problemOf(response);
        const blob = await response.blob();
        const format = Object.entries(MIME).find(([, type]) => type === blob.type)?.[0] ?? 'png';
        await showFinal(current, index, versionOf(current, imageIdOf(job.id, index), index, blob, format), null);
      }),
    );
  } else if (job.status === 'cancelled') {
    log('Cancelled.');
    endRun(current, 'Cancelled: the job will not run.');
  } else {
    endRun(current, 'Failed.');
    const error = job.error ?? { message: 'The job failed.' };
    throw new ApiProblem(describeError(error.code === 'moderation_blocked' ? 400 : 502, error, new Headers()), 0, error, null);
  }
}

cancelButton.addEventListener('click', async () => {
  const current = run;
  if (!current || current.finished) return;
  current.cancelled = true;
  // A stream is closed first; the job it names (Lumen-Job-Id) is then cancelled on the server.
  current.controller.abort();
  endRun(current, 'Cancelling…');
  if (!current.jobId) return say('Cancelled before the server named the job.');
  try {
    const response = await fetch(`/v1/images/jobs/${current.jobId}/cancel`, { method: 'POST', headers: authHeaders(requireKey()) });
    if (response.status === 409) return say('Too late to cancel: the job had already finished.');
    if (!response.ok) throw await problemOf(response);
    const job = await response.json();
    log('Cancelled.');
    say(`Cancelled: job ${job.id} is ${job.status}.`);
  } catch (error) {
    showError(error);
  }
});

// ---------------------------------------------------------------------------
// Generate

$('generate').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = (id) => /** @type {HTMLInputElement} */ ($(id)).value.trim();
  const n = Math.max(1, Math.min(10, Number(value('n')) || 1));
  const format = value('format');
  /** @type {Record<string, unknown>} */
  const json = { prompt: value('prompt'), size: value('size'), quality: value('quality'), n, output_format: format, response_format: 'b64_json' };
  if (value('background') !== 'auto') json.background = value('background');
  if (value('seed') !== '') json.seed = Number(value('seed'));
  const async = /** @type {HTMLInputElement} */ ($('async')).checked;
  void submit({ path: '/v1/images/generations', json, n, prompt: value('prompt'), parent: null, async, format });
});

// ---------------------------------------------------------------------------
// Edit: a source (a result, a gallery item or an upload), a mask, a prompt; the chain of versions.

/** @type {Version | null} */
let source = null;
/** @type {Version[]} */
let chain = [];
const painter = new MaskPainter(/** @type {HTMLCanvasElement} */ ($('mask')), () => Number(brush.value), (painted) => {
  $('mask-state').textContent = painted ? 'Mask painted: only the painted area will change.' : 'No mask painted.';
  $('paint').dataset.painted = String(painted);
});
$('clear-mask').addEventListener('click', () => painter.clear());
/** @type {string[]} */
const retiredEditUrls = [];
editImage.addEventListener('load', () => {
  for (const url of retiredEditUrls.splice(0)) if (url !== editImage.src) URL.revokeObjectURL(url);
  painter.reset(editImage.naturalWidth, editImage.naturalHeight);
  // Says which image the mask canvas now belongs to (tests wait for it before painting).
  $('paint').dataset.source = source?.imageId ?? source?.uploadName ?? '';
});

/** @param {Version} version */
async function bytesOf(version) {
  if (version.blob) return version.blob;
  const response = await fetch(`/v1/images/jobs/${version.jobId}/images/${version.index}`, { headers: authHeaders(requireKey()) });
  if (!response.ok) throw await problemOf(response);
  version.blob = await response.blob();
  return version.blob;
}

/** @param {Version} version */
async function selectSource(version) {
  try {
    const blob = await bytesOf(version);
    source = version;
    chain = lineageOf(version);
    renderVersions();
    $('edit-stage').hidden = false;
    // The old picture's URL is given up once the new one has loaded, so nothing ever shows a revoked URL.
    if (editImage.src.startsWith('blob:')) retiredEditUrls.push(editImage.src);
    editImage.src = URL.createObjectURL(blob);
    editImage.alt = `The image being edited: ${version.prompt}`;
    $('edit').scrollIntoView({ block: 'nearest' });
    /** @type {HTMLInputElement} */ ($('edit-prompt')).focus({ preventScroll: true });
  } catch (error) {
    showError(error);
  }
}

/** @param {Version} version @returns {Version[]} */
function lineageOf(version) {
  const lineage = [version];
  const byId = new Map([...galleryEntries(), ...chain].map((entry) => [entry.imageId ?? entry.uploadName, entry]));
  for (let parent = version.parent; parent && lineage.length < 50; ) {
    const entry = byId.get(parent);
    if (!entry) break;
    lineage.unshift(entry);
    parent = entry.parent;
  }
  return lineage;
}

function renderVersions() {
  $('versions').replaceChildren(
    ...chain.map((version, position) => {
      const item = document.createElement('li');
      if (version === source) item.setAttribute('aria-current', 'true');
      const pick = document.createElement('button');
      pick.type = 'button';
      pick.className = 'version';
      pick.setAttribute('aria-label', `Version ${position + 1}: ${version.prompt}. Edit this version`);
      if (version.thumb) {
        const image = document.createElement('img');
        image.src = version.thumb;
        image.alt = '';
        pick.append(image);
      }
      const words = document.createElement('span');
      words.textContent = `${position + 1}. ${version.prompt}`;
      pick.append(words);
      pick.addEventListener('click', () => void selectSource(version));
      item.append(pick);
      return item;
    }),
  );
}

$('upload').addEventListener('change', async (event) => {
  const input = /** @type {HTMLInputElement} */ (event.currentTarget);
  const file = input.files?.[0];
  if (!file) return;
  const version = { imageId: null, jobId: null, index: 0, prompt: `Your upload (${file.name})`, parent: null, blob: file, uploadName: `upload:${file.name}:${file.size}`, thumb: await thumbnail(file) };
  chain = [];
  await selectSource(version);
});

$('edit-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!source) return;
  const prompt = /** @type {HTMLInputElement} */ ($('edit-prompt')).value.trim();
  const async = /** @type {HTMLInputElement} */ ($('async')).checked;
  const parent = source;
  try {
    if (!painter.painted && parent.imageId) {
      // Re-prompting an output: its stored tokens are reused, nothing is uploaded.
      void submit({ path: '/v1/images/edits', json: { image_id: parent.imageId, prompt, response_format: 'b64_json' }, n: 1, prompt, parent, async, format: parent.format ?? 'png' });
      return;
    }
    const mask = painter.painted ? painter.toPng() : null;
    const form = async () => {
      const data = new FormData();
      const blob = await bytesOf(parent);
      data.set('image', blob, `source.${blob.type.split('/')[1] ?? 'png'}`);
      if (mask) data.set('mask', await mask, 'mask.png');
      data.set('prompt', prompt);
      data.set('response_format', 'b64_json');
      return data;
    };
    void submit({ path: '/v1/images/edits', form, n: 1, prompt, parent, async, format: parent.format ?? 'png' });
  } catch (error) {
    showError(error);
  }
});

// ---------------------------------------------------------------------------
// Verify

/** @param {Blob} blob */
async function verify(blob) {
  const out = $('verify-result');
  out.textContent = 'Checking…';
  delete out.dataset.made;
  try {
    const form = new FormData();
    form.set('image', blob, 'image');
    const response = await fetch('/v1/provenance/verify', { method: 'POST', headers: authHeaders(requireKey()), body: form });
    showLimits(response.headers);
    if (!response.ok) throw await problemOf(response);
    const answer = await response.json();
    out.dataset.made = String(answer.made_by_lumen);
    out.textContent = verdictInWords(answer);
  } catch (error) {
    out.textContent = error instanceof Error ? error.message : String(error);
  }
}

/** @param {any} answer */
function verdictInWords(answer) {
  if (!answer.made_by_lumen) return 'Not made by Lumen, as far as it can tell: no watermark or provenance record was found.';
  const how =
    answer.match === 'exact'
      ? 'these are the exact bytes it delivered'
      : `its invisible watermark was found${answer.watermark?.confidence ? ` (confidence ${Number(answer.watermark.confidence).toFixed(1)})` : ''}, so it was re-encoded, resized or cropped since`;
  const record = answer.record;
  if (!record) return `Made by Lumen: ${how}. It was made for another account, so no details are shown.`;
  const when = new Date(record.created_at * 1000).toLocaleString();
  const signature = record.signature_valid ? 'the signed record checks out' : 'WARNING: the signature of its record does not check out';
  return `Made by Lumen: ${how}. Job ${record.job_id}, image ${record.image_index + 1}, made ${when} by ${record.model}; ${signature}.`;
}

const dropzone = $('dropzone');
const verifyFile = /** @type {HTMLInputElement} */ ($('verify-file'));
dropzone.addEventListener('dragover', (event) => {
  event.preventDefault();
  dropzone.classList.add('over');
});
dropzone.addEventListener('dragleave', () => dropzone.classList.remove('over'));
dropzone.addEventListener('drop', async (event) => {
  event.preventDefault();
  dropzone.classList.remove('over');
  const file = event.dataTransfer?.files?.[0];
  if (file) return verify(file);
  // An image dragged from this page arrives as its (blob or signed) URL.
  const url = event.dataTransfer?.getData('text/uri-list') || event.dataTransfer?.getData('text/plain');
  if (url) {
    const response = await fetch(url);
    return verify(await response.blob());
  }
});
dropzone.addEventListener('click', () => verifyFile.click());
dropzone.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    verifyFile.click();
  }
});
verifyFile.addEventListener('change', () => {
  const file = verifyFile.files?.[0];
  if (file) void verify(file);
});

// ---------------------------------------------------------------------------
// Gallery: this browser's results (ids, prompts, small thumbnails); the bytes are fetched with the key on download.

/** @returns {Version[]} */
function galleryEntries() {
  try {
    const entries = JSON.parse(localStorage.getItem(GALLERY_STORAGE) ?? '[]');
    return Array.isArray(entries) ? entries : [];
  } catch {
    return [];
  }
}

/** @param {Version} version */
function addToGallery(version) {
  const { blob: _bytes, ...stored } = version;
  const entries = [stored, ...galleryEntries().filter((entry) => entry.imageId !== version.imageId)].slice(0, GALLERY_MAX);
  try {
    localStorage.setItem(GALLERY_STORAGE, JSON.stringify(entries));
  } catch {
    // Storage full: keep the newest half.
    localStorage.setItem(GALLERY_STORAGE, JSON.stringify(entries.slice(0, GALLERY_MAX / 2)));
  }
  renderGallery();
}

function renderGallery() {
  const entries = galleryEntries();
  const list = $('gallery');
  if (entries.length === 0) {
    const empty = document.createElement('li');
    empty.className = 'empty';
    empty.textContent = 'Nothing yet: what you make here is listed here.';
    list.replaceChildren(empty);
    return;
  }
  list.replaceChildren(
    ...entries.map((entry) => {
      const item = document.createElement('li');
      const image = document.createElement('img');
      image.src = entry.thumb ?? '';
      image.alt = entry.prompt;
      const caption = document.createElement('p');
      caption.textContent = entry.prompt;
      const actions = document.createElement('div');
      actions.className = 'slot-actions';
      actions.append(button('Download', `Download: ${entry.prompt}`, () => downloadVersion(entry)), button('Edit', `Edit: ${entry.prompt}`, () => selectSource({ ...entry })));
      item.append(image, caption, actions);
      return item;
    }),
  );
}

$('clear-gallery').addEventListener('click', () => {
  localStorage.removeItem(GALLERY_STORAGE);
  renderGallery();
});

/** @param {Version} version */
async function downloadVersion(version) {
  try {
    const blob = await bytesOf(version);
    const extension = blob.type.split('/')[1] ?? 'png';
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `lumen-${version.imageId ?? 'image'}.${extension}`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } catch (error) {
    showError(error);
  }
}

/** A small WebP data URL of `blob`, for the gallery and the version chain. @param {Blob} blob */
async function thumbnail(blob) {
  try {
    const bitmap = await createImageBitmap(blob);
    const scale = Math.min(1, 160 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return canvas.toDataURL('image/webp', 0.75);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Start: the key, the gallery, and a job left running before a reload.

takeKeyFromHash();
keyInput.value = localStorage.getItem(KEY_STORAGE) ?? '';
renderGallery();
const pendingJob = new URL(location.href).searchParams.get('job');
if (pendingJob && /^job_[0-9a-z_]+$/.test(pendingJob) && apiKey()) {
  const current = beginRun(1, sessionStorage.getItem(`lumen.prompt.${pendingJob}`) ?? `job ${pendingJob}`, null);
  log(`Following job ${pendingJob} from before the reload.`);
  followJob(current, pendingJob, null).catch((error) => {
    if (current.cancelled) return;
    endRun(current, 'Stopped.');
    showError(error);
  });
}
document.body.dataset.ready = 'true';
