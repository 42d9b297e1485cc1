import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMulaw, encodeMulaw } from '../../src/http/stream/mulaw.js';
import { StreamResampler } from '../../src/http/stream/resampler.js';
import { StreamTokens } from '../../src/http/stream/token.js';
import { parseSampleRate, StreamFrameError, WireDecoder } from '../../src/http/stream/wire-format.js';
import { Segmenter } from '../../src/http/stream/segmenter.js';

test('μ-law: known code points decode as G.711 says; encode → decode stays within the step size', () => {
  assert.equal(decodeMulaw(Uint8Array.from([0xff]))[0], 0);
  assert.equal(decodeMulaw(Uint8Array.from([0x7f]))[0], 0);
  assert.equal(decodeMulaw(Uint8Array.from([0x80]))[0], 32124);
  assert.equal(decodeMulaw(Uint8Array.from([0x00]))[0], -32124);
  for (const v of [0, 1, -1, 100, -100, 1000, -5000, 12345, 32000, -32768]) {
    const back = decodeMulaw(encodeMulaw(Int16Array.from([v])))[0]!;
    assert.ok(Math.abs(back - v) <= Math.max(8, Math.abs(v) / 16), `${v} → ${back}`);
  }
});

test('resampler: 8 → 16 kHz over many odd-sized frames gives twice the samples and follows the signal', () => {
  const r = new StreamResampler(8000);
  const input = Int16Array.from({ length: 8000 }, (_, i) => Math.round(10000 * Math.sin((2 * Math.PI * 200 * i) / 8000)));
  const out: number[] = [];
  for (let i = 0; i < input.length; i += 157) out.push(...r.push(input.subarray(i, i + 157)));
  assert.ok(Math.abs(out.length - 16000) <= 2, String(out.length));
  for (let j = 0; j < out.length; j += 97) {
    const want = 10000 * Math.sin((2 * Math.PI * 200 * j) / 16000);
    assert.ok(Math.abs(out[j]! - want) < 400, `${j}: ${out[j]} vs ${want}`);
  }
  assert.deepEqual([...new StreamResampler(16000).push(Int16Array.from([1, 2, 3]))], [1, 2, 3]);
});

test('stream tokens: bound to tenant, session and expiry; forged, foreign and expired ones fail', () => {
  const t = new StreamTokens('s3cret', 600);
  const now = Date.now();
  const tok = t.sign('ten_1', 'ses_a', now);
  assert.equal(t.verify(tok, 'ses_a', now), 'ten_1');
  assert.equal(t.verify(tok, 'ses_b', now), undefined);
  assert.equal(t.verify(tok, 'ses_a', now + 601_000), undefined);
  assert.equal(new StreamTokens('other').verify(tok, 'ses_a', now), undefined);
  const [exp, tenant, mac] = tok.split('.');
  assert.equal(t.verify(`${exp}.${Buffer.from('ten_2').toString('base64url')}.${mac}`, 'ses_a', now), undefined);
  assert.equal(t.verify(`${Number(exp) + 100}.${tenant}.${mac}`, 'ses_a', now), undefined);
  for (const junk of ['', 'a.b', 'x.y.z', '1.2.3.4']) assert.equal(t.verify(junk, 'ses_a', now), undefined);
});

test('wire format: sample rates, odd byte counts, Media Streams events', () => {
  assert.equal(parseSampleRate(undefined), 16000);
  assert.equal(parseSampleRate('8000'), 8000);
  for (const bad of ['abc', '1', '100000', '16000.5', '-16000', '']) assert.throws(() => parseSampleRate(bad), StreamFrameError, bad);
  assert.throws(() => new WireDecoder(16000).decode(Buffer.alloc(3), true), /even byte count/);
  const d = new WireDecoder(16000);
  assert.equal(d.decode(Buffer.from(JSON.stringify({ event: 'connected' })), false).pcm.length, 0);
  d.decode(Buffer.from(JSON.stringify({ event: 'start', start: { mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 } } })), false);
  const media = d.decode(Buffer.from(JSON.stringify({ event: 'media', media: { payload: Buffer.alloc(160, 0xff).toString('base64') } })), false);
  assert.ok(Math.abs(media.pcm.length - 320) <= 2, String(media.pcm.length)); // the resampler carries one sample of phase
  assert.equal(d.decode(Buffer.from(JSON.stringify({ event: 'stop' })), false).stop, true);
  assert.throws(() => d.decode(Buffer.alloc(2), true), /binary frame is not allowed/);
});

test('segmenter without VAD: hard cuts at the maximum, everything drained, nothing lost', async () => {
  const s = new Segmenter(undefined, { minChunkSec: 1, maxChunkSec: 2 });
  const chunks: Int16Array[] = [];
  for (let i = 0; i < 100; i++) chunks.push(...(await s.push(new Int16Array(1600))));
  const rest = s.drain();
  if (rest) chunks.push(rest);
  assert.equal(chunks.reduce((n, c) => n + c.length, 0), 160_000);
  for (const c of chunks) assert.ok(c.length <= 32_000);
});

test('segmenter with a scorer: cuts in the longest pause after the minimum length', async () => {
  // speech everywhere except a pause between 11 s and 12 s of the stream
  const pcm = new Int16Array(16000 * 14);
  const silentFrom = 11 * 16000;
  const silentTo = 12 * 16000;
  const s = new Segmenter(async (x) => {
    // score by content: frames of zeros are silence, others speech
    const n = Math.floor(x.length / 512);
    return Float32Array.from({ length: n }, (_, f) => (x.subarray(f * 512, (f + 1) * 512).some((v) => v !== 0) ? 0.9 : 0.01));
  });
  for (let i = 0; i < pcm.length; i++) pcm[i] = i >= silentFrom && i < silentTo ? 0 : 1000;
  const chunks: Int16Array[] = [];
  for (let i = 0; i < pcm.length; i += 320) chunks.push(...(await s.push(pcm.subarray(i, i + 320))));
  assert.equal(chunks.length, 1);
  const cut = chunks[0]!.length / 16000;
  assert.ok(cut > 11 && cut < 12, `cut at ${cut}`);
});
