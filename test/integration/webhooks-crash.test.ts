/**
 * Webhooks survive a crash: the service is SIGKILLed while deliveries are pending —
 * queued and never tried, backing off after a 503, and in flight to a receiver that
 * has not answered — and after a restart on the same data dir every event in the
 * outbox reaches the receiver, counted against the database. Delivery is at least
 * once: exactly the requests in flight at the kill arrive a second time, with the
 * same event id and body, and nothing else does.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { verifyWebhookSignature } from '../../src/sdk/index.js';
import { api, createKey, startServer, tempDataDir, type RunningServer } from '../helpers/server.js';
import { startReceiver, type Received } from '../helpers/webhook-receiver.js';

const SESSIONS = 20;
/** Per session: started, ended, failed (no recogniser: processing fails). */
const EVENTS = SESSIONS * 3;
/**
 * Delivery slots of the process = requests at once to the webhook. Equal, so that a
 * delivery job is never given back unrun for want of an endpoint slot: what is in
 * flight at the kill is exactly the requests the receiver holds.
 */
const SLOTS = 4;
/** Before the crash the receiver refuses the first requests (503: those deliveries back off)… */
const REFUSED = 5;
/** …answers the next ones 200 after a short wait… */
const ANSWERED = 8;
const SLOW_MS = 100;
/** …and holds every later one unanswered, so the slots fill up and the requests stay in flight until the kill. */
const ARRIVALS_AT_KILL = REFUSED + ANSWERED + SLOTS;

const ENV = {
  OPENSCRIBE_WEBHOOK_ALLOW_PRIVATE: '1',
  // Long enough that the refused deliveries are still backing off while the slots are held.
  OPENSCRIBE_WEBHOOK_BACKOFF_MS: '1500',
  // Held requests must not time out before the kill. The delivery lease is this + 5 s:
  // the attempts in flight at the kill are taken up again at most 15 s after it.
  OPENSCRIBE_WEBHOOK_TIMEOUT_MS: '10000',
  OPENSCRIBE_WEBHOOK_MAX_ATTEMPTS: '8',
  OPENSCRIBE_WEBHOOK_CONCURRENCY: String(SLOTS),
  OPENSCRIBE_WEBHOOK_ENDPOINT_CONCURRENCY: String(SLOTS),
  OPENSCRIBE_JOB_POLL_MS: '100',
  LOG_LEVEL: 'warn',
};

interface Arrival {
  phase: 'before' | 'after';
  at: number;
  eventId: string;
  signature: string;
  raw: string;
  /** What the receiver answered; null if it never did (held until the crash, or the connection was gone). */
  answered: number | null;
}

/** A loopback receiver whose behaviour changes at the restart: failing, slow, then silent; then healthy. */
async function crashReceiver() {
  let phase: Arrival['phase'] = 'before';
  const phases = new WeakMap<Received, Arrival['phase']>();
  const rx = await startReceiver((n, r) => {
    phases.set(r, phase);
    if (phase === 'after') return 200;
    if (n < REFUSED) return 503;
    if (n < REFUSED + ANSWERED) return { status: 200, delayMs: SLOW_MS };
    return 'hang'; // held until the process at the other end dies
  });
  const arrival = (r: Received): Arrival => ({
    phase: phases.get(r)!,
    at: r.at,
    eventId: String(r.headers['x-msa-event-id']),
    signature: String(r.headers['x-msa-signature']),
    raw: r.raw,
    answered: r.answered,
  });
  return {
    url: rx.url.replace('/hooks/openscribe', '/hooks/crash'),
    get arrivals() {
      return rx.received.map(arrival);
    },
    healthy: () => (phase = 'after'),
    until: (predicate: () => boolean, ms: number, what: string) =>
      rx.until(() => predicate(), ms).then(
        () => undefined,
        (err: Error) => Promise.reject(new Error(`${what} not reached: ${err.message}`)),
      ),
    close: () => rx.close(),
  };
}

