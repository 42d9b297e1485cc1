import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeToPcm } from '../../src/speech/audio/decode.js';
import { SileroVad, segmentsFromProbabilities, splitAtPauses, VAD_FRAME, type SpeechSegment } from '../../src/speech/audio/vad.js';

const AUDIO = path.resolve(import.meta.dirname, '../../../shared/data/audio');
let vad: SileroVad;
let dialogue: Int16Array;

before(async () => {
  vad = await SileroVad.load();
  dialogue = (await decodeToPcm({ path: path.join(AUDIO, 'consult-hypertension.wav') })).pcm;
});
after(async () => {
  await vad.close();
});

const gaps = (segs: SpeechSegment[]) => segs.slice(1).map((s, i) => ({ start: segs[i]!.end, end: s.start }));

test('VAD finds the pauses between the lines of the synthesised dialogue', async () => {
  // 12 lines separated by 0.7 s of silence (see ../shared/data/audio/README.md)
  const segs = await vad.speechSegments(dialogue);
  const long = gaps(segs).filter((g) => g.end - g.start >= 0.6);
  assert.ok(long.length >= 11 && long.length <= 14, `${long.length} pauses of ≥ 0.6 s`);
  assert.ok(segs[0]!.start < 0.5, 'speech starts at once');
  assert.ok(segs[segs.length - 1]!.end > 62, 'and lasts to the end');
  const speech = segs.reduce((s, g) => s + g.end - g.start, 0);
  assert.ok(speech > 40 && speech < 60, `${speech.toFixed(1)} s of speech in 63.5 s`);
});

test('VAD finds silences inserted at known places', async () => {
  // speech 0–6 s, 2 s of digital silence, speech 20–26 s, 1.5 s of silence, speech 40–46 s
  const sr = 16000;
  const parts = [dialogue.subarray(3.7 * sr, 8.4 * sr), new Int16Array(2 * sr), dialogue.subarray(23.9 * sr, 26.8 * sr), new Int16Array(1.5 * sr), dialogue.subarray(44.6 * sr, 48.4 * sr)];
  const pcm = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  const silences: [number, number][] = [];
  for (const p of parts) {
    if (p.some((v) => v !== 0)) pcm.set(p, off);
    else silences.push([off / sr, (off + p.length) / sr]);
    off += p.length;
  }
  const found = gaps(await vad.speechSegments(pcm));
  for (const [a, b] of silences) {
    assert.ok(
      found.some((g) => g.start <= a + 0.25 && g.end >= b - 0.25),
      `silence ${a.toFixed(2)}–${b.toFixed(2)} s not found in ${JSON.stringify(found)}`,
    );
  }
});

test('silence and low noise are not speech', async () => {
  assert.equal(await vad.isSilence(new Int16Array(16000 * 4)), true);
  let seed = 7;
  const noise = Int16Array.from({ length: 16000 * 3 }, () => ((seed = (seed * 48271) % 2147483647) % 200) - 100);
  assert.deepEqual(await vad.speechSegments(noise), []);
  assert.equal(await vad.isSilence(dialogue.subarray(0, 16000 * 3)), false);
});

test('a long recording is split into ≤ 20 s pieces at pauses', async () => {
  const segs = await vad.speechSegments(dialogue);
  const duration = dialogue.length / 16000;
  const pieces = splitAtPauses(duration, segs, { maxPieceSec: 20 });
  assert.ok(pieces.length >= 4);
  assert.equal(pieces[0]!.start, 0);
  assert.equal(pieces[pieces.length - 1]!.end, duration);
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    assert.ok(p.end - p.start <= 20 + 1e-9);
    if (i > 0) {
      assert.equal(p.start, pieces[i - 1]!.end);
      // every cut falls in a pause, never inside speech
      assert.ok(!segs.some((s) => s.start < p.start && s.end > p.start), `cut at ${p.start} is inside speech`);
    }
  }
});

test('splitAtPauses: prefers the longest pause late in the window; hard cut without pauses', () => {
  const speech = [
    { start: 0, end: 4 },
    { start: 4.3, end: 12 },
    { start: 13.5, end: 18 },
    { start: 18.2, end: 30 },
  ];
  const pieces = splitAtPauses(30, speech, { maxPieceSec: 20 });
  assert.equal(pieces.length, 2);
  assert.equal(pieces[0]!.end, 12.75);
  assert.deepEqual(
    splitAtPauses(45, [{ start: 0, end: 45 }], { maxPieceSec: 20 }).map((p) => [p.start, p.end]),
    [
      [0, 20],
      [20, 40],
      [40, 45],
    ],
  );
  assert.deepEqual(splitAtPauses(10, []), [{ start: 0, end: 10, hasSpeech: false }]);
});

test('segmentsFromProbabilities: hysteresis, minimum speech, padding', () => {
  const fps = 16000 / VAD_FRAME; // 31.25 frames per second
  const probs = new Float32Array(Math.round(4 * fps));
  for (let i = Math.round(1 * fps); i < Math.round(2 * fps); i++) probs[i] = 0.9; // 1 s of speech
  for (let i = Math.round(3 * fps); i < Math.round(3 * fps) + 3; i++) probs[i] = 0.9; // a 96 ms blip
  const segs = segmentsFromProbabilities(probs, 4 * 16000);
  assert.equal(segs.length, 1);
  assert.ok(Math.abs(segs[0]!.start - (1 - 0.03)) < 0.04);
  assert.ok(Math.abs(segs[0]!.end - (2 + 0.03)) < 0.04);
});
