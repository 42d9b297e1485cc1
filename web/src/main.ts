import './style.css';
import { ApiError, call, discover, sleep, waitForResult, withRetry } from './api.js';
import { ChunkRecorder } from './recorder.js';
import { ResultView } from './result.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const KEY_STORE = 'openscribe.key';
const RECENT_STORE = 'openscribe.recent';
const TEMPLATES = ['soap', 'medications'];
const EXTENSIONS = ['webm', 'wav', 'ogg', 'opus', 'mp4', 'm4a', 'mp3'];

let key = localStorage.getItem(KEY_STORE) ?? '';
let recorder: ChunkRecorder | undefined;
let lastResult: unknown;
let discovery: Record<string, any> = {};
const view = new ResultView({ review: $('review'), transcript: $('transcript'), soap: $('soap'), medications: $('medications'), vitals: $('vitals') }, say);

/** An async DOM listener. Each handler catches its own errors; the listener drops the promise, as the DOM would. */
function onAsync(el: HTMLElement, type: string, handler: (e: Event) => Promise<void>): void {
  el.addEventListener(type, (e) => void handler(e));
}

function say(text: string): void {
  $('status').textContent = text;
}
const fail = (err: unknown) => say(`Error: ${err instanceof Error ? err.message : String(err)}`);

function needKey(): boolean {
  if (key) return false;
  say('Paste an API key first.');
  $('api-key').focus();
  return true;
}

// ── key ──
$<HTMLInputElement>('api-key').value = key;
$<HTMLInputElement>('remember').checked = !!localStorage.getItem(KEY_STORE);
$('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  key = $<HTMLInputElement>('api-key').value.trim();
  // The key stays in this page's memory unless the user asks for it to be remembered.
  if ($<HTMLInputElement>('remember').checked && key) localStorage.setItem(KEY_STORE, key);
  else localStorage.removeItem(KEY_STORE);
  say(key ? 'Key set.' : 'Key cleared.');
  void refreshRecent();
});

// ── recent sessions (the API has no list endpoint: ids are kept in this browser) ──
const recentIds = (): string[] => {
  try {
    const v = JSON.parse(localStorage.getItem(RECENT_STORE) ?? '[]');
    return Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [];
  } catch {
    return [];
  }
};
function remember(id: string): void {
  localStorage.setItem(RECENT_STORE, JSON.stringify([id, ...recentIds().filter((x) => x !== id)].slice(0, 20)));
}
async function refreshRecent(): Promise<void> {
  const ul = $('recent');
  if (!key) return void ul.replaceChildren();
  const items = await Promise.all(
    recentIds().map(async (id) => {
      const status = await call(key, 'GET', `/sessions/${encodeURIComponent(id)}`).then((r) => r.body?.status ?? '?', (e: ApiError) => (e.status === 404 ? 'not found' : 'unavailable'));
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = `${id} — ${status}`;
      b.addEventListener('click', () => void follow(id).catch(fail));
      li.append(b);
      return li;
    }),
  );
  ul.replaceChildren(...items);
}
$('refresh').addEventListener('click', () => void refreshRecent());

// ── a session's result ──
function showLive(body: any): void {
  $('live-transcript').textContent = body?.transcript || '';
}
async function follow(id: string): Promise<void> {
  say(`Waiting for session ${id}…`);
  const r = await waitForResult(key, id, (body) => {
    showLive(body);
    say(`Session ${id}: ${body.status}…`);
  });
  lastResult = r.body;
  $('result-status').textContent = `(${r.body?.status ?? r.status})`;
  $('result').hidden = false;
  view.render(r.body);
  const why = r.body?.error?.message ? `: ${r.body.error.message}` : '';
  say(`Session ${id} ${r.body?.status ?? r.status}${why}.`);
  $('result').dataset.sessionId = id;
  $('result').dataset.status = String(r.body?.status ?? r.status);
  void refreshRecent();
}

async function createSession(uploadType: 'chunked' | 'single'): Promise<string> {
  const mode = $<HTMLSelectElement>('mode').value;
  const r = await withRetry(() => call(key, 'POST', '/sessions', { upload_type: uploadType, communication_protocol: 'http', session_mode: mode, templates: TEMPLATES }));
  const id = r.body.session_id as string;
  remember(id);
  $('result').hidden = true;
  $('live-transcript').textContent = '';
  return id;
}

