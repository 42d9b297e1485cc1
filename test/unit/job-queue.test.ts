import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { migrateToLatest } from '../../src/adapters/db/migrations.js';
import { openSqlite } from '../../src/adapters/db/sqlite.js';
import { SqliteJobQueue } from '../../src/adapters/queue/sql-job-queue.js';
import { SqlSessionStore } from '../../src/adapters/store/sql-session-store.js';
import type { Job, JobRequest } from '../../src/core/jobs.js';
import { TestClock } from '../helpers/clock.js';
import { tempDataDir } from '../helpers/server.js';


async function setup(maxAttempts = 3) {
  const file = path.join(tempDataDir('queue'), 'q.db');
  const db = openSqlite(file, 'NORMAL');
  await migrateToLatest(db);
  const clock = new TestClock();
  const queue = new SqliteJobQueue(db, clock, { maxAttempts, backoff: { baseMs: 1000, maxMs: 60_000 } });
  return { db, file, clock, queue, store: new SqlSessionStore(db) };
}

const job = (n: number): JobRequest => ({ kind: 'process-session', payload: { tenantId: 't', sessionId: `s${n}` } });
const num = (j: Job | undefined): number | undefined => {
  if (!j) return undefined;
  const p = j.payload;
  return Number('deliveryId' in p ? p.deliveryId.slice(1) : 'blobKey' in p ? p.blobKey.slice(1) : p.sessionId.slice(1));
};
const delivery = (n: number): JobRequest => ({ kind: 'deliver-webhook', payload: { deliveryId: `d${n}`, attempt: 1 } });

test('claims due jobs in order, one claimant each', async () => {
  const { queue, db } = await setup();
  await queue.enqueue(job(1));
  await queue.enqueue(job(2));
  const a = await queue.claim('w1', 1000);
  const b = await queue.claim('w2', 1000);
  assert.equal(num(a), 1);
  assert.equal(num(b), 2);
  assert.equal(await queue.claim('w3', 1000), undefined);
  assert.deepEqual(await queue.stats(), { queued: 0, running: 2, dead: 0 });
  await db.destroy();
});

test('a job whose worker died comes back when its lease runs out', async () => {
  const { queue, clock, db } = await setup();
  await queue.enqueue(job(1));
  const first = await queue.claim('w1', 5000);
  assert.ok(first);
  clock.advance(4999);
  assert.equal(await queue.claim('w2', 5000), undefined, 'lease still held');
  // Expired leases are looked for at most once a second.
  clock.advance(1001);
  const again = await queue.claim('w2', 5000);
  assert.equal(again?.id, first.id);
  assert.equal(again?.attempts, 2);
  await db.destroy();
});

test('failures retry with backoff, then dead-letter and stay visible', async () => {
  const { queue, clock, db } = await setup(3);
  await queue.enqueue(job(1));
  for (let attempt = 1; attempt <= 2; attempt++) {
    const j = await queue.claim('w', 1000);
    assert.equal(j?.attempts, attempt);
    assert.equal(await queue.fail(j!, 'boom'), 'retry');
    assert.equal(await queue.claim('w', 1000), undefined, 'not due before its backoff');
    clock.advance(60_000);
  }
  const last = await queue.claim('w', 1000);
  assert.equal(last?.attempts, 3);
  assert.equal(await queue.fail(last!, 'boom'), 'dead');
  clock.advance(3_600_000);
  assert.equal(await queue.claim('w', 1000), undefined);
  assert.deepEqual(await queue.stats(), { queued: 0, running: 0, dead: 1 });
  const row = await db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
  assert.equal(row.last_error, 'boom');
  await db.destroy();
});

test('a lease that runs out on the last attempt dead-letters instead of running again', async () => {
  const { queue, clock, db } = await setup(1);
  await queue.enqueue(job(1));
  assert.ok(await queue.claim('w1', 1000));
  clock.advance(1001);
  assert.equal(await queue.claim('w2', 1000), undefined);
  assert.equal((await queue.stats()).dead, 1);
  await db.destroy();
});

test('enqueue inside a transaction commits and rolls back with it', async () => {
  const { queue, store, db } = await setup();
  await assert.rejects(
    store.transaction(async (tx) => {
      await queue.enqueue(job(1), tx);
      throw new Error('abort');
    }),
  );
  assert.equal(await queue.claim('w', 1000), undefined, 'rolled back with the transaction');
  await store.transaction((tx) => queue.enqueue(job(2), tx));
  assert.equal(num(await queue.claim('w', 1000)), 2);
  await db.destroy();
});

test('a dedupe key admits one job', async () => {
  const { queue, db } = await setup();
  await queue.enqueue({ ...job(1), dedupeKey: 'k' });
  await queue.enqueue({ ...job(2), dedupeKey: 'k' });
  assert.deepEqual((await queue.stats()).queued, 1);
  await db.destroy();
});

test('jobs survive reopening the database', async () => {
  const { queue, file, clock, db } = await setup();
  await queue.enqueue(job(7));
  await db.destroy();
  const db2 = openSqlite(file, 'NORMAL');
  const q2 = new SqliteJobQueue(db2, clock, { maxAttempts: 3, backoff: { baseMs: 1, maxMs: 1 } });
  assert.equal(num(await q2.claim('w', 1000)), 7);
  await db2.destroy();
});

test('prune deletes old finished jobs and keeps dead ones', async () => {
  const { queue, clock, db } = await setup(1);
  await queue.enqueue(job(1));
  await queue.enqueue(job(2));
  await queue.complete((await queue.claim('w', 1000))!);
  await queue.fail((await queue.claim('w', 1000))!, 'boom');
  clock.advance(10);
  assert.equal(await queue.prune(clock.now()), 1);
  assert.equal((await queue.stats()).dead, 1);
  await db.destroy();
});

test('a claimant for some kinds gets only those, and an enqueue wakes a waiter for its kind', async () => {
  const { queue, db } = await setup();
  const ac = new AbortController();
  let woken = '';
  const waitFor = (kind: 'deliver-webhook' | 'process-session') =>
    queue.waitForWork(60_000, ac.signal, [kind]).then(() => (woken ||= kind));
  const waiting = Promise.all([waitFor('process-session'), waitFor('deliver-webhook')]);
  await queue.enqueue(delivery(1));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(woken, 'deliver-webhook', 'the delivery waiter was woken, not the processing one');
  await queue.enqueue(job(1));
  assert.equal((await queue.claim('w', 1000, ['transcribe-chunk'])), undefined);
  assert.equal(num(await queue.claim('w', 1000, ['process-session'])), 1);
  assert.equal(num(await queue.claim('w', 1000, ['deliver-webhook'])), 1);
  ac.abort();
  await waiting;
  await db.destroy();
});

test('release gives a job back, due later, without spending an attempt', async () => {
  const { queue, db, clock } = await setup(1);
  await queue.enqueue(job(1));
  const first = await queue.claim('w', 1000);
  await queue.release(first!, 'someone-else', new Date(clock.now().getTime() + 1));
  assert.equal((await queue.stats()).running, 1, 'only the holder can give a job back');
  await queue.release(first!, 'w', new Date(clock.now().getTime() + 500));
  assert.equal(await queue.claim('w', 1000), undefined, 'not due yet');
  clock.t += 500;
  const again = await queue.claim('w', 1000);
  assert.equal(again?.attempts, 1, 'still its first attempt (max 1), so it runs rather than dying');
  await db.destroy();
});
