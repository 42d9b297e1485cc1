import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readWav } from '../../src/speech/audio/wav.js';
import fs from 'node:fs';
import { CONSULTATION, pcmFrames, StreamClient, storedChunks } from './stream-client.js';
import { startLoaded } from './stream-client.js';
import { api, type RunningServer } from '../helpers/server.js';

// Stream Audio without the recogniser: auth, bad frames, backpressure, take-over, reconnect, shutdown.
let tenant = 'streamproto';
let server: RunningServer;
let key: string;
let speech: Int16Array;

before(async () => {
  ({ server, key, tenant } = await startLoaded(tenant));
  speech = readWav(fs.readFileSync(CONSULTATION)).samples;
});
after(() => server?.stop());

async function createStream(): Promise<{ id: string; url: string }> {
  const r = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'stream', communication_protocol: 'websocket' } });
  assert.equal(r.status, 201, r.text);
  return { id: r.body.session_id, url: r.body.upload_url };
}

const wsBase = () => server.url.replace(/^http/, 'ws');

async function assertHealthy(): Promise<void> {
  const r = await fetch(`${server.url}/healthz`);
  assert.equal(r.status, 200);
}

test('the upgrade is refused with 1008 without a key, with a forged or foreign token, and for a chunked session', async () => {
  const { id, url } = await createStream();
  const other = await createStream();
  const cases = [
    `${wsBase()}/voice/v1/stream/sessions/${id}/audio`,
    `${wsBase()}/voice/v1/stream/sessions/${id}/audio?token=9999999999.YWJj.AAAA`,
    // a valid token of another session
    `${wsBase()}/voice/v1/stream/sessions/${id}/audio?token=${new URL(other.url).searchParams.get('token')}`,
  ];
  for (const u of cases) {
    const c = StreamClient.connect(u);
    assert.equal(await c.closed, 1008, u);
    assert.equal(c.of('error')[0]?.code, 'authentication_failed');
  }
  const badKey = StreamClient.connect(url.split('?')[0]!, { authorization: 'Bearer sk_nope_nope' });
  assert.equal(await badKey.closed, 1008);
  const chunked = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
  const c = StreamClient.connect(`${wsBase()}/voice/v1/stream/sessions/${chunked.body.session_id}/audio`, { 'x-api-key': key });
  assert.equal(await c.closed, 1008);
  assert.equal(c.of('error')[0]?.code, 'invalid_request');
  // the token in upload_url and the key header both open the socket
  for (const [u, h] of [[url, {}], [url.split('?')[0]!, { authorization: `Bearer ${key}` }]] as const) {
    const ok = StreamClient.connect(u, h);
    await ok.waitFor(() => ok.of('connected').length === 1, 30_000);
    ok.ws.close(1000);
    assert.equal(await ok.closed, 1000);
  }
  await assertHealthy();
});

test('bad frames get an error message and a clean close; the server stays healthy', async () => {
  const cases: Array<{ name: string; query?: string; frames: Array<Buffer | string>; code: string; close: number }> = [
    { name: 'text garbage', frames: ['this is not json {'], code: 'invalid_frame', close: 1007 },
    { name: 'unknown event', frames: [JSON.stringify({ event: 'dance' })], code: 'invalid_frame', close: 1007 },
    { name: 'bad base64', frames: [JSON.stringify({ event: 'media', media: { payload: '!!!' } })], code: 'invalid_frame', close: 1007 },
    { name: 'odd byte count', frames: [Buffer.alloc(321)], code: 'invalid_frame', close: 1007 },
    { name: 'text after binary', frames: [Buffer.alloc(640), 'hello'], code: 'invalid_frame', close: 1007 },
    { name: 'sample_rate=abc', query: 'sample_rate=abc', frames: [Buffer.alloc(640)], code: 'invalid_sample_rate', close: 1008 },
    { name: 'sample_rate=1', query: 'sample_rate=1', frames: [Buffer.alloc(640)], code: 'invalid_sample_rate', close: 1008 },
    {
      name: 'start with sampleRate 1',
      frames: [JSON.stringify({ event: 'start', start: { mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 1 } } })],
      code: 'invalid_sample_rate',
      close: 1007,
    },
  ];
  for (const c of cases) {
    const { url } = await createStream();
    const client = StreamClient.connect(c.query ? `${url}&${c.query}` : url);
    await client.opened;
    for (const f of c.frames) client.ws.send(f);
    const code = await client.closed;
    assert.equal(code, c.close, c.name);
    assert.equal(client.of('error')[0]?.code, c.code, c.name);
  }
  // 16 MB in one frame: told, closed with 1009 (message too big).
  const { url } = await createStream();
  const big = StreamClient.connect(url);
  await big.waitFor(() => big.of('connected').length === 1, 30_000);
  big.ws.send(Buffer.alloc(16 * 1024 * 1024));
  assert.equal(await big.closed, 1009);
  assert.equal(big.of('error')[0]?.code, 'frame_too_large');
  await assertHealthy();
});

