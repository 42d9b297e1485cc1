import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { decodeChunk } from '../../src/speech/audio/chunks.js';
import { decodeToPcm } from '../../src/speech/audio/decode.js';
import { UndecodableAudioError } from '../../src/speech/audio/errors.js';
import { writeWav } from '../../src/speech/audio/wav.js';

const AUDIO = path.resolve(import.meta.dirname, '../../../shared/data/audio');
const webm = fs.readFileSync(path.join(AUDIO, 'consult-hypertension.webm'));

/** MediaRecorder-style slices: one stream cut at arbitrary byte offsets. */
function slices(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [0, ...cuts, bytes.length];
  return at.slice(1).map((end, i) => bytes.subarray(at[i], end));
}

test('a WebM split at arbitrary offsets: piece 0 decodes alone, later pieces only joined, and the pieces add up', async () => {
  const full = await decodeToPcm(webm, { format: 'webm' });
  const n = webm.length;
  const pieces = slices(webm, [Math.floor(n * 0.13) + 1, Math.floor(n * 0.41) + 7, Math.floor(n * 0.42), Math.floor(n * 0.77) + 3]);
  // later pieces are not files on their own
  for (const p of pieces.slice(1)) await assert.rejects(decodeToPcm(p, { format: 'webm' }), UndecodableAudioError);

  const got: Int16Array[] = [];
  let known = 0;
  for (let i = 0; i < pieces.length; i++) {
    const d = await decodeChunk(pieces[i]!, pieces.slice(0, i), { format: 'webm' });
    assert.equal(d.joined, i > 0, `piece ${i}`);
    assert.equal(d.durationSec, d.pcm.length / 16000);
    got.push(d.pcm);
    // with the caller's running total the prefix is not decoded twice; same answer
    if (i > 0) {
      const hinted = await decodeChunk(pieces[i]!, pieces.slice(0, i), { format: 'webm', precedingSamples: known });
      assert.equal(hinted.pcm.length, d.pcm.length);
    }
    known += d.pcm.length;
  }
  const total = got.reduce((s, p) => s + p.length, 0);
  assert.ok(Math.abs(total - full.pcm.length) <= 16000 * 0.05, `pieces ${total} vs whole ${full.pcm.length} samples`);
  // and they are the same audio, in order (a few samples differ at the joins from resampler flushes)
  let off = 0;
  let differing = 0;
  for (const p of got) {
    for (let j = 0; j < p.length; j++) if (Math.abs(p[j]! - full.pcm[off + j]!) > 64) differing++;
    off += p.length;
  }
  assert.ok(differing < 200, `${differing} samples differ`);
});

test('the format is inferred from the first chunk when not given; predecessors can be files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chunks-'));
  try {
    const pieces = slices(webm, [50_000, 120_000]);
    const files = pieces.map((p, i) => {
      const f = path.join(dir, `${i}.webm`);
      fs.writeFileSync(f, p);
      return { path: f };
    });
    const d2 = await decodeChunk(files[2]!, files.slice(0, 2));
    assert.equal(d2.joined, true);
    assert.ok(d2.durationSec > 5);
    const d1 = await decodeChunk({ open: () => fs.createReadStream(files[1]!.path) }, [{ open: () => fs.createReadStream(files[0]!.path) }]);
    assert.equal(d1.joined, true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('self-contained chunks (one WAV each) decode alone', async () => {
  const a = writeWav(Int16Array.from({ length: 16000 }, (_, i) => Math.round(Math.sin(i / 5) * 8000)));
  const b = writeWav(Int16Array.from({ length: 8000 }, (_, i) => Math.round(Math.sin(i / 3) * 8000)));
  const d = await decodeChunk(b, [a], { format: 'wav' });
  assert.equal(d.joined, false);
  assert.equal(d.pcm.length, 8000);
});

test('whole files in different containers in one session each decode alone (WebM after Ogg, M4A after WebM)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mixed-chunks-'));
  try {
    const ogg = path.join(dir, 'a.ogg');
    const made = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-t', '5', '-i', path.join(AUDIO, 'consult-hypertension.wav'), '-c:a', 'libopus', ogg]);
    assert.equal(made.status, 0, String(made.stderr));
    const afterOgg = await decodeChunk(webm, [{ path: ogg }]);
    assert.equal(afterOgg.joined, false);
    assert.ok(Math.abs(afterOgg.durationSec - (await decodeToPcm(webm)).durationSec) < 0.1, `webm after ogg: ${afterOgg.durationSec} s`);
    const m4a = fs.readFileSync(path.join(AUDIO, 'dictation-fever.m4a'));
    const afterWebm = await decodeChunk(m4a, [webm, { path: ogg }]);
    assert.equal(afterWebm.joined, false);
    assert.ok(afterWebm.durationSec > 40, `m4a after webm: ${afterWebm.durationSec} s`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt chunk is a typed error, not a crash', async () => {
  const garbage = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 31 + 7) % 256));
  await assert.rejects(decodeChunk(garbage, [], { format: 'webm' }), UndecodableAudioError);
  // garbage after a valid first slice: either refused or no new audio, never a throw of another kind
  const first = webm.subarray(0, 40_000);
  const r = await decodeChunk(garbage, [first], { format: 'webm' }).catch((e: unknown) => e);
  assert.ok(r instanceof UndecodableAudioError || (r as { durationSec: number }).durationSec < 1, String(r));
});