/** A read-only look at the service's database (WAL: a reader does not disturb the running service). */
function readDb<T>(dataDir: string, read: (db: Database.Database) => T): T {
  const db = new Database(path.join(dataDir, 'openscribe.db'), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const count = (db: Database.Database, sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) as { n: number }).n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: RunningServer | undefined;
let receiver: Awaited<ReturnType<typeof crashReceiver>> | undefined;
let dataDir: string | undefined;
after(async () => {
  await server?.kill();
  await receiver?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

test('SIGKILL with deliveries pending: after a restart every event is delivered, at least once, signed', { timeout: 60_000 }, async () => {
  const t0 = Date.now();
  const rx = (receiver = await crashReceiver());
  const dir = (dataDir = tempDataDir('webhooks-crash'));
  const key = createKey(dir, 'crash');
  server = await startServer({ dataDir: dir, env: ENV });

  const reg = await api(server.url, 'POST', '/voice/v1/webhooks', { key, json: { url: rx.url } });
  assert.equal(reg.status, 201, reg.text);
  const secret = reg.body.secret as string;

  // 20 sessions, created and ended: 60 events, all written before the crash.
  const ids: string[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const r = await api(server.url, 'POST', '/voice/v1/sessions', {
      key,
      json: { upload_type: 'chunked', communication_protocol: 'http', templates: ['soap'] },
    });
    assert.equal(r.status, 201, r.text);
    ids.push(r.body.session_id);
    const end = await api(server.url, 'POST', `/voice/v1/sessions/${r.body.session_id}/end`, { key, json: { audio_files_sent: 0 } });
    assert.equal(end.status, 202, end.text);
  }
  // Every session finished (failed: no recogniser), so its last event is in the outbox.
  for (const id of ids) {
    for (;;) {
      const r = await api(server.url, 'GET', `/voice/v1/sessions/${id}`, { key });
      if (r.status !== 202) {
        assert.equal(r.body.status, 'failed', r.text);
        break;
      }
      await sleep(50);
    }
  }

  // The crash: every slot holds a request the receiver has not answered.
  await rx.until(() => rx.arrivals.length >= ARRIVALS_AT_KILL, 20_000, `${ARRIVALS_AT_KILL} requests`);
  await sleep(200); // the answered ones are recorded; the held ones stay held (timeout 10 s)
  await server.kill();
  const killedAt = Date.now();
  const before = rx.arrivals.length;
  assert.equal(before, ARRIVALS_AT_KILL, 'no request beyond the held ones: every slot was taken');
  const atKill = readDb(dir, (db) => ({
    events: count(db, 'select count(*) as n from webhook_events'),
    deliveries: count(db, 'select count(*) as n from webhook_deliveries'),
    pending: count(db, "select count(*) as n from webhook_deliveries where status = 'pending'"),
    neverTried: count(db, "select count(*) as n from webhook_deliveries where status = 'pending' and attempts = 0"),
    retrying: count(db, "select count(*) as n from webhook_deliveries where status = 'pending' and attempts > 0"),
    succeeded: new Set(
      (db.prepare("select event_id from webhook_deliveries where status = 'succeeded'").all() as Array<{ event_id: string }>).map((r) => r.event_id),
    ),
  }));
  assert.equal(atKill.events, EVENTS, 'every event is in the outbox before the crash');
  assert.equal(atKill.deliveries, EVENTS, 'one delivery per event (one webhook)');
  const ok = rx.arrivals.filter((a) => a.answered === 200);
  assert.deepEqual(atKill.succeeded, new Set(ok.map((a) => a.eventId)), 'the answered requests, and only they, are recorded delivered');
  assert.equal(atKill.pending, EVENTS - atKill.succeeded.size, 'nothing is dead or cancelled');
  assert.ok(atKill.retrying >= 1, `${atKill.retrying} deliveries backing off after a 503 at the crash`);
  assert.ok(atKill.neverTried >= EVENTS - ARRIVALS_AT_KILL, `${atKill.neverTried} deliveries never tried at the crash`);
  // In flight at the crash: sent, unanswered, so not recorded.
  const inFlightAtKill = rx.arrivals.filter((a) => a.answered === null).map((a) => a.eventId);
  assert.equal(inFlightAtKill.length, SLOTS, 'one request in flight per slot');
  assert.equal(new Set(inFlightAtKill).size, SLOTS, 'in flight: different events');
  for (const id of inFlightAtKill) assert.ok(!atKill.succeeded.has(id));

  // The restart: same data dir, the receiver healthy now.
  rx.healthy();
  server = await startServer({ dataDir: dir, env: ENV });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const left = readDb(dir, (db) => count(db, "select count(*) as n from webhook_deliveries where status <> 'succeeded'"));
    if (left === 0) break;
    if (Date.now() > deadline) {
      const jobs = readDb(dir, (db) => db.prepare("select status, attempts, run_at, locked_until, locked_by, last_error from jobs where kind = 'deliver-webhook' and status <> 'done'").all());
      assert.fail(`${left} deliveries still not succeeded 30 s after the restart (now ${new Date().toISOString()}); their jobs (running with locked_until passed: an expired lease nobody took up): ${JSON.stringify(jobs)}`);
    }
    await sleep(100);
  }
  await sleep(300); // nothing more may come

  // Count: the receiver acknowledged every event of the outbox, by id, with its stored body.
  const { events, deliveries, attemptsInDb } = readDb(dir, (db) => ({
    events: db.prepare('select id, body from webhook_events').all() as Array<{ id: string; body: string }>,
    deliveries: db.prepare('select event_id, status, attempts, delivered_at from webhook_deliveries').all() as Array<{
      event_id: string;
      status: string;
      attempts: number;
      delivered_at: string | null;
    }>,
    attemptsInDb: count(db, 'select count(*) as n from webhook_attempts'),
  }));
  assert.equal(events.length, EVENTS, 'no event was added or lost by the crash');
  assert.equal(deliveries.length, EVENTS);
  for (const d of deliveries) {
    assert.equal(d.status, 'succeeded');
    assert.ok(d.delivered_at);
  }
  const bodies = new Map(events.map((e) => [e.id, e.body]));
  const acked = rx.arrivals.filter((a) => a.answered !== null && a.answered >= 200 && a.answered < 300);
  assert.deepEqual(new Set(acked.map((a) => a.eventId)), new Set(bodies.keys()), 'every event in the database was delivered');
  for (const a of rx.arrivals) assert.equal(a.raw, bodies.get(a.eventId), `request for ${a.eventId}: the stored body, byte for byte`);
  const sessionsSeen = new Set(acked.map((a) => JSON.parse(a.raw).session_id));
  assert.deepEqual(sessionsSeen, new Set(ids));

  // At least once, and no more than that: a second arrival of an event (other than a retry
  // after a 503) is one that was in flight when the process died.
  const perEvent = new Map<string, Arrival[]>();
  for (const a of rx.arrivals) perEvent.set(a.eventId, [...(perEvent.get(a.eventId) ?? []), a]);
  const duplicated = [...perEvent].filter(([, as]) => as.filter((a) => a.answered !== 503).length > 1).map(([id]) => id);
  assert.deepEqual(new Set(duplicated), new Set(inFlightAtKill), 'the events sent twice are exactly those in flight at the crash');
  for (const id of duplicated) {
    assert.deepEqual(perEvent.get(id)!.filter((a) => a.answered !== 503).map((a) => a.phase), ['before', 'after'], `${id}: once before the crash, once after`);
  }
  for (const id of inFlightAtKill) {
    assert.ok(
      perEvent.get(id)!.some((a) => a.phase === 'after' && a.answered === 200),
      `${id} was in flight at the crash and was sent again after the restart`,
    );
  }
  // Every 503 was retried, and each delivery's log has one row per attempt it recorded.
  for (const a of rx.arrivals.filter((x) => x.answered === 503)) {
    assert.ok(perEvent.get(a.eventId)!.some((x) => x.answered === 200), `${a.eventId} retried after its 503`);
  }
  assert.equal(attemptsInDb, deliveries.reduce((n, d) => n + d.attempts, 0), 'one attempt row per recorded attempt');

  // The deliveries after the restart are signed with the webhook's secret.
  const afterRestart = rx.arrivals.filter((a) => a.phase === 'after');
  assert.equal(afterRestart.length, atKill.pending, 'after the restart: each pending delivery once');
  assert.equal(new Set(afterRestart.map((a) => a.eventId)).size, atKill.pending);
  for (const a of afterRestart) {
    assert.ok(verifyWebhookSignature(a.raw, a.signature, secret), `signature of ${a.eventId}`);
    assert.ok(!verifyWebhookSignature(a.raw, a.signature, 'whsec_not-the-secret'));
  }

  const elapsed = (Date.now() - t0) / 1000;
  // Kept for the log: what the crash left and how long recovery took.
  console.log(
    `crash: ${before}/${EVENTS} requests before the kill (${inFlightAtKill.length} in flight), ${atKill.pending} deliveries pending ` +
      `(${atKill.neverTried} never tried, ${atKill.retrying} backing off), ${atKill.succeeded.size} succeeded; after restart ${afterRestart.length} requests, ` +
      `${duplicated.length} duplicates; last delivery ${((Math.max(...rx.arrivals.map((a) => a.at)) - killedAt) / 1000).toFixed(1)} s after the kill; ${elapsed.toFixed(1)} s in all`,
  );
});