test('a client sending faster than 4× real time is warned, then disconnected', async () => {
  const { url } = await createStream();
  const c = StreamClient.connect(url);
  await c.opened;
  const frames = [...pcmFrames(speech), ...pcmFrames(speech)];
  // ×20 real time for as long as the socket stays open
  await c.sendPaced(frames, 20);
  await c.closed;
  assert.equal(c.of('error')[0]?.code, 'rate_exceeded');
  assert.equal(c.closeCode, 1008);
  await assertHealthy();
});

test('a second socket takes the session over: the first is flushed and closed with 1008', async () => {
  const { id, url } = await createStream();
  const a = StreamClient.connect(url);
  await a.waitFor(() => a.of('connected').length === 1, 30_000);
  await a.sendPaced(pcmFrames(speech.subarray(0, 16_000 * 2)), 4);
  const b = StreamClient.connect(url);
  assert.equal(await a.closed, 1008);
  assert.equal(a.of('error').at(-1)?.code, 'stream_replaced');
  await b.waitFor(() => b.of('connected').length === 1, 30_000);
  assert.equal(b.of('connected')[0]!.next_file, '1.wav');
  await b.sendPaced(pcmFrames(speech.subarray(16_000 * 2, 16_000 * 3)), 4);
  const end = await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 2 } });
  assert.equal(end.status, 202, end.text);
  assert.deepEqual(end.body.audio_files, ['0.wav', '1.wav']);
  assert.equal(await b.closed, 1000);
  const chunks = await storedChunks(server.dataDir, tenant, id);
  assert.equal(chunks.reduce((n, c) => n + c.samples, 0), 16_000 * 3);
});

test('disconnect mid-stream and reconnect: nothing lost or duplicated', async () => {
  const { id, url } = await createStream();
  const audio = speech.subarray(0, Math.min(speech.length, 16_000 * 36));
  const frames = pcmFrames(audio);
  const half = Math.floor(frames.length * 0.55);
  const a = StreamClient.connect(url);
  await a.opened;
  const sentA = await a.sendPaced(frames.slice(0, half), 3);
  a.ws.close(1001, 'network change');
  await a.closed;
  // the fresh upload_url (a new token) from Get Session
  const view = await api(server.url, 'GET', `/voice/v1/sessions/${id}`, { key });
  const b = StreamClient.connect(view.body.upload_url);
  await b.waitFor(() => b.of('connected').length === 1, 30_000);
  const sentB = await b.sendPaced(frames.slice(half), 3);
  assert.equal(sentA + sentB, frames.length);
  const end = await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 0 } });
  assert.equal(end.status, 202, end.text);
  await b.closed;
  const chunks = await storedChunks(server.dataDir, tenant, id);
  assert.deepEqual(chunks.map((c) => c.name), chunks.map((_, i) => `${i}.wav`));
  assert.deepEqual(end.body.audio_files, chunks.map((c) => c.name));
  const stored = chunks.reduce((n, c) => n + c.samples, 0);
  assert.ok(Math.abs(stored - audio.length) <= 16_000 * 0.05, `stored ${stored} samples, sent ${audio.length}`);
  // chunks are speech-bounded: none longer than 25 s
  for (const c of chunks) assert.ok(c.samples <= 25 * 16_000, `${c.name}: ${c.samples}`);
});

test('graceful shutdown stores the buffered audio and closes with 1012 (reconnect hint)', async () => {
  const { id, url } = await createStream();
  const c = StreamClient.connect(url);
  await c.waitFor(() => c.of('connected').length === 1, 30_000);
  await c.sendPaced(pcmFrames(speech.subarray(0, 16_000 * 2)), 4);
  await new Promise((r) => setTimeout(r, 300));
  const stopping = server.stop();
  assert.equal(await c.closed, 1012);
  assert.equal(c.of('error').at(-1)?.code, 'server_restarting');
  await stopping;
  const chunks = await storedChunks(server.dataDir, tenant, id);
  assert.deepEqual(chunks.map((x) => [x.name, x.samples]), [['0.wav', 32_000]]);
});
