import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ERROR_CLASSES,
  NetworkError,
  OpenScribeClient,
  OpenScribeError,
  SessionExpiredError,
  SessionNotFoundError,
  backoffMs,
  parseRetryAfter,
  pollDelayMs,
  type FetchLike,
} from '../../src/client/index.js';

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

/** A fake fetch answering from a script, recording every request. */
function fakeFetch(replies: Reply[]) {
  const calls: Array<{ url: string; method: string; headers: Record<string, string>; body: unknown }> = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, method: init?.method ?? 'GET', headers: (init?.headers ?? {}) as Record<string, string>, body: init?.body });
    const r = replies.shift();
    if (!r) throw new Error('no scripted reply left');
    if (r instanceof Error) throw r;
    return new Response(r.body === undefined ? null : JSON.stringify(r.body), {
      status: r.status,
      headers: { 'content-type': 'application/json', ...r.headers },
    });
  };
  return { fetch, calls };
}

/** A sleep that records the delays asked for and returns at once. */
function fakeSleep() {
  const slept: number[] = [];
  return { slept, sleep: async (ms: number) => void slept.push(ms) };
}

const err = (code: string, status: number, headers?: Record<string, string>): Reply => ({
  status,
  body: { error: { code, message: `${code} happened`, details: { why: code } } },
  headers,
});
const upload = { session_id: 's', success: true, original_filename: 'a_0.wav', stored_filename: '0.wav', bytes: 3 };

function client(replies: Reply[], extra: Partial<ConstructorParameters<typeof OpenScribeClient>[0]> = {}) {
  const f = fakeFetch(replies);
  const s = fakeSleep();
  const c = new OpenScribeClient({ baseUrl: 'http://scribe.test/', apiKey: 'sk_test_x', fetch: f.fetch, sleep: s.sleep, random: () => 0.5, ...extra });
  return { c, ...f, ...s };
}

test('requests carry the key, the MSA-Version and JSON; paths are under /voice/v1 and escaped', async () => {
  const { c, calls } = client([{ status: 201, body: { session_id: 'abc' } }, { status: 200, body: upload }], { msaVersion: '0.1' });
  await c.createSession({ upload_type: 'chunked', communication_protocol: 'http', templates: ['soap'] });
  await c.uploadChunk('abc', 'rec_0.wav', new Uint8Array([1, 2, 3]), 'audio/wav');
  assert.equal(calls[0]!.url, 'http://scribe.test/voice/v1/sessions');
  assert.equal(calls[0]!.headers.authorization, 'Bearer sk_test_x');
  assert.equal(calls[0]!.headers['msa-version'], '0.1');
  assert.equal(calls[0]!.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(calls[0]!.body as string).templates, ['soap']);
  assert.equal(calls[1]!.url, 'http://scribe.test/voice/v1/sessions/abc/audio/rec_0.wav');
  assert.equal(calls[1]!.headers['content-type'], 'audio/wav');
});

test('discovery is fetched without a credential', async () => {
  const { c, calls } = client([{ status: 200, body: { protocol: 'x' } }]);
  assert.deepEqual(await c.discover(), { protocol: 'x' });
  assert.equal(calls[0]!.headers.authorization, undefined);
  assert.match(calls[0]!.url, /\/voice\/v1\/\.well-known\/medscribealliance$/);
});

test('uploadChunk retries 5xx and network errors with exponential backoff, then succeeds', async () => {
  const { c, calls, slept } = client([err('internal_error', 500), new TypeError('fetch failed'), err('service_unavailable', 503), { status: 200, body: upload }]);
  const r = await c.uploadChunk('s', 'a_0.wav', new Uint8Array([1]), 'audio/wav');
  assert.equal(r.success, true);
  assert.equal(calls.length, 4);
  assert.deepEqual(slept, [500, 1000, 2000]); // random 0.5 → no jitter
});

test('uploadChunk honours Retry-After on 429 and 503 when it is longer than the backoff', async () => {
  const { c, slept } = client([err('rate_limit_exceeded', 429, { 'retry-after': '7' }), err('service_unavailable', 503, { 'retry-after': '3' }), { status: 200, body: upload }]);
  await c.uploadChunk('s', 'a_0.wav', new Uint8Array([1]), 'audio/wav');
  assert.deepEqual(slept, [7000, 3000]);
});

test('uploadChunk gives up after `retries` and throws the last typed error', async () => {
  const { c, calls } = client([err('internal_error', 500), err('internal_error', 500), err('internal_error', 500)], { retries: 2 });
  await assert.rejects(c.uploadChunk('s', 'a_0.wav', new Uint8Array([1]), 'audio/wav'), (e: unknown) => e instanceof ERROR_CLASSES.internal_error && (e as OpenScribeError).status === 500);
  assert.equal(calls.length, 3);
});

test('uploadChunk does not retry a 4xx', async () => {
  const { c, calls } = client([err('session_ended', 400)]);
  await assert.rejects(c.uploadChunk('s', 'a_0.wav', new Uint8Array([1]), 'audio/wav'), ERROR_CLASSES.session_ended);
  assert.equal(calls.length, 1);
});

test('network failure after the retries is a NetworkError', async () => {
  const { c } = client([new TypeError('a'), new TypeError('b')], { retries: 1 });
  await assert.rejects(c.uploadChunk('s', 'a_0.wav', new Uint8Array([1]), 'audio/wav'), (e: unknown) => e instanceof NetworkError && e instanceof OpenScribeError && e.status === 0);
});

