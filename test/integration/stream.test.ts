import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { tokens } from '../../src/speech/recognisers/text.js';
import { wordErrorRate } from '../../bench/lib/wer.js';
import { readWav, writeWav } from '../../src/speech/audio/wav.js';
import { decodeMulaw, encodeMulaw } from '../../src/http/stream/mulaw.js';
import { StreamResampler } from '../../src/http/stream/resampler.js';
import { api, type RunningServer, runSession, waitForFinished } from '../helpers/server.js';
import { CONSULTATION, CONSULTATION_SCRIPT, pcmFrames, spokenLines, StreamClient, to8k, twilioFrames } from './stream-client.js';
import { startLoaded } from './stream-client.js';

// Stream Audio end to end with the real recogniser: a 63 s Festival consultation streamed in
// 20 ms frames at 2× real time, as raw PCM and as Twilio 8 kHz μ-law, against the same audio uploaded in chunks.
const SPEED = 2;
const RATE = 16_000;
let server: RunningServer;
let key: string;
let pcm: Int16Array;
let lines: Array<{ start: number; end: number }>;
let script: string;
/** What the server hears from the μ-law stream: 8 kHz μ-law decoded and resampled to 16 kHz. */
let telephony: Int16Array;
/** Final WER of each streamed session, compared with the uploaded audio in the last test. */
const streamed = new Map<'pcm' | 'mulaw', number>();

const spoken = (transcript: string) => tokens(transcript.replace(/^(Doctor|Patient): /gm, ''));
const werOf = (transcript: string) => wordErrorRate(tokens(script), spoken(transcript));

/** The same audio uploaded as WAV chunks cut in the pauses between lines: its WER is the yardstick. */
async function uploadedWer(audio: Int16Array): Promise<number> {
  const cuts = [lines[3]!.start - 0.3, lines[6]!.start - 0.3, lines[9]!.start - 0.3].map((s) => Math.round(s * RATE));
  const bounds = [0, ...cuts, audio.length];
  const r = await runSession(
    server.url,
    key,
    { upload_type: 'chunked', session_mode: 'consultation' },
    bounds.slice(1).map((end, i) => [`audio_${i}.wav`, writeWav(audio.subarray(bounds[i]!, end)), 'audio/wav']),
  );
  assert.equal(r.status, 200, r.text.slice(0, 500));
  return werOf(r.body.transcript);
}

before(async () => {
  ({ server, key } = await startLoaded('stream', { OPENSCRIBE_TRANSCRIBER: 'pocketsphinx' }));
  pcm = readWav(fs.readFileSync(CONSULTATION)).samples;
  lines = spokenLines(pcm);
  script = fs
    .readFileSync(CONSULTATION_SCRIPT, 'utf8')
    .split('\n')
    .map((l) => l.replace(/^[DP]\|/, ''))
    .join(' ');
  telephony = new StreamResampler(8000).push(decodeMulaw(encodeMulaw(to8k(pcm))));
});
after(() => server?.stop());

/** Every chunk boundary (cumulative stored durations) falls in a pause between two lines. */
function assertCutsInPauses(durations: number[]): void {
  let t = 0;
  for (const d of durations.slice(0, -1)) {
    t += d;
    const inside = lines.find((l) => t > l.start && t < l.end);
    assert.equal(inside, undefined, `chunk boundary at ${t.toFixed(3)} s falls inside a line (${JSON.stringify(inside)}); durations ${durations}`);
  }
  for (const d of durations) assert.ok(d <= 25.001, `chunk of ${d} s`);
}

async function streamConsultation(format: 'pcm' | 'mulaw') {
  const created = await api(server.url, 'POST', '/voice/v1/sessions', {
    key,
    json: { upload_type: 'stream', communication_protocol: 'websocket', session_mode: 'consultation' },
  });
  assert.equal(created.status, 201, created.text);
  const id = created.body.session_id as string;
  const client = StreamClient.connect(created.body.upload_url);
  await client.opened;
  const frames = format === 'pcm' ? pcmFrames(pcm) : twilioFrames(to8k(pcm));
  const sent = await client.sendPaced(frames, SPEED);
  assert.equal(sent, frames.length, `socket closed early: ${client.closeCode} ${JSON.stringify(client.of('error'))}`);
  // The recogniser keeps up while the client still talks: live transcripts come before End Session.
  await client.waitFor(() => client.of('transcript').length >= 1, 300_000);
  const liveBeforeEnd = client.of('transcript');
  if (format === 'mulaw') {
    client.ws.send(JSON.stringify({ event: 'stop', stop: { callSid: 'CAtest' } }));
    assert.equal(await client.closed, 1000);
  }
  const end = await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 0 } });
  assert.equal(end.status, 202, end.text);
  await client.closed;
  const stored = client.of('chunk_stored');
  assert.deepEqual(end.body.audio_files, stored.map((m) => m.file));
  assert.deepEqual(stored.map((m) => m.file), stored.map((_, i) => `${i}.wav`));
  const result = await waitForFinished(server.url, key, id, { ms: 240_000 });
  return { result, liveBeforeEnd, durations: stored.map((m) => m.duration as number) };
}

for (const format of ['pcm', 'mulaw'] as const) {
  test(`${format === 'pcm' ? 'binary 16 kHz PCM' : 'Twilio Media Streams, 8 kHz μ-law'}: speech-bounded chunks, live transcripts, the same result as uploaded chunks`, async () => {
    const { result, liveBeforeEnd, durations } = await streamConsultation(format);
    assert.ok(durations.length >= 3, `chunks: ${durations}`);
    const total = durations.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - pcm.length / RATE) <= 0.05, `stored ${total} s of ${pcm.length / RATE} s`);
    assertCutsInPauses(durations);

    assert.ok(liveBeforeEnd.length >= 1);
    let prevEnd = 0;
    for (const m of liveBeforeEnd) {
      assert.equal(typeof m.text, 'string');
      assert.equal(m.final, true);
      assert.ok(Math.abs(m.start - prevEnd) < 1e-6 && m.end > m.start, JSON.stringify(m));
      prevEnd = m.end;
    }
    assert.ok(liveBeforeEnd.some((m) => m.text.length > 10), JSON.stringify(liveBeforeEnd));

    assert.equal(result.status, 200, result.text.slice(0, 500));
    assert.equal(result.body.status, 'completed');
    const wer = werOf(result.body.transcript);
    console.log(`# stream ${format}: WER ${(wer * 100).toFixed(1)}%; chunks ${durations.map((d) => d.toFixed(2)).join(', ')}`);
    streamed.set(format, wer);
  });
}

// After the streams, so the live transcripts above did not queue behind these sessions.
test('the streamed results match the same audio uploaded in chunks (WER within 2 points)', async () => {
  const [pcmWer, mulawWer] = await Promise.all([uploadedWer(pcm), uploadedWer(telephony)]);
  console.log(`# uploaded chunks: WER pcm ${(pcmWer * 100).toFixed(1)}%, μ-law ${(mulawWer * 100).toFixed(1)}%`);
  assert.ok(streamed.has('pcm') && streamed.has('mulaw'), 'both streams ran');
  assert.ok(streamed.get('pcm')! <= pcmWer + 0.02, `stream pcm ${streamed.get('pcm')} vs uploaded ${pcmWer}`);
  assert.ok(streamed.get('mulaw')! <= mulawWer + 0.02, `stream μ-law ${streamed.get('mulaw')} vs uploaded ${mulawWer}`);
});
