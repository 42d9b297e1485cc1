import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readWav, writeWav } from '../../src/audio/wav.js';
import { tokens } from '../../src/adapters/asr/text.js';
import { wordErrorRate } from '../../src/adapters/asr/wer.js';
import { api, createKey, SHARED, startServer, tempDataDir, type RunningServer } from '../helpers/server.js';

// End to end with the real recogniser: Festival speech → chunks → HTTP → PocketSphinx → rules extractor.
const AUDIO = path.join(SHARED, 'data/audio');

let server: RunningServer;
let key: string;

before(async () => {
  const dataDir = tempDataDir('pipeline');
  key = createKey(dataDir, 'pipeline');
  server = await startServer({ dataDir, env: { OPENSCRIBE_TRANSCRIBER: 'pocketsphinx' } });
});
after(() => server?.stop());

/** Cuts PCM at the quietest 100 ms near each target second, as a recorder pausing between phrases would. */
function cutAtPauses(pcm: Int16Array, targets: number[]): Int16Array[] {
  const rate = 16_000;
  const win = rate / 10;
  const cuts = targets.map((t) => {
    let best = t * rate;
    let bestEnergy = Infinity;
    for (let at = (t - 4) * rate; at <= (t + 4) * rate; at += win / 2) {
      let e = 0;
      for (let i = at; i < at + win; i++) e += Math.abs(pcm[i] ?? 0);
      if (e < bestEnergy) [bestEnergy, best] = [e, at + win / 2];
    }
    return Math.round(best);
  });
  const bounds = [0, ...cuts, pcm.length];
  return bounds.slice(1).map((end, i) => pcm.subarray(bounds[i]!, end));
}

function script(name: string): string {
  return fs
    .readFileSync(path.join(AUDIO, `${name}.txt`), 'utf8')
    .split('\n')
    .map((l) => l.replace(/^[DP]\|/, ''))
    .join(' ');
}

async function waitForResult(id: string, ms = 180_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await api(server.url, 'GET', `/voice/v1/sessions/${id}`, { key });
    if (r.status !== 202) return r;
    if (Date.now() > deadline) throw new Error(`session ${id} still processing`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

test('a consultation uploaded as out-of-order WAV chunks (4 WAV chunks, out of order) becomes a transcript, a SOAP note and a medication list', async () => {
  const { samples } = readWav(fs.readFileSync(path.join(AUDIO, 'consult-hypertension.wav')));
  const pieces = cutAtPauses(samples, [16, 32, 48]);
  const created = await api(server.url, 'POST', '/voice/v1/sessions', {
    key,
    json: { upload_type: 'chunked', communication_protocol: 'http', session_mode: 'consultation', templates: ['soap', 'medications'] },
  });
  assert.equal(created.status, 201);
  const id = created.body.session_id as string;
  for (const seq of [2, 0, 3, 1]) {
    const up = await api(server.url, 'POST', `/voice/v1/sessions/${id}/audio/audio_${seq}.wav`, {
      key,
      body: writeWav(pieces[seq]!),
      headers: { 'content-type': 'audio/wav' },
    });
    assert.equal(up.status, 200, up.text);
  }
  const end = await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 4 } });
  assert.equal(end.status, 202);

  const r = await waitForResult(id);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.status, 'completed');
  assert.equal(r.body.language_detected, 'en');
  const spoken = (r.body.transcript as string).replace(/^(Doctor|Patient): /gm, '');
  const wer = wordErrorRate(tokens(script('consult-hypertension')), tokens(spoken));
  console.log(`# pipeline WER on consult-hypertension (4 WAV chunks): ${(wer * 100).toFixed(1)}%`);
  assert.ok(wer <= 0.2, `WER ${wer}`);
  assert.match(r.body.transcript, /^Doctor: /m);
  assert.match(r.body.transcript, /^Patient: /m);

  const meds = r.body.templates.find((t: Record<string, unknown>) => 'medications' in t).medications;
  assert.equal(meds.status, 'success');
  const text = JSON.stringify(meds.data).toLowerCase();
  assert.match(text, /amlodipine/);
  assert.match(text, /metformin/);
  assert.match(text, /\b5\b/);
  assert.match(text, /500/);
  const soap = r.body.templates.find((t: Record<string, unknown>) => 'soap' in t).soap;
  assert.equal(soap.status, 'success');
  assert.match(JSON.stringify(soap.data).toLowerCase(), /amlodipine/);
});

test('undecodable chunks are skipped and reported: the session is partial, not lost', async () => {
  const { samples } = readWav(fs.readFileSync(path.join(AUDIO, 'dictation-fever.wav')));
  const created = await api(server.url, 'POST', '/voice/v1/sessions', {
    key,
    json: { upload_type: 'chunked', communication_protocol: 'http', templates: ['medications'] },
  });
  const id = created.body.session_id as string;
  const good = writeWav(samples.subarray(0, 16_000 * 15));
  const corrupt = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), Buffer.alloc(4000, 7)]);
  for (const [seq, body] of [[0, good], [1, corrupt]] as const) {
    const up = await api(server.url, 'POST', `/voice/v1/sessions/${id}/audio/audio_${seq}.wav`, { key, body, headers: { 'content-type': 'audio/wav' } });
    assert.equal(up.status, 200);
  }
  await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 3 } });
  const r = await waitForResult(id);
  assert.equal(r.status, 206, r.text);
  assert.equal(r.body.status, 'partial');
  assert.equal(r.body.audio_files_processed, 1);
  const types = r.body.processing_errors.map((e: { type: string; file?: string }) => `${e.type}:${e.file ?? ''}`);
  assert.ok(types.includes('audio_file_skipped:1.wav'), types.join(','));
  assert.ok(types.includes('audio_files_mismatch:'), types.join(','));
  assert.ok(r.body.transcript.length > 20);
});
