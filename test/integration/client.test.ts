import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  AuthenticationFailedError,
  ChunkTooLargeError,
  InvalidFileNameError,
  OpenScribeClient,
  OpenScribeError,
  SessionAlreadyEndedError,
  SessionCompletedError,
  SessionEndedError,
  SessionNotFoundError,
  UnsupportedVersionError,
  WebhookNotFoundError,
} from '../../src/client/index.js';
import { writeWav } from '../../src/speech/audio/wav.js';
import { serverWithKey, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
let client: OpenScribeClient;
let key: string;
const tone = writeWav(Int16Array.from({ length: 16_000 }, (_, i) => Math.round(3000 * Math.sin(i / 5))));
const chunked = { upload_type: 'chunked', communication_protocol: 'http' } as const;

before(async () => {
  ({ server, key } = await serverWithKey('client-sdk', { OPENSCRIBE_MAX_CHUNK_BYTES: String(64 * 1024), OPENSCRIBE_WEBHOOK_ALLOW_PRIVATE: '1' }));
  client = new OpenScribeClient({ baseUrl: server.url, apiKey: key });
});
after(() => server?.stop());

test('discover, templates', async () => {
  const d = await client.discover();
  assert.equal(typeof d, 'object');
  const t = await client.listTemplates();
  assert.ok(t.templates.some((x) => x.id === 'soap'));
});

test('the whole flow: create, upload, get (202), end, wait — no recogniser here, so it finishes failed', async () => {
  const s = await client.createSession({ ...chunked, templates: ['soap'] });
  assert.equal(s.status, 'created');
  const up = await client.uploadChunk(s.session_id, 'rec_0.wav', tone, 'audio/wav');
  assert.equal(up.success, true);
  assert.equal(up.stored_filename, '0.wav');
  const during = await client.getSession(s.session_id);
  assert.equal(during.status, 202);
  assert.equal(during.body.status, 'recording');
  const end = await client.endSession(s.session_id, { audioFilesSent: 1 });
  assert.equal(end.status, 'processing');
  await assert.rejects(client.endSession(s.session_id, { audioFilesSent: 1 }), (e: unknown) => e instanceof SessionAlreadyEndedError && e.status === 409);
  // While processing the refusal is session_ended; once finished, session_completed: either is a 400.
  await assert.rejects(
    client.uploadChunk(s.session_id, 'rec_1.wav', tone, 'audio/wav'),
    (e: unknown) => (e instanceof SessionEndedError || e instanceof SessionCompletedError) && (e as OpenScribeError).status === 400,
  );
  const seen: number[] = [];
  const r = await client.waitForResult(s.session_id, { initialIntervalMs: 100, maxIntervalMs: 500, onProgress: (_b, st) => seen.push(st) });
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'failed');
  assert.equal(seen.at(-1), 200);
  await assert.rejects(client.uploadChunk(s.session_id, 'rec_2.wav', tone, 'audio/wav'), (e: unknown) => e instanceof SessionCompletedError && e.status === 400);
});

test('webhooks: create, list, delete; deleting again is WebhookNotFoundError', async () => {
  const w = await client.createWebhook({ url: 'http://127.0.0.1:9/hook', events: ['session.completed'] });
  assert.ok(w.secret.length >= 16);
  assert.ok((await client.listWebhooks()).some((x) => x.webhook_id === w.webhook_id));
  await client.deleteWebhook(w.webhook_id);
  assert.ok(!(await client.listWebhooks()).some((x) => x.webhook_id === w.webhook_id));
  await assert.rejects(client.deleteWebhook(w.webhook_id), (e: unknown) => e instanceof WebhookNotFoundError && e.status === 404);
});

test('typed errors a live server produces: 401, 404, 400 validation, 400 file name, 413, unsupported version', async () => {
  const bad = new OpenScribeClient({ baseUrl: server.url, apiKey: 'sk_test_not_a_key' });
  await assert.rejects(bad.listTemplates(), (e: unknown) => e instanceof AuthenticationFailedError && e.status === 401);
  await assert.rejects(client.getSession('no_such_session_0000'), (e: unknown) => e instanceof SessionNotFoundError && e.status === 404);
  await assert.rejects(client.waitForResult('no_such_session_0000'), SessionNotFoundError);
  await assert.rejects(
    client.createSession({ communication_protocol: 'http' } as never),
    (e: unknown) => e instanceof OpenScribeError && e.status === 400 && /invalid_request|missing_required_field/.test(e.code),
  );
  const s = await client.createSession(chunked);
  await assert.rejects(client.uploadChunk(s.session_id, '..%2Fetc_0.wav', tone, 'audio/wav'), (e: unknown) => e instanceof InvalidFileNameError && e.status === 400);
  await assert.rejects(client.uploadChunk(s.session_id, 'big_0.wav', new Uint8Array(200 * 1024), 'audio/wav'), (e: unknown) => e instanceof ChunkTooLargeError && e.status === 413);
  const future = new OpenScribeClient({ baseUrl: server.url, apiKey: key, msaVersion: '9.9' });
  await assert.rejects(future.listTemplates(), (e: unknown) => e instanceof UnsupportedVersionError && e.status === 400);
});

test('streamAudio: PCM frames over the session WebSocket (ws on Node 20) reach the server and the socket closes cleanly', async () => {
  const { WebSocket } = await import('ws');
  const c = new OpenScribeClient({ baseUrl: server.url, apiKey: key, WebSocket: WebSocket as never });
  const s = await c.createSession({ upload_type: 'stream', communication_protocol: 'websocket' });
  // 3 s of tone in 100 ms frames, paced at 2× real time (the server refuses faster than 4×).
  const frames = Array.from({ length: 30 }, (_, i) => new Uint8Array(Int16Array.from({ length: 1600 }, (_, j) => Math.round(3000 * Math.sin((i * 1600 + j) / 5))).buffer));
  const messages: Array<Record<string, unknown>> = [];
  const closed = await c.streamAudio(s, frames, { realtimeFactor: 2, onMessage: (m) => messages.push(m) });
  assert.equal(closed.code, 1000);
  assert.equal(messages[0]?.type, 'connected');
  // What the server stores of a stream is the streaming suite's business; here: the SDK's side of the socket.
  const end = await c.endSession(s.session_id, { audioFilesSent: 0 });
  assert.equal(end.status, 'processing');
});
