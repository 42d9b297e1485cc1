import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decodePcmStream, decodeToPcm, countSamples } from '../../src/speech/audio/decode.js';
import { DecodeTimeoutError, FfmpegMissingError, UndecodableAudioError } from '../../src/speech/audio/errors.js';
import { locateFfmpeg } from '../../src/speech/audio/ffmpeg.js';
import { parseWavHeader, readWav, writeWav } from '../../src/speech/audio/wav.js';

const AUDIO = path.resolve(import.meta.dirname, '../../../shared/data/audio');
const wavSeconds = (name: string) => parseWavHeader(fs.readFileSync(path.join(AUDIO, name))).durationSec;

const FILES: [string, string, 'webm' | 'wav' | 'mp3' | 'mp4'][] = [
  ['consult-hypertension.wav', 'consult-hypertension.wav', 'wav'],
  ['consult-hypertension.webm', 'consult-hypertension.wav', 'webm'],
  ['consult-hypertension.mp3', 'consult-hypertension.wav', 'mp3'],
  ['dictation-fever.wav', 'dictation-fever.wav', 'wav'],
  ['dictation-fever.m4a', 'dictation-fever.wav', 'mp4'],
];

const TOLERANCE = 0.050 + 1e-9;

for (const [file, reference, format] of FILES) {
  test(`${file} decodes to 16 kHz mono PCM of the recording's duration (±50 ms), from a file, bytes and a stream`, async () => {
    const expected = wavSeconds(reference);
    const fromPath = await decodeToPcm({ path: path.join(AUDIO, file) }, { format });
    const fromBytes = await decodeToPcm(fs.readFileSync(path.join(AUDIO, file)));
    const fromStream = await decodeToPcm(fs.createReadStream(path.join(AUDIO, file)), { format });
    for (const d of [fromPath, fromBytes, fromStream]) {
      assert.equal(d.sampleRate, 16000);
      assert.equal(d.durationSec, d.pcm.length / 16000);
      assert.ok(Math.abs(d.durationSec - expected) <= TOLERANCE, `${file}: ${d.durationSec} s vs ${expected} s`);
    }
    // it is audio, not silence
    assert.ok(fromPath.pcm.some((v) => Math.abs(v) > 1000));
  });
}

test('the WAV decodes sample-exact to the PCM it holds', async () => {
  const bytes = fs.readFileSync(path.join(AUDIO, 'dictation-fever.wav'));
  const { info, samples } = readWav(bytes);
  assert.equal(info.sampleRate, 16000);
  assert.equal(info.channels, 1);
  const { pcm } = await decodeToPcm(bytes, { format: 'wav' });
  assert.deepEqual(pcm, samples);
});

test('writeWav → readWav round trip', () => {
  const pcm = Int16Array.from({ length: 1601 }, (_, i) => Math.round(Math.sin(i / 7) * 20000));
  const back = readWav(writeWav(pcm));
  assert.equal(back.info.durationSec, 1601 / 16000);
  assert.deepEqual(back.samples, pcm);
});

test('decodePcmStream streams pieces that add up to the whole', async () => {
  let total = 0;
  let pieces = 0;
  for await (const piece of decodePcmStream({ path: path.join(AUDIO, 'consult-hypertension.webm') }, { format: 'webm', maxSamples: 16000 })) {
    assert.ok(piece.length <= 16000);
    total += piece.length;
    pieces++;
  }
  assert.ok(pieces >= 60);
  assert.equal(total, await countSamples({ path: path.join(AUDIO, 'consult-hypertension.webm') }));
});

test('corrupt or empty bytes give UndecodableAudioError, not a crash', async () => {
  const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
  await assert.rejects(decodeToPcm(garbage), UndecodableAudioError);
  await assert.rejects(decodeToPcm(garbage, { format: 'webm' }), UndecodableAudioError);
  await assert.rejects(decodeToPcm(Buffer.alloc(0)), UndecodableAudioError);
  await assert.rejects(decodeToPcm(Buffer.from('{"not":"audio"}'), { format: 'ogg' }), UndecodableAudioError);
  // a real MP3 declared as WebM
  await assert.rejects(decodeToPcm(fs.readFileSync(path.join(AUDIO, 'consult-hypertension.mp3')), { format: 'webm' }), (err: unknown) => {
    assert.ok(err instanceof UndecodableAudioError);
    assert.equal(err.code, 'undecodable_audio');
    return true;
  });
  // a WebM cut after its header: no audio at all, but still a typed answer
  const head = fs.readFileSync(path.join(AUDIO, 'consult-hypertension.webm')).subarray(0, 200);
  const r = await decodeToPcm(head, { format: 'webm' }).catch((e: unknown) => e);
  assert.ok(r instanceof UndecodableAudioError || (r as { pcm: Int16Array }).pcm.length === 0);
});

test('a missing ffmpeg is a typed error', async () => {
  await assert.rejects(locateFfmpeg({ path: '/nonexistent/ffmpeg' }), FfmpegMissingError);
  await assert.rejects(decodeToPcm(Buffer.from('x'), { ffmpegPath: '/nonexistent/ffmpeg' }), (err: unknown) => {
    assert.ok(err instanceof FfmpegMissingError);
    assert.equal(err.code, 'ffmpeg_missing');
    return true;
  });
});

test('ffmpeg is found: the system one first, the npm-shipped binary as fallback', async () => {
  const found = await locateFfmpeg();
  assert.match(found.version, /^ffmpeg version/);
  const bundled = await locateFfmpeg({ skipSystem: true, env: {} });
  assert.equal(bundled.source, 'npm');
  const d = await decodeToPcm({ path: path.join(AUDIO, 'consult-hypertension.webm') }, { ffmpegPath: bundled.path, format: 'webm' });
  assert.ok(Math.abs(d.durationSec - wavSeconds('consult-hypertension.wav')) <= TOLERANCE);
});

test('decodePcmStream: a reader that stops early stops ffmpeg', async () => {
  const t = performance.now();
  let pieces = 0;
  for await (const piece of decodePcmStream({ path: path.join(AUDIO, 'consult-hypertension.mp3') }, { maxSamples: 8000 })) {
    assert.ok(piece.length > 0);
    if (++pieces === 2) break;
  }
  assert.equal(pieces, 2);
  assert.ok(performance.now() - t < 10_000);
});

test('a decode that takes too long is killed with a typed error', async () => {
  await assert.rejects(decodeToPcm({ path: path.join(AUDIO, 'consult-hypertension.mp3') }, { timeoutMs: 1 }), DecodeTimeoutError);
});
