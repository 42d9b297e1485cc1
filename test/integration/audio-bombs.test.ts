import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { api, runSession, serverWithKey, SHARED, tempDataDir, type RunningServer } from '../helpers/server.js';

/**
 * Decompression bombs against the real pipeline (ffmpeg, PocketSphinx, Silero VAD): small
 * files that declare hours of audio. Each is refused at upload or processed within a fixed
 * memory bound, every session reaches a terminal state, and the server never goes down.
 */
// The default session limit: memory no longer grows with it (single uploads are recognised a block at a time).
const SESSION_LIMIT_S = 3600;
let server: RunningServer;
let key: string;
let dir: string;

function procKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

/** `seconds` of silence, encoded by ffmpeg at the lowest bitrate the codec takes. */
function encodeSilence(file: string, seconds: number, codec: string[]): Buffer {
  execFileSync('ffmpeg', ['-y', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', String(seconds), ...codec, file]);
  return fs.readFileSync(file);
}

function wav(rate: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate, 28);
  h.writeUInt16LE(1, 32);
  h.writeUInt16LE(8, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return Buffer.concat([h, Buffer.alloc(dataBytes, 0x80)]);
}

let mp3: Buffer;
let ogg: Buffer;
before(async () => {
  dir = tempDataDir('bombs');
  // 2.5 hours each: 9 MB of MP3, under 1 MB of Ogg Vorbis; 288 MB once decoded to 16 kHz PCM.
  mp3 = encodeSilence(path.join(dir, 'long.mp3'), 9000, ['-c:a', 'libmp3lame', '-b:a', '8k']);
  ogg = encodeSilence(path.join(dir, 'long.ogg'), 9000, ['-c:a', 'libvorbis', '-q:a', '-1']);
  ({ server, key } = await serverWithKey('bombs', { OPENSCRIBE_TRANSCRIBER: 'pocketsphinx', OPENSCRIBE_MAX_SESSION_SECONDS: String(SESSION_LIMIT_S) }));
  // Warm the recogniser and VAD, so that what is measured below is the bombs' cost.
  const speech = fs.readFileSync(path.join(SHARED, 'data/audio/consult-hypertension.wav'));
  const warm = await runSession(server.url, key, { upload_type: 'single' }, [['consult.wav', speech, 'audio/wav']]);
  assert.equal(warm.body.status, 'completed');
});
after(() => server?.stop());

test('WAVs declaring 27 hours at 100 Hz, or 8 Hz, are refused at upload with the accepted range', async () => {
  const s = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
  for (const rate of [100, 8]) {
    const r = await api(server.url, 'POST', `/voice/v1/sessions/${s.body.session_id}/audio/audio_0.wav`, { key, body: wav(rate, 10_000_000), headers: { 'content-type': 'audio/wav' } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'invalid_audio_format');
    assert.equal(r.body.error.details.sample_rate, rate);
  }
});

test('hours of MP3 and Ogg, as chunks and as single uploads: bounded memory, terminal states, the server stays up', async (t) => {
  const pid = server.child.pid!;
  const rssBefore = procKb(pid, 'VmRSS');
  const outcomes: Record<string, unknown> = {};
  for (const [name, bytes, type] of [['long.mp3', mp3, 'audio/mpeg'], ['long.ogg', ogg, 'audio/ogg']] as const) {
    const ext = name.split('.')[1];
    const chunked = await runSession(server.url, key, { upload_type: 'chunked', templates: ['soap'] }, [[`audio_0.${ext}`, bytes, type]]);
    assert.ok(['failed', 'partial'].includes(chunked.body.status), `${name} chunked: ${chunked.body.status}`);
    const skipped = chunked.body.processing_errors.find((e: { type: string }) => e.type === 'audio_file_skipped');
    assert.match(skipped?.message ?? '', /over the 20 s chunk limit/, JSON.stringify(chunked.body.processing_errors));
    const single = await runSession(server.url, key, { upload_type: 'single', templates: ['soap'] }, [[name, bytes, type]]);
    assert.ok(['failed', 'partial', 'completed'].includes(single.body.status), `${name} single: ${single.body.status}`);
    const truncated = single.body.processing_errors.find((e: { type: string }) => e.type === 'audio_truncated');
    assert.match(truncated?.message ?? '', new RegExp(`only the first ${SESSION_LIMIT_S} s were processed`), JSON.stringify(single.body.processing_errors));
    outcomes[name] = { chunked: chunked.body.status, single: single.body.status };
  }
  const growthMb = (procKb(pid, 'VmHWM') - rssBefore) / 1024;
  t.diagnostic(`peak RSS growth ${growthMb.toFixed(0)} MB; ${JSON.stringify(outcomes)}`);
  assert.ok(growthMb < 200, `peak memory grew by ${growthMb.toFixed(0)} MB (${JSON.stringify(outcomes)})`);
  assert.equal(server.child.exitCode, null, 'the server process is the one that started');
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
});