test('every protocol error code becomes its own class, carrying code, status, message and details', async () => {
  for (const [code, C] of Object.entries(ERROR_CLASSES)) {
    const { c } = client([err(code, 418)]);
    await assert.rejects(c.listTemplates(), (e: unknown) => {
      assert.ok(e instanceof C, code);
      assert.ok(e instanceof OpenScribeError);
      assert.equal(e.code, code);
      assert.equal(e.status, 418);
      assert.equal(e.message, `${code} happened`);
      assert.deepEqual(e.details, { why: code });
      return true;
    });
  }
  assert.equal(Object.keys(ERROR_CLASSES).length, 30);
  assert.equal(new Set(Object.values(ERROR_CLASSES)).size, 30);
});

test('an unknown code or a non-JSON error body is still an OpenScribeError', async () => {
  const { c } = client([err('brand_new_code', 400), { status: 502 }]);
  await assert.rejects(c.listWebhooks(), (e: unknown) => e instanceof OpenScribeError && e.code === 'brand_new_code');
  await assert.rejects(c.deleteWebhook('w'), (e: unknown) => e instanceof OpenScribeError && e.code === 'http_502' && e.status === 502);
});

test('getSession returns the HTTP status with the body; template_id is sent', async () => {
  const { c, calls } = client([{ status: 206, body: { session_id: 's', status: 'partial' } }]);
  const r = await c.getSession('s', { templateId: 'soap' });
  assert.equal(r.status, 206);
  assert.equal(r.body.status, 'partial');
  assert.match(calls[0]!.url, /\/sessions\/s\?template_id=soap$/);
});

test('waitForResult polls with growing intervals (1 s ×1.5 up to 5 s) and reports progress', async () => {
  const processing = { status: 202, body: { session_id: 's', status: 'processing' } };
  const { c, slept } = client([processing, processing, processing, processing, processing, processing, { status: 200, body: { session_id: 's', status: 'completed' } }]);
  const seen: string[] = [];
  const r = await c.waitForResult('s', { onProgress: (b, st) => seen.push(`${st}:${b.status}`) });
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'completed');
  assert.deepEqual(slept, [1000, 1500, 2250, 3375, 5000, 5000]);
  assert.equal(seen.length, 7);
  assert.equal(seen.at(-1), '200:completed');
});

test('waitForResult resolves on 206 partial and on 200 failed', async () => {
  const a = client([{ status: 206, body: { status: 'partial' } }]);
  assert.equal((await a.c.waitForResult('s')).status, 206);
  const b = client([{ status: 200, body: { status: 'failed', error: { code: 'audio_too_short', message: 'x' } } }]);
  assert.equal((await b.c.waitForResult('s')).body.status, 'failed');
});

test('waitForResult rejects with SessionExpiredError on 410 and SessionNotFoundError on 404', async () => {
  const a = client([{ status: 202, body: { status: 'recording' } }, err('session_expired', 410)]);
  await assert.rejects(a.c.waitForResult('s'), SessionExpiredError);
  const b = client([err('session_not_found', 404)]);
  await assert.rejects(b.c.waitForResult('s'), SessionNotFoundError);
});

test('waitForResult waits out a 503 with its Retry-After and a network blip, then goes on', async () => {
  const { c, slept } = client([err('service_unavailable', 503, { 'retry-after': '9' }), new TypeError('reset'), { status: 200, body: { status: 'completed' } }]);
  assert.equal((await c.waitForResult('s')).status, 200);
  assert.deepEqual(slept, [9000, 1500]);
});

test('waitForResult stops when its signal is aborted', async () => {
  const ac = new AbortController();
  const f = fakeFetch([{ status: 202, body: { status: 'processing' } }, { status: 202, body: { status: 'processing' } }]);
  const c = new OpenScribeClient({
    baseUrl: 'http://x',
    apiKey: 'k',
    fetch: f.fetch,
    sleep: async () => {
      ac.abort(new Error('stop'));
      throw new Error('stop');
    },
  });
  await assert.rejects(c.waitForResult('s', { signal: ac.signal }), /stop/);
  assert.equal(f.calls.length, 1);
});

test('webhooks: create, list, delete', async () => {
  const hook = { webhook_id: 'w1', url: 'https://h.test/x', events: ['session.completed'], status: 'active', created_at: 'now' };
  const { c, calls } = client([{ status: 201, body: { ...hook, secret: 's3cr3t' } }, { status: 200, body: { webhooks: [hook] } }, { status: 204 }]);
  assert.equal((await c.createWebhook({ url: hook.url, events: ['session.completed'] })).secret, 's3cr3t');
  assert.deepEqual(await c.listWebhooks(), [hook]);
  await c.deleteWebhook('w1');
  assert.deepEqual(calls.map((x) => `${x.method} ${new URL(x.url).pathname}`), ['POST /voice/v1/webhooks', 'GET /voice/v1/webhooks', 'DELETE /voice/v1/webhooks/w1']);
});

test('Retry-After parsing and the backoff rules', () => {
  assert.equal(parseRetryAfter('12'), 12);
  assert.equal(parseRetryAfter(new Date(10_000 + 5_000).toUTCString(), 10_000), 5);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(backoffMs(0, 500, 30_000, () => 0.5), 500);
  assert.equal(backoffMs(10, 500, 30_000, () => 0.5), 30_000);
  assert.equal(backoffMs(1, 500, 30_000, () => 0), 800);
  assert.equal(backoffMs(1, 500, 30_000, () => 1), 1200);
  assert.equal(pollDelayMs(0), 1000);
  assert.equal(pollDelayMs(100), 5000);
});
