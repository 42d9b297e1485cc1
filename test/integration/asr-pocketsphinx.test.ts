import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PocketsphinxTranscriber, TranscriberError } from '../../src/speech/recognisers/pocketsphinx/index.js';
import { DRUG_WORDS } from '../../scripts/lib/medical-lexicon.js';
import { tokens } from '../../src/speech/recognisers/text.js';
import { termScore, wordErrorRate } from '../../bench/lib/wer.js';
import { decodeToPcm } from '../../src/speech/audio/decode.js';
import type { Transcription } from '../../src/core/ports/transcriber.js';

const AUDIO = path.resolve(import.meta.dirname, '../../../shared/data/audio');
const reference = tokens(
  fs
    .readFileSync(path.join(AUDIO, 'consult-hypertension.txt'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/^[DP]\|/, ''))
    .join(' '),
);
const words = (t: Transcription) => t.segments.flatMap((s) => s.text.split(' ').filter(Boolean));

let pcm: Int16Array;
let medical: PocketsphinxTranscriber;
let result: Transcription;
let ticks = 0;
let elapsedMs = 0;

before(async () => {
  pcm = (await decodeToPcm({ path: path.join(AUDIO, 'consult-hypertension.wav') })).pcm;
  medical = await PocketsphinxTranscriber.create();
  // the event loop keeps turning while the worker decodes
  const timer = setInterval(() => ticks++, 20);
  const t = performance.now();
  result = await medical.transcribe(pcm, { language: 'en' });
  elapsedMs = performance.now() - t;
  clearInterval(timer);
});
after(async () => {
  await medical?.close();
});

test('PocketSphinx with the medical vocabulary transcribes consult-hypertension.wav (WER ≤ 15 %)', () => {
  const hyp = words(result);
  const wer = wordErrorRate(reference, hyp);
  console.log(`# consult-hypertension WER with medical vocabulary: ${(wer * 100).toFixed(1)}% (${reference.length} words), ${(elapsedMs / 1000).toFixed(1)} s for ${(pcm.length / 16000).toFixed(1)} s`);
  assert.ok(wer <= 0.15, `WER ${(wer * 100).toFixed(1)}%: ${hyp.join(' ')}`);
  assert.equal(result.language, 'en');
  assert.equal(medical.id, 'pocketsphinx-en-us-medical');
  assert.equal(medical.usesVad, true);
  assert.ok(medical.addedWords > 300, `${medical.addedWords} pronunciations added`);
});

test('"metformin" and "amlodipine" are recognised after adaptation', () => {
  const hyp = words(result);
  assert.equal(hyp.filter((w) => w === 'metformin').length, 2, hyp.join(' '));
  assert.equal(hyp.filter((w) => w === 'amlodipine').length, 1, hyp.join(' '));
  const drugs = termScore(reference, hyp, DRUG_WORDS);
  assert.deepEqual({ total: drugs.total, correct: drugs.correct, falseAlarms: drugs.falseAlarms }, { total: 3, correct: 3, falseAlarms: 0 });
});

test('segments carry ordered times in seconds within the audio', () => {
  const duration = pcm.length / 16000;
  assert.ok(result.segments.length >= 10, `${result.segments.length} segments`);
  let last = 0;
  for (const s of result.segments) {
    assert.ok(s.start >= last - 1e-9 && s.end > s.start && s.end <= duration + 1e-9, JSON.stringify(s));
    assert.ok(s.text.length > 0 && !/[<[(]/.test(s.text), s.text);
    last = s.end;
  }
  // "amlodipine" is said around 40 s in (line 8 of the script)
  const amlo = result.segments.find((s) => s.text.includes('amlodipine'))!;
  assert.ok(amlo.start > 36 && amlo.end < 46, JSON.stringify(amlo));
});

test('decoding runs off the main thread: timers keep firing', () => {
  const expected = elapsedMs / 20;
  assert.ok(ticks >= expected * 0.5, `${ticks} ticks of ~${expected.toFixed(0)}`);
});

test('the stock model, before adaptation, misses the drug names', async () => {
  // (also: without a VAD model it still transcribes, in fixed pieces)
  const stock = await PocketsphinxTranscriber.create({ vocabulary: false, vadModelPath: '/nonexistent/silero.onnx' });
  try {
    assert.equal(stock.id, 'pocketsphinx-en-us');
    assert.equal(stock.usesVad, false);
    assert.match(stock.note ?? '', /VAD unavailable/);
    const piece = pcm.subarray(39 * 16000, 49 * 16000); // "i'm starting amlodipine … continue metformin …"
    const hyp = words(await stock.transcribe(piece));
    assert.ok(!hyp.includes('amlodipine') && !hyp.includes('metformin'), hyp.join(' '));
    assert.ok(hyp.includes('milligrams'), hyp.join(' '));
  } finally {
    await stock.close();
  }
});

test('empty or silent audio gives no segments; other languages are refused', async () => {
  assert.deepEqual((await medical.transcribe(new Int16Array(0))).segments, []);
  assert.deepEqual((await medical.transcribe(new Int16Array(16000 * 2))).segments, []);
  await assert.rejects(medical.transcribe(pcm.subarray(0, 16000), { language: 'hi' }), (e: unknown) => e instanceof TranscriberError && e.code === 'language_unsupported');
});

test('a missing model is a typed error at start-up', async () => {
  await assert.rejects(
    PocketsphinxTranscriber.create({ model: { hmm: '/nonexistent/en-us', dict: '/nonexistent/x.dict', lm: '/nonexistent/x.lm' } }),
    (e: unknown) => e instanceof TranscriberError && e.code === 'engine_unavailable' && /pocketsphinx-en-us/.test(e.message),
  );
});
