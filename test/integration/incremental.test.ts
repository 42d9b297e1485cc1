import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readWav, writeWav } from '../../src/speech/audio/wav.js';
import { tokens } from '../../src/speech/recognisers/text.js';
import { wordErrorRate } from '../../bench/lib/wer.js';
import { api, type RunningServer, serverWithKey, SHARED, waitForFinished } from '../helpers/server.js';

// Incremental transcription with the real recogniser: chunks are recognised while
// the session records, and End Session reuses what was recognised.
const AUDIO = path.join(SHARED, 'data/audio');

let server: RunningServer;
let key: string;

before(async () => {
  ({ server, key } = await serverWithKey('incremental', { OPENSCRIBE_TRANSCRIBER: 'pocketsphinx' }));
});
after(() => server?.stop());

/** openscribe_chunks_recognised{phase} from /metrics. */
async function recognised(): Promise<{ incremental: number; at_end: number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const read = (phase: string) => Number(text.match(new RegExp(`openscribe_chunks_recognised\\{phase="${phase}"\\} (\\d+)`))?.[1] ?? 0);
  return { incremental: read('incremental'), at_end: read('at_end') };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server said:\n${server.output().split('\n').filter((l) => /"level":(40|50)/.test(l)).slice(-5).join('\n')}`);
    await sleep(200);
  }
}

const script = (name: string) =>
  fs.readFileSync(path.join(AUDIO, `${name}.txt`), 'utf8').split('\n').map((l) => l.replace(/^[DP]\|/, '')).join(' ');

async function createSession(body: Record<string, unknown>): Promise<string> {
  const created = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { communication_protocol: 'http', upload_type: 'chunked', ...body } });
  assert.equal(created.status, 201, created.text);
  return created.body.session_id as string;
}

async function upload(id: string, name: string, body: Buffer, type: string): Promise<void> {
  const up = await api(server.url, 'POST', `/voice/v1/sessions/${id}/audio/${name}`, { key, body, headers: { 'content-type': type } });
  assert.equal(up.status, 200, up.text);
}

test('chunks are transcribed while the session records; End Session reuses them and shows the same transcript', async () => {
  const before = await recognised();
  const { samples } = readWav(fs.readFileSync(path.join(AUDIO, 'consult-hypertension.wav')));
  const second = 16_000 * 16;
  const pieces = [samples.subarray(0, second), samples.subarray(second, 2 * second), samples.subarray(2 * second, 3 * second), samples.subarray(3 * second)];
  const id = await createSession({ session_mode: 'consultation', templates: ['medications'] });

  await upload(id, 'audio_0.wav', writeWav(pieces[0]!), 'audio/wav');
  // The first chunk's words show up in Get Session before anything else is sent.
  const early = await until('the first chunk to be transcribed', async () => {
    const r = await api(server.url, 'GET', `/voice/v1/sessions/${id}`, { key });
    assert.equal(r.status, 202);
    assert.equal(r.body.status, 'recording');
    return r.body.transcript ? (r.body.transcript as string) : undefined;
  });
  assert.match(early, /^Doctor: /m);
  assert.ok(tokens(early).length >= 10, early);

  for (const seq of [1, 2, 3]) await upload(id, `audio_${seq}.wav`, writeWav(pieces[seq]!), 'audio/wav');
  await until('all four chunks to be transcribed', async () => ((await recognised()).incremental - before.incremental >= 4 ? true : undefined));
  const live = (await api(server.url, 'GET', `/voice/v1/sessions/${id}`, { key })).body.transcript as string;
  assert.ok(live.startsWith(early.split('\n')[0]!), 'the transcript so far grows from the front');

  const end = await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 4 } });
  assert.equal(end.status, 202);
  const r = await waitForFinished(server.url, key, id, { ms: 120_000 });
  assert.equal(r.body.status, 'completed', r.text.slice(0, 400));
  assert.equal(r.body.transcript, live, 'the result is what was transcribed while recording');
  const after = await recognised();
  assert.equal(after.incremental - before.incremental, 4, 'each chunk recognised once');
  assert.equal(after.at_end - before.at_end, 0, 'nothing recognised again at End Session');
  const wer = wordErrorRate(tokens(script('consult-hypertension')), tokens(live.replace(/^(Doctor|Patient): /gm, '')));
  console.log(`# incremental WER on consult-hypertension (4 WAV chunks): ${(wer * 100).toFixed(1)}%`);
  assert.ok(wer <= 0.2, `WER ${wer}`);
});

test('a headerless MediaRecorder slice waits for its missing predecessor, then is transcribed before End Session', async () => {
  const before = await recognised();
  const webm = fs.readFileSync(path.join(AUDIO, 'consult-hypertension.webm'));
  const cuts = [0, Math.floor(webm.length * 0.27), Math.floor(webm.length * 0.55), Math.floor(webm.length * 0.81), webm.length];
  const pieces = cuts.slice(1).map((end, i) => webm.subarray(cuts[i]!, end));
  const id = await createSession({ session_mode: 'consultation', templates: ['medications'] });

  await upload(id, 'audio_0.webm', pieces[0]!, 'audio/webm');
  await upload(id, 'audio_2.webm', pieces[2]!, 'audio/webm');
  await upload(id, 'audio_3.webm', pieces[3]!, 'audio/webm');
  await until('chunk 0 to be transcribed', async () => ((await recognised()).incremental - before.incremental >= 1 ? true : undefined));
  await sleep(1000);
  assert.equal((await recognised()).incremental - before.incremental, 1, 'slices 2 and 3 cannot be decoded without slice 1: they wait');

  await upload(id, 'audio_1.webm', pieces[1]!, 'audio/webm');
  await until('slices 1 to 3 to be transcribed', async () => ((await recognised()).incremental - before.incremental >= 4 ? true : undefined));
  const end = await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 4 } });
  assert.equal(end.status, 202);
  const r = await waitForFinished(server.url, key, id, { ms: 120_000 });
  assert.equal(r.body.status, 'completed', r.text.slice(0, 400));
  assert.equal((await recognised()).at_end - before.at_end, 0);
  const wer = wordErrorRate(tokens(script('consult-hypertension')), tokens((r.body.transcript as string).replace(/^(Doctor|Patient): /gm, '')));
  console.log(`# incremental WER on consult-hypertension (4 MediaRecorder slices, one late): ${(wer * 100).toFixed(1)}%`);
  assert.ok(wer <= 0.25, `WER ${wer}`);
});

test('a chunk sent again replaces its transcript: the result holds the new audio only', async () => {
  const { samples } = readWav(fs.readFileSync(path.join(AUDIO, 'dictation-fever.wav')));
  const id = await createSession({ templates: ['medications'] });
  await upload(id, 'audio_0.wav', writeWav(new Int16Array(16_000 * 3)), 'audio/wav'); // silence first…
  await upload(id, 'audio_0.wav', writeWav(samples.subarray(0, 16_000 * 15)), 'audio/wav'); // …then the retry with speech
  await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 1 } });
  const r = await waitForFinished(server.url, key, id, { ms: 120_000 });
  assert.equal(r.body.status, 'completed', r.text.slice(0, 400));
  assert.ok(tokens(r.body.transcript as string).length >= 15, r.body.transcript);
});
