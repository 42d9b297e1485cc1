/**
 * Webhooks end to end: the real service (child process) delivering to real HTTP
 * receivers on loopback. Backoff and timeout are shrunk so that retries happen in
 * milliseconds; everything else is the production path.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verifyWebhookSignature } from '../../src/sdk/index.js';
import { api, createKey, SHARED, startServer, tempDataDir, type RunningServer } from '../helpers/server.js';
import { startReceiver, type Received, type Receiver } from '../helpers/webhook-receiver.js';

const AUDIO = path.join(SHARED, 'data/audio');
const FAST = {
  OPENSCRIBE_WEBHOOK_ALLOW_PRIVATE: '1',
  OPENSCRIBE_WEBHOOK_BACKOFF_MS: '50',
  OPENSCRIBE_WEBHOOK_TIMEOUT_MS: '500',
  OPENSCRIBE_WEBHOOK_MAX_ATTEMPTS: '4',
};

let server: RunningServer;
let keyA: string;
let keyB: string;
const receivers: Receiver[] = [];

async function receiver(...args: Parameters<typeof startReceiver>) {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

before(async () => {
  const dataDir = tempDataDir('webhooks');
  keyA = createKey(dataDir, 'clinic-a');
  keyB = createKey(dataDir, 'clinic-b');
  server = await startServer({ dataDir, env: { ...FAST, OPENSCRIBE_TRANSCRIBER: 'pocketsphinx' } });
});
after(async () => {
  await server?.stop();
  await Promise.all(receivers.map((r) => r.close()));
});

async function register(key: string, json: Record<string, unknown>) {
  const r = await api(server.url, 'POST', '/voice/v1/webhooks', { key, json });
  assert.equal(r.status, 201, r.text);
  return r.body as { webhook_id: string; secret: string; url: string; events: string[]; status: string; created_at: string };
}

async function session(key: string, json: Record<string, unknown> = {}) {
  const r = await api(server.url, 'POST', '/voice/v1/sessions', {
    key,
    json: { upload_type: 'chunked', communication_protocol: 'http', templates: ['soap'], ...json },
  });
  assert.equal(r.status, 201, r.text);
  return r.body.session_id as string;
}

const end = (key: string, id: string, sent = 0) => api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: sent } });
const deliveries = async (key: string, webhookId: string) => {
  const r = await api(server.url, 'GET', `/voice/v1/webhooks/${webhookId}/deliveries`, { key });
  assert.equal(r.status, 200, r.text);
  return r.body.deliveries as any[];
};
const ofSession = (rs: Received[], id: string) => rs.filter((r) => r.body?.session_id === id);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('delivery', () => {
  test('every event of real sessions arrives once, signed, with a stable event id and no PHI', async () => {
    const rx = await receiver();
    const hook = await register(keyA, { url: rx.url });
    assert.match(hook.webhook_id, /^wh_/);
    assert.match(hook.secret, /^whsec_/, 'a secret is generated when none is given');
    assert.deepEqual(hook.events.length, 6);

    // completed: a real dictation; partial: the same audio, but the client says it sent two files.
    const completed = await session(keyA, { upload_type: 'single', session_mode: 'dictation', patient_details: { name: 'Asha Rao' } });
    const partial = await session(keyA, { upload_type: 'single', session_mode: 'dictation' });
    const failed = await session(keyA);
    const audio = fs.readFileSync(path.join(AUDIO, 'dictation-fever.m4a'));
    for (const id of [completed, partial]) {
      const up = await api(server.url, 'POST', `/voice/v1/sessions/${id}/audio/dictation.m4a`, { key: keyA, body: audio, headers: { 'content-type': 'audio/mp4' } });
      assert.equal(up.status, 200, up.text);
    }
    assert.equal((await end(keyA, completed, 1)).status, 202);
    assert.equal((await end(keyA, partial, 2)).status, 202);
    assert.equal((await end(keyA, failed, 0)).status, 202);

    const want: Record<string, string[]> = {
      [completed]: ['session.started', 'session.ended', 'session.completed'],
      [partial]: ['session.started', 'session.ended', 'session.partial'],
      [failed]: ['session.started', 'session.ended', 'session.failed'],
    };
    await rx.until((rs) => Object.entries(want).every(([id, events]) => ofSession(rs, id).length >= events.length), 120_000);
    await sleep(300); // nothing more may come
    for (const [id, events] of Object.entries(want)) {
      const got = ofSession(rx.received, id);
      assert.deepEqual(got.map((r) => r.body.event), events, `events of ${id} in order, once each`);
      for (const r of got) {
        assert.deepEqual(Object.keys(r.body).sort(), ['event', 'session_id', 'timestamp'], 'a notification only');
        assert.ok(verifyWebhookSignature(r.raw, r.headers['x-msa-signature'] as string, hook.secret), 'valid signature');
        assert.ok(!verifyWebhookSignature(r.raw, r.headers['x-msa-signature'] as string, 'whsec_wrong'), 'the signature depends on the secret');
        assert.match(r.headers['x-msa-event-id'] as string, /^evt_/);
        assert.equal(r.headers['x-msa-event'], r.body.event);
        assert.match(r.headers['user-agent'] as string, /openscribe/);
        assert.equal(r.headers['content-type'], 'application/json');
      }
    }
    const ids = rx.received.map((r) => r.headers['x-msa-event-id']);
    assert.equal(new Set(ids).size, ids.length, 'every event has its own id');
    assert.ok(!rx.received.some((r) => r.raw.includes('Asha')), 'no patient details in any payload');
    assert.doesNotMatch(server.output(), new RegExp(hook.secret), 'the secret is never logged');

    const log = await deliveries(keyA, hook.webhook_id);
    assert.equal(log.length, 9);
    for (const d of log) {
      assert.equal(d.status, 'succeeded');
      assert.equal(d.attempts, 1);
      assert.equal(d.last_status_code, 200);
      assert.equal(d.attempt_log.length, 1);
      assert.equal(typeof d.attempt_log[0].latency_ms, 'number');
      assert.match(d.delivery_id, /^whd_/);
    }
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /openscribe_webhook_attempts\{outcome="delivered"\} (\d+)/);
  });

  test('a receiver failing the first 3 attempts gets the event on the 4th, with the same event id', async () => {
    const rx = await receiver((n) => (n < 3 ? 503 : 200));
    const hook = await register(keyA, { url: rx.url, events: ['session.started'], secret: 'a-receiver-chosen-secret-123' });
    assert.equal(hook.secret, 'a-receiver-chosen-secret-123', 'a given secret is used');
    const id = await session(keyA);
    await rx.until((rs) => rs.length >= 4);
    assert.equal(new Set(rx.received.map((r) => r.headers['x-msa-event-id'])).size, 1, 'one event id across retries');
    assert.ok(rx.received.every((r) => r.body.session_id === id && r.body.event === 'session.started'));
    for (const r of rx.received) assert.ok(verifyWebhookSignature(r.raw, r.headers['x-msa-signature'] as string, hook.secret));

    const [d] = await deliveries(keyA, hook.webhook_id);
    await waitFor(async () => (await deliveries(keyA, hook.webhook_id))[0].status === 'succeeded');
    const done = (await deliveries(keyA, hook.webhook_id))[0];
    assert.equal(d.event_id, done.event_id);
    assert.equal(done.attempts, 4);
    assert.deepEqual(done.attempt_log.map((a: any) => a.status_code), [503, 503, 503, 200]);
    assert.deepEqual(done.attempt_log.map((a: any) => a.outcome), ['retry', 'retry', 'retry', 'delivered']);
    assert.equal(done.next_attempt_at, null);
    assert.ok(done.delivered_at);
  });

  test('Retry-After is honoured: the next attempt waits at least that long', async () => {
    const rx = await receiver((n) => (n === 0 ? { status: 429, headers: { 'retry-after': '1' } } : 200));
    await register(keyA, { url: rx.url, events: ['session.started'] });
    await session(keyA);
    const [first, second] = await rx.until((rs) => rs.length >= 2);
    assert.ok(second!.at - first!.at >= 950, `retried after ${second!.at - first!.at} ms (Retry-After: 1, backoff 50 ms)`);
  });

  test('a hanging receiver is timed out and retried; a dead one ends `dead`, listed; redeliver sends the same event again', async () => {
    const hanging = await receiver(() => 'hang');
    const deadUrl = `http://127.0.0.1:${await closedPort()}/gone`;
    const healthy = await receiver();
    const h1 = await register(keyA, { url: hanging.url, events: ['session.started'] });
    const h2 = await register(keyA, { url: deadUrl, events: ['session.started'] });
    const h3 = await register(keyA, { url: healthy.url, events: ['session.started'] });
    const t0 = Date.now();
    const id = await session(keyA);

    await waitFor(async () => (await deliveries(keyA, h1.webhook_id)).every((d) => d.status === 'dead'), 20_000);
    const [hung] = await deliveries(keyA, h1.webhook_id);
    assert.equal(hung.attempts, 4);
    assert.equal(hanging.received.length, 4, 'four attempts reached the hanging receiver');
    assert.ok(hung.attempt_log.every((a: any) => /tim(ed )?out/i.test(a.error) && a.latency_ms >= 450), JSON.stringify(hung.attempt_log));
    // The healthy receiver was not held up by the hanging one.
    assert.ok(healthy.received[0]!.at - t0 < 2_000);

    await waitFor(async () => (await deliveries(keyA, h2.webhook_id)).every((d) => d.status === 'dead'), 20_000);
    const [dead] = await deliveries(keyA, h2.webhook_id);
    assert.equal(dead.session_id, id);
    assert.equal(dead.attempts, 4);
    assert.equal(dead.last_status_code, null);
    assert.match(dead.last_error, /ECONNREFUSED|refused/i);
    assert.doesNotMatch(dead.last_error, /\/gone/, 'errors do not echo the URL path');

    // A dead delivery cannot be redelivered while pending; a finished one can.
    const [ok] = await deliveries(keyA, h3.webhook_id);
    const again = await api(server.url, 'POST', `/voice/v1/webhooks/${h3.webhook_id}/deliveries/${ok.delivery_id}/redeliver`, { key: keyA });
    assert.equal(again.status, 202, again.text);
    assert.equal(again.body.status, 'pending');
    await healthy.until((rs) => rs.length >= 2);
    assert.equal(healthy.received[1]!.headers['x-msa-event-id'], healthy.received[0]!.headers['x-msa-event-id']);
    const missing = await api(server.url, 'POST', `/voice/v1/webhooks/${h3.webhook_id}/deliveries/whd_nope/redeliver`, { key: keyA });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'delivery_not_found');
  });

  test('deleting a webhook stops its deliveries: pending retries are cancelled', async () => {
    const rx = await receiver(() => 500);
    const hook = await register(keyA, { url: rx.url, events: ['session.started'] });
    await session(keyA);
    await rx.until((rs) => rs.length >= 1);
    const del = await api(server.url, 'DELETE', `/voice/v1/webhooks/${hook.webhook_id}`, { key: keyA });
    assert.equal(del.status, 204);
    const seen = rx.received.length;
    await sleep(1_500); // backoff 50 ms ×4 per attempt: several retries would have come by now
    assert.ok(rx.received.length <= seen + 1, `${rx.received.length - seen} deliveries after delete`); // one may be in flight
    const list = await api(server.url, 'GET', '/voice/v1/webhooks', { key: keyA });
    assert.ok(!list.body.webhooks.some((w: any) => w.webhook_id === hook.webhook_id));
    assert.equal((await api(server.url, 'DELETE', `/voice/v1/webhooks/${hook.webhook_id}`, { key: keyA })).status, 404);
    assert.equal((await api(server.url, 'GET', `/voice/v1/webhooks/${hook.webhook_id}/deliveries`, { key: keyA })).status, 404);
  });
});

describe('tenants', () => {
  test("tenant A never receives B's events and cannot see or touch B's webhooks", async () => {
    const rxA = await receiver();
    const rxB = await receiver();
    const hookA = await register(keyA, { url: rxA.url, events: ['session.started'] });
    const hookB = await register(keyB, { url: rxB.url, events: ['session.started'] });
    const sa = await session(keyA);
    const sb = await session(keyB);
    await rxA.until((rs) => ofSession(rs, sa).length === 1);
    await rxB.until((rs) => ofSession(rs, sb).length === 1);
    await sleep(200);
    assert.equal(ofSession(rxA.received, sb).length, 0);
    assert.equal(ofSession(rxB.received, sa).length, 0);
    assert.equal(rxB.received.length, 1);

    const listB = await api(server.url, 'GET', '/voice/v1/webhooks', { key: keyB });
    assert.deepEqual(listB.body.webhooks.map((w: any) => w.webhook_id), [hookB.webhook_id]);
    assert.ok(!('secret' in listB.body.webhooks[0]), 'the secret is shown only at creation');
    for (const [method, p] of [
      ['DELETE', `/voice/v1/webhooks/${hookA.webhook_id}`],
      ['GET', `/voice/v1/webhooks/${hookA.webhook_id}/deliveries`],
    ] as const) {
      const r = await api(server.url, method, p, { key: keyB });
      assert.equal(r.status, 404, `${method} ${p}`);
      assert.equal(r.body.error.code, 'webhook_not_found');
    }
    const [dA] = await deliveries(keyA, hookA.webhook_id);
    const r = await api(server.url, 'POST', `/voice/v1/webhooks/${hookA.webhook_id}/deliveries/${dA.delivery_id}/redeliver`, { key: keyB });
    assert.equal(r.status, 404);
  });
});

describe('registration', () => {
  test('bad requests are protocol errors', async () => {
    const post = (body: string) =>
      api(server.url, 'POST', '/voice/v1/webhooks', { key: keyA, body, headers: { 'content-type': 'application/json' } });
    const cases: Array<[string, number, string]> = [
      ['{"url": ', 400, 'malformed JSON'],
      ['{}', 400, 'no url'],
      ['{"url": 42}', 400, 'url not a string'],
      ['{"url": "not a url"}', 400, 'not a URL'],
      ['{"url": "ftp://example.com/x"}', 400, 'scheme'],
      ['{"url": "https://user:pw@example.com/x"}', 400, 'credentials in the URL'],
      ['{"url": "https://example.com/x", "events": ["session.exploded"]}', 400, 'unknown event'],
      ['{"url": "https://example.com/x", "events": []}', 400, 'no events'],
      ['{"url": "https://example.com/x", "secret": "short"}', 400, 'secret too short'],
      [`{"url": "https://example.com/${'a'.repeat(3000)}"}`, 400, 'url too long'],
    ];
    for (const [body, status, what] of cases) {
      const r = await post(body);
      assert.equal(r.status, status, `${what}: ${r.text}`);
      assert.ok(r.body?.error?.code, `${what}: protocol error shape`);
    }
    const noKey = await api(server.url, 'POST', '/voice/v1/webhooks', { json: { url: 'https://example.com/x' } });
    assert.equal(noKey.status, 401);
  });

  test('without the opt-in, private, loopback and metadata addresses are refused', async () => {
    const dataDir = tempDataDir('webhooks-ssrf');
    const key = createKey(dataDir, 'ssrf');
    const strict = await startServer({ dataDir, args: ['--no-worker'] });
    try {
      for (const url of [
        'http://127.0.0.1:9/x',
        'http://localhost:9/x',
        'http://[::1]:9/x',
        'http://10.0.0.8/x',
        'http://192.168.1.1/x',
        'http://169.254.169.254/latest/meta-data',
        'http://[::ffff:127.0.0.1]/x',
      ]) {
        const r = await api(strict.url, 'POST', '/voice/v1/webhooks', { key, json: { url } });
        assert.equal(r.status, 400, `${url}: ${r.text}`);
        assert.equal(r.body.error.code, 'invalid_request');
        assert.equal(r.body.error.details.field, 'url');
      }
    } finally {
      await strict.stop();
    }
  });
});

describe('expiry', () => {
  test('a session that times out sends session.expired', async () => {
    const dataDir = tempDataDir('webhooks-expiry');
    const key = createKey(dataDir, 'expiry');
    const s = await startServer({ dataDir, env: { ...FAST, OPENSCRIBE_MAX_SESSION_SECONDS: '1', OPENSCRIBE_SWEEP_INTERVAL_MS: '100' } });
    const rx = await receiver();
    try {
      const r = await api(s.url, 'POST', '/voice/v1/webhooks', { key, json: { url: rx.url, events: ['session.expired'] } });
      assert.equal(r.status, 201, r.text);
      const created = await api(s.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
      const [got] = await rx.until((rs) => rs.length >= 1, 10_000);
      assert.equal(got!.body.event, 'session.expired');
      assert.equal(got!.body.session_id, created.body.session_id);
      await sleep(300);
      assert.equal(rx.received.length, 1, 'once');
    } finally {
      await s.stop();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met after ${ms} ms`);
    await sleep(50);
  }
}

async function closedPort(): Promise<number> {
  const r = await startReceiver();
  const port = Number(new URL(r.url).port);
  await r.close();
  return port;
}