// ── recording ──
function showUploads(): void {
  const s = recorder?.state;
  if (!s) return;
  const p = $<HTMLProgressElement>('upload-progress');
  p.max = Math.max(1, s.total);
  p.value = s.acked;
  $('uploads').dataset.acked = String(s.acked);
  $('uploads').dataset.total = String(s.total);
  $('uploads').textContent = `${s.acked} of ${s.total} audio chunks uploaded${s.retrying ? ' (retrying…)' : ''}.`;
}

let ticking: number | undefined;
onAsync($('record'), 'click', async () => {
  if (needKey() || recorder) return;
  const btn = $<HTMLButtonElement>('record');
  btn.disabled = true;
  try {
    const id = await createSession('chunked');
    recorder = new ChunkRecorder(key, id, showUploads);
    await recorder.start();
    const started = performance.now();
    ticking = window.setInterval(() => {
      const s = Math.floor((performance.now() - started) / 1000);
      $('elapsed').dataset.seconds = String(s);
      $('elapsed').textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    }, 250);
    $<HTMLButtonElement>('end').disabled = false;
    $('end').focus();
    say(`Recording session ${id}.`);
    void pollLive(id, recorder);
  } catch (err) {
    recorder = undefined;
    btn.disabled = false;
    fail(err);
  }
});

/** The transcript so far while recording (Get Session shows the chunks recognised up to now). */
async function pollLive(id: string, rec: ChunkRecorder): Promise<void> {
  while (recorder === rec) {
    await sleep(3000);
    const r = await call(key, 'GET', `/sessions/${encodeURIComponent(id)}`).catch(() => undefined);
    if (recorder === rec && r?.status === 202) showLive(r.body);
  }
}

onAsync($('end'), 'click', async () => {
  const rec = recorder;
  if (!rec) return;
  $<HTMLButtonElement>('end').disabled = true;
  clearInterval(ticking);
  say('Finishing uploads…');
  try {
    const sent = await rec.finish();
    recorder = undefined;
    await withRetry(() => call(key, 'POST', `/sessions/${encodeURIComponent(rec.sessionId)}/end`, { audio_files_sent: sent })).catch((err: unknown) => {
      // A retried End Session whose first attempt got through answers 409: it is ended all the same.
      if (!(err instanceof ApiError && err.status === 409)) throw err;
    });
    await follow(rec.sessionId);
  } catch (err) {
    recorder = undefined;
    fail(err);
  } finally {
    $<HTMLButtonElement>('record').disabled = false;
    $('record').focus();
  }
});

// ── a file instead of the microphone: one upload of the whole recording ──
onAsync($('file-form'), 'submit', async (e) => {
  e.preventDefault();
  if (needKey()) return;
  const file = $<HTMLInputElement>('audio-file').files?.[0];
  if (!file) return say('Choose an audio file first.');
  const ext = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase() ?? '';
  if (!EXTENSIONS.includes(ext)) return say(`Unsupported file type ".${ext}": use one of ${EXTENSIONS.join(', ')}.`);
  const max = Number(discovery.capabilities?.max_chunk_size_bytes) || 10 * 1024 * 1024;
  if (file.size > max) {
    return say(`The file is ${(file.size / 1048576).toFixed(1)} MB; this server takes at most ${(max / 1048576).toFixed(1)} MB in one upload, and a compressed file cannot be cut here. Shorten or re-encode it.`);
  }
  const btn = (e.target as HTMLFormElement).querySelector('button')!;
  btn.disabled = true;
  try {
    const id = await createSession('single');
    say(`Uploading ${file.name}…`);
    // Re-sending the same name replaces the upload, so a retry is safe.
    await withRetry(() => call(key, 'POST', `/sessions/${encodeURIComponent(id)}/audio/recording.${ext}`, file, 'application/octet-stream'));
    $<HTMLProgressElement>('upload-progress').max = 1;
    $<HTMLProgressElement>('upload-progress').value = 1;
    $('uploads').textContent = `${file.name} uploaded.`;
    await withRetry(() => call(key, 'POST', `/sessions/${encodeURIComponent(id)}/end`, { audio_files_sent: 1 })).catch((err: unknown) => {
      if (!(err instanceof ApiError && err.status === 409)) throw err;
    });
    await follow(id);
  } catch (err) {
    fail(err);
  } finally {
    btn.disabled = false;
  }
});

// ── copy ──
onAsync($('copy-json'), 'click', async () => {
  const text = JSON.stringify(lastResult, null, 2);
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission (e.g. plain http): copy through a selected textarea.
    const ta = document.createElement('textarea');
    ta.value = text;
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  say('Result copied as JSON.');
});

void discover()
  .catch(() => ({}))
  .then((d) => {
    discovery = d;
    document.body.dataset.ready = 'true';
  });
void refreshRecent();
