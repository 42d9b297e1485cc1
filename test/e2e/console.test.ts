import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { readWav, writeWav } from '../../src/speech/audio/wav.js';
import { SAMPLE_RATE, synthesiseDialogue, type SynthesisedDialogue } from '../helpers/festival.js';
import { createKey, ROOT, startServer, tempDataDir, type RunningServer } from '../helpers/server.js';

// The web console in Debian's Chromium against a real `openscribe serve` with the recogniser on:
// the fake microphone plays a synthesised consultation; the note must name the medicine.
// Every wait is for a condition on the page, with room for a fully loaded machine.
const MEDICINE = 'amlodipine';
const LOADED_MS = 4 * 60_000;
const CHROMIUM = ['/usr/bin/chromium', '/usr/lib/chromium/chromium'].find((p) => fs.existsSync(p));

let server: RunningServer;
let key: string;
let browser: Browser;
let dialogue: SynthesisedDialogue;
/** The dialogue with silence around it: the fake device loops the file, and recording starts a moment after the device. */
let captureWav: string;
let captureSec: number;

before(async () => {
  assert.ok(CHROMIUM, 'chromium is not installed (apt-get install chromium)');
  dialogue = await synthesiseDialogue([
    { speaker: 'doctor', text: 'Good morning. What brings you in today?' },
    { speaker: 'patient', text: 'I have been getting headaches for the last two weeks, mostly in the morning.' },
    { speaker: 'doctor', text: 'Your blood pressure today is one fifty eight over ninety six.' },
    { speaker: 'doctor', text: 'I think this is high blood pressure. I am starting amlodipine five milligrams once daily in the morning.' },
    { speaker: 'patient', text: 'Okay doctor, thank you.' },
  ]);
  const work = tempDataDir('console-e2e');
  const { samples } = readWav(fs.readFileSync(dialogue.wav));
  const padded = new Int16Array(samples.length + SAMPLE_RATE * 3);
  padded.set(samples, SAMPLE_RATE);
  captureWav = path.join(work, 'capture.wav');
  fs.writeFileSync(captureWav, writeWav(padded, SAMPLE_RATE));
  captureSec = padded.length / SAMPLE_RATE;

  // Build the console from the current source, so the test never runs a stale dist/web.
  const webDir = path.join(work, 'web');
  await build({ configFile: path.join(ROOT, 'web/vite.config.ts'), logLevel: 'warn', build: { outDir: webDir, emptyOutDir: true } });
  const dataDir = tempDataDir('console-e2e-data');
  key = createKey(dataDir, 'console-e2e');
  server = await startServer({ dataDir, startTimeoutMs: 4 * 60_000, env: { OPENSCRIBE_TRANSCRIBER: 'pocketsphinx', OPENSCRIBE_CONSOLE_DIR: webDir } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 120_000,
    args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${captureWav}`, '--autoplay-policy=no-user-gesture-required'],
  });
}, { timeout: 6 * 60_000 });

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

async function openConsole(): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(LOADED_MS);
  const res = await page.goto(server.url, { timeout: LOADED_MS });
  assert.equal(res?.status(), 200);
  assert.match(res?.headers()['content-security-policy'] ?? '', /default-src 'self'/);
  await page.waitForSelector('body[data-ready="true"]');
  await page.fill('#api-key', key);
  await page.click('#key-form button[type=submit]');
  await page.waitForFunction(() => /Key set/.test((globalThis as any).document.getElementById('status').textContent));
  return page;
}

/** Waits for the rendered result and checks the note and the medication table name the medicine. */
async function assertNote(page: Page): Promise<void> {
  await page.waitForSelector('#result:not([hidden])[data-status]', { timeout: LOADED_MS });
  const status = await page.getAttribute('#result', 'data-status');
  const statusText = await page.textContent('#status');
  if (status !== 'completed' && status !== 'partial') {
    // Say why, from the API and the server's log (which holds no keys, audio or transcripts).
    const id = await page.getAttribute('#result', 'data-session-id');
    const body = await fetch(`${server.url}/voice/v1/sessions/${id}`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.text());
    assert.fail(`session ${status}: ${statusText}\n${body.slice(0, 3000)}\n--- server log (tail):\n${server.output().slice(-4000)}`);
  }
  const plan = (await page.textContent('#soap section[aria-label="Plan"]'))?.toLowerCase() ?? '';
  assert.match(plan, new RegExp(MEDICINE), `SOAP plan: ${plan}\ntranscript: ${await page.textContent('#transcript')}`);
  const table = (await page.textContent('#medications table'))?.toLowerCase() ?? '';
  assert.match(table, new RegExp(MEDICINE), `medications: ${table}`);
  assert.match((await page.textContent('#transcript')) ?? '', /^Doctor: /);
  // Selecting the medicine marks where it was said.
  await page.click(`#medications table button.item`);
  const marked = (await page.textContent('#transcript mark'))?.toLowerCase() ?? '';
  assert.ok(marked.length > 0, 'no evidence highlighted');
}

test('record a consultation from the microphone, end, and see the SOAP note and medication table', { timeout: 8 * 60_000 }, async () => {
  const page = await openConsole();
  try {
    await page.click('#record');
    await page.waitForSelector('#end:not([disabled])');
    // Record the whole file (it loops, so a moment longer only repeats its silent start).
    const recordFor = Math.ceil(captureSec) + 1;
    await page.waitForFunction((s) => Number((globalThis as any).document.getElementById('elapsed').dataset.seconds) >= s, recordFor, { timeout: recordFor * 1000 + LOADED_MS });
    await page.click('#end');
    await assertNote(page);
    const uploaded = await page.getAttribute('#uploads', 'data-acked');
    assert.ok(Number(uploaded) >= 2, `chunks uploaded: ${uploaded}`);
    fs.mkdirSync(path.join(ROOT, 'test/artifacts'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, 'test/artifacts/console.png'), fullPage: true });
    // The session is listed among the recent ones with its status.
    await page.waitForFunction(() => /completed|partial/.test((globalThis as any).document.getElementById('recent').textContent));
  } finally {
    await page.close();
  }
});

test('upload an audio file instead of recording: the note names the medicine', { timeout: 8 * 60_000 }, async () => {
  const page = await openConsole();
  try {
    await page.setInputFiles('#audio-file', dialogue.wav);
    await page.click('#file-form button[type=submit]');
    await assertNote(page);
  } finally {
    await page.close();
  }
});
