import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { openDatabase } from '../../src/adapters/db/open.js';
import type { Database } from '../../src/adapters/db/schema.js';
import { PgBossJobQueue } from '../../src/adapters/queue/pg-boss-job-queue.js';
import { SqliteJobQueue } from '../../src/adapters/queue/sql-job-queue.js';
import { WORKER_DIED_ON_LAST_ATTEMPT, type Job, type JobKind, type JobQueue, type JobRequest } from '../../src/core/ports/job-queue.js';
import { systemClock } from '../../src/core/ports/clock.js';
import type { SessionTx } from '../../src/core/ports/session-store.js';
import { TestClock } from '../helpers/clock.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { tempDataDir } from '../helpers/server.js';

const DEFAULTS = { maxAttempts: 3, backoff: { baseMs: 1000, maxMs: 60_000 } };

interface QueueFixture {
  db: Kysely<Database>;
  clock: TestClock;
  queue: JobQueue;
  /** A second queue on the same database, as another process would open it. */
  other: JobQueue;
  /** Whether an enqueue wakes waiters of another instance (another process). */
  wakesOtherInstances: boolean;
  /** Whether a dedupe key can be used again once its job has finished. */
  dedupeOnlyWhileLive: boolean;
  /** A queue on the same database that reads the real clock. */
  withSystemClock(): JobQueue;
  /** Empties the queue between tests. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

async function sqliteFixture(): Promise<QueueFixture> {
  const file = path.join(tempDataDir('queue-contract'), 'db.sqlite');
  const { db, close } = await openDatabase({ databaseUrl: undefined, databasePath: file, sqliteSynchronous: 'NORMAL' });
  const clock = new TestClock();
  const queue = new SqliteJobQueue(db, clock, DEFAULTS);
  return {
    db,
    clock,
    queue,
    other: new SqliteJobQueue(db, clock, DEFAULTS),
    wakesOtherInstances: false,
    dedupeOnlyWhileLive: false,
    withSystemClock: () => new SqliteJobQueue(db, systemClock, DEFAULTS),
    reset: async () => void (await db.deleteFrom('jobs').execute()),
    close,
  };
}

async function pgBossFixture(): Promise<QueueFixture> {
  const pgdb = await createTestDatabase('queue_contract');
  const { db, close } = await openDatabase({ databaseUrl: pgdb.url, databasePath: '', sqliteSynchronous: 'NORMAL' });
  const clock = new TestClock();
  const queue = new PgBossJobQueue(db, pgdb.url, clock, DEFAULTS);
  const other = new PgBossJobQueue(db, pgdb.url, clock, DEFAULTS);
  // Two processes starting at once must both succeed.
  await Promise.all([queue.start(), other.start()]);
  return {
    db,
    clock,
    queue,
    other,
    wakesOtherInstances: true,
    dedupeOnlyWhileLive: true,
    // Only the SQL reads the clock, so this instance needs no start() of its own.
    withSystemClock: () => new PgBossJobQueue(db, pgdb.url, systemClock, DEFAULTS),
    reset: async () => void (await sql`DELETE FROM pgboss.job`.execute(db)),
    async close() {
      await Promise.all([queue.close(), other.close()]);
      await close();
      await pgdb.drop();
    },
  };
}

// Real kinds with their payload shapes; `sessionId` numbers the jobs.
const job = (n: number, extra: { dedupeKey?: string; runAt?: Date; maxAttempts?: number } = {}): JobRequest => ({
  kind: 'process-session',
  payload: { tenantId: 't', sessionId: `s${n}` },
  ...extra,
});
/** The number a test job carries (`job(n)`, `delivery(n)`, `chunkJob(n)`). */
const num = (j: Job | undefined): number | undefined => {
  if (!j) return undefined;
  const p = j.payload;
  return Number('deliveryId' in p ? p.deliveryId.slice(1) : 'blobKey' in p ? p.blobKey.slice(1) : p.sessionId.slice(1));
};
const delivery = (n: number): JobRequest => ({ kind: 'deliver-webhook', payload: { deliveryId: `d${n}`, attempt: 1 } });
const chunkJob = (n: number): JobRequest => ({ kind: 'transcribe-chunk', payload: { tenantId: 't', sessionId: 's', blobKey: `b${n}` } });

async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function jobQueueContract(name: string, open: () => Promise<QueueFixture>): void {
  describe(`JobQueue contract: ${name}`, { timeout: 240_000 }, () => {
    let f: QueueFixture;
    before(async () => {
      f = await open();
    });
    after(async () => {
      await f?.close();
    });
    beforeEach(async () => {
      await f.reset();
    });

    test('enqueue, claim, complete', async () => {
      const { queue } = f;
      await queue.enqueue(job(1));
      await queue.enqueue(job(2));
      const a = await queue.claim('w1', 10_000);
      const b = await queue.claim('w2', 10_000);
      assert.equal(num(a), 1);
      assert.equal(num(b), 2);
      assert.equal(typeof a?.id, 'string');
      assert.equal(a?.attempts, 1);
      assert.equal(a?.maxAttempts, 3);
      assert.notEqual(a?.id, b?.id);
      assert.equal(await queue.claim('w3', 10_000), undefined);
      assert.deepEqual(await queue.stats(), { queued: 0, running: 2, dead: 0 });
      await queue.complete(a!);
      await queue.complete(b!);
      assert.deepEqual(await queue.stats(), { queued: 0, running: 0, dead: 0 });
      f.clock.advance(3_600_000);
      assert.equal(await queue.claim('w3', 10_000), undefined, 'a completed job never comes back');
    });

    test('a claimant for some kinds gets only those', async () => {
      const { queue } = f;
      await queue.enqueue(delivery(1));
      await queue.enqueue(job(1));
      assert.equal(await queue.claim('w', 10_000, ['transcribe-chunk']), undefined);
      assert.equal(num(await queue.claim('w', 10_000, ['process-session'])), 1);
      assert.equal(num(await queue.claim('w', 10_000, ['deliver-webhook'])), 1);
      await queue.enqueue(chunkJob(1));
      assert.equal(num(await queue.claim('w', 10_000)), 1, 'no kinds: any kind');
    });

    test('a job is not claimed before its runAt', async () => {
      const { queue, clock } = f;
      await queue.enqueue(job(1, { runAt: new Date(clock.now().getTime() + 5000) }));
      assert.equal(await queue.claim('w', 10_000), undefined);
      assert.equal((await queue.stats()).queued, 1);
      clock.advance(5000);
      assert.equal(num(await queue.claim('w', 10_000)), 1);
    });

    test('a dedupe key admits one live job', async () => {
      const { queue } = f;
      await queue.enqueue(job(1, { dedupeKey: 'k' }));
      await queue.enqueue(job(2, { dedupeKey: 'k' }));
      assert.equal((await queue.stats()).queued, 1);
      const first = await queue.claim('w', 10_000);
      assert.equal(num(first), 1);
      await queue.enqueue(job(3, { dedupeKey: 'k' }));
      assert.deepEqual(await queue.stats(), { queued: 0, running: 1, dead: 0 }, 'ignored while the first runs');
      await queue.enqueue(job(4, { dedupeKey: 'other' }));
      assert.equal((await queue.stats()).queued, 1, 'another key is another job');
      await queue.complete(first!);
      if (f.dedupeOnlyWhileLive) {
        await queue.enqueue(job(5, { dedupeKey: 'k' }));
        assert.equal((await queue.stats()).queued, 2, 'the key is free again once its job finished');
      }
    });

    test('failures retry with backoff, then dead-letter and stay visible', async () => {
      const { queue, clock } = f;
      await queue.enqueue(job(1));
      for (let attempt = 1; attempt <= 2; attempt++) {
        const j = await queue.claim('w', 10_000);
        assert.equal(j?.attempts, attempt);
        assert.equal(await queue.fail(j!, 'boom'), 'retry');
        assert.equal(await queue.claim('w', 10_000), undefined, 'not due before its backoff');
        assert.equal((await queue.stats()).queued, 1);
        clock.advance(60_000);
      }
      const last = await queue.claim('w', 10_000);
      assert.equal(last?.attempts, 3);
      assert.equal(await queue.fail(last!, 'boom'), 'dead');
      clock.advance(3_600_000);
      assert.equal(await queue.claim('w', 10_000), undefined);
      assert.deepEqual(await queue.stats(), { queued: 0, running: 0, dead: 1 });
    });

    test('maxAttempts per job', async () => {
      const { queue } = f;
      await queue.enqueue(job(1, { maxAttempts: 1 }));
      const j = await queue.claim('w', 10_000);
      assert.equal(j?.maxAttempts, 1);
      assert.equal(await queue.fail(j!, 'boom'), 'dead');
    });

    test('release gives a job back without spending an attempt; only its holder can', async () => {
      const { queue, clock } = f;
      await queue.enqueue(job(1, { maxAttempts: 1 }));
      const first = await queue.claim('w', 10_000);
      await queue.release(first!, 'someone-else', clock.now());
      assert.equal((await queue.stats()).running, 1, 'only the holder can give a job back');
      await queue.release(first!, 'w', new Date(clock.now().getTime() + 500));
      assert.equal(await queue.claim('w', 10_000), undefined, 'not due yet');
      clock.advance(500);
      const again = await queue.claim('w2', 10_000);
      assert.equal(again?.id, first?.id);
      assert.equal(again?.attempts, 1, 'still its first attempt');
    });

    test('a job whose worker died comes back when its lease runs out, for another worker', async () => {
      const { queue, clock } = f;
      await queue.enqueue(job(1));
      const first = await queue.claim('w1', 5000);
      assert.ok(first);
      clock.advance(4000);
      assert.equal(await queue.claim('w2', 5000), undefined, 'lease still held');
      clock.advance(2001);
      const again = await queue.claim('w2', 5000);
      assert.equal(again?.id, first.id);
      assert.equal(again?.attempts, 2);
      assert.equal(await queue.extendLease(first, 'w1', 5000), false, 'the first worker lost it');
      // The late first worker finishing or failing is ignored: only the current run may.
      await queue.complete(first);
      assert.equal((await queue.stats()).running, 1);
      await queue.fail(first, 'late failure');
      assert.equal((await queue.stats()).running, 1);
      await queue.complete(again!);
      assert.deepEqual(await queue.stats(), { queued: 0, running: 0, dead: 0 });
      clock.advance(60_000);
      assert.equal(await queue.claim('w3', 5000), undefined, 'completed: never re-claimed');
    });

    test('with the real clock, a job abandoned by a dead worker is retried by another', async () => {
      const real = f.withSystemClock();
      await f.queue.enqueue(job(1));
      const first = await real.claim('dead-worker', 1000);
      assert.ok(first);
      let again: Job | undefined;
      await until('the lease to run out', async () => (again = await real.claim('live-worker', 60_000)) !== undefined);
      assert.equal(again?.id, first.id);
      assert.equal(again?.attempts, 2);
      await real.complete(again!);
      assert.deepEqual(await real.stats(), { queued: 0, running: 0, dead: 0 });
    });

    test('a lease that runs out on the last attempt dead-letters', async () => {
      const { queue, clock } = f;
      await queue.enqueue(job(1, { maxAttempts: 1 }));
      assert.ok(await queue.claim('w1', 1000));
      clock.advance(2001);
      assert.equal(await queue.claim('w2', 1000), undefined);
      assert.equal((await queue.stats()).dead, 1);
    });

    test('running names the dedupe keys of jobs held under a live lease, in any instance', async () => {
      const { queue, other, clock } = f;
      await queue.enqueue(job(1, { dedupeKey: 'k1' }));
      await queue.enqueue(job(2, { dedupeKey: 'k2' }));
      await queue.enqueue(job(3));
      assert.deepEqual(await other.running(['k1', 'k2', 'k3']), new Set(), 'queued is not running');
      const held = await other.claim('w1', 5000);
      assert.equal(num(held), 1);
      assert.deepEqual(await queue.running(['k1', 'k2']), new Set(['k1']));
      assert.deepEqual(await queue.running([]), new Set());
      const second = await queue.claim('w2', 60_000);
      assert.equal(num(second), 2);
      assert.deepEqual(await queue.running(['k1', 'k2']), new Set(['k1', 'k2']));
      await queue.complete(second!);
      assert.deepEqual(await queue.running(['k1', 'k2']), new Set(['k1']), 'completed is not running');
      clock.advance(5001);
      assert.deepEqual(await queue.running(['k1']), new Set(), 'a lease that ran out is a dead worker, not a running job');
    });

    test('live names keys whose job may still run; dead those dead-lettered, however they died', async () => {
      const { queue, other, clock } = f;
      await queue.enqueue(job(1, { dedupeKey: 'q', maxAttempts: 1 }));
      await queue.enqueue(job(2, { dedupeKey: 'failed', maxAttempts: 1 }));
      await queue.enqueue(job(3, { dedupeKey: 'killed', maxAttempts: 1 }));
      await queue.enqueue(job(4, { dedupeKey: 'done' }));
      const all = ['q', 'failed', 'killed', 'done', 'never'];
      assert.deepEqual(await other.live(all), new Set(['q', 'failed', 'killed', 'done']), 'queued is live');
      assert.deepEqual(await other.dead(all), new Map());
      const claimed: Job[] = [];
      for (let j = await queue.claim('w', 1000); j; j = await queue.claim('w', 1000)) claimed.push(j);
      const by = (n: number) => claimed.find((j) => num(j) === n)!;
      assert.deepEqual(await queue.live(all), new Set(['q', 'failed', 'killed', 'done']), 'running is live');
      assert.equal(await queue.fail(by(2), 'boom'), 'dead');
      await queue.complete(by(4));
      await queue.release(by(1), 'w', new Date(clock.now().getTime() + 60_000));
      clock.advance(2001); // job 3's worker died on its only attempt
      assert.equal(await queue.claim('w2', 1000), undefined);
      assert.deepEqual(await other.live(all), new Set(['q']), 'released (queued again) is live; finished and dead are not');
      assert.deepEqual(await other.dead(all), new Map([['failed', 'boom'], ['killed', WORKER_DIED_ON_LAST_ATTEMPT]]));
      assert.deepEqual(await queue.live([]), new Set());
      assert.deepEqual(await queue.dead([]), new Map());
    });

    test('extendLease keeps a long job held', async () => {
      const { queue, clock } = f;
      await queue.enqueue(job(1));
      const held = await queue.claim('w1', 5000);
      clock.advance(4000);
      assert.equal(await queue.extendLease(held!, 'w1', 5000), true);
      assert.equal(await queue.extendLease(held!, 'w2', 5000), false, 'not the holder');
      clock.advance(4000);
      assert.equal(await queue.claim('w2', 5000), undefined, 'still held after the original lease');
      clock.advance(1001);
      assert.equal((await queue.claim('w2', 5000))?.id, held?.id);
    });

    test('enqueue inside a transaction commits and rolls back with it', async () => {
      const { queue, db } = f;
      const asTx = (handle: unknown) => ({ handle }) as unknown as SessionTx;
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await queue.enqueue(job(1), asTx(trx));
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.equal(await queue.claim('w', 10_000), undefined, 'rolled back with the transaction');
      await db.transaction().execute((trx) => queue.enqueue(job(2), asTx(trx)));
      assert.equal(num(await queue.claim('w', 10_000)), 2);
    });

    test('an enqueue wakes a waiter for its kind', async () => {
      const { queue, other } = f;
      const ac = new AbortController();
      try {
        // Another process's enqueue when the queue can tell other processes, else this one's.
        const producer = f.wakesOtherInstances ? other : queue;
        let woken = '';
        const waitFor = (kind: JobKind) => queue.waitForWork(120_000, ac.signal, [kind]).then(() => (woken ||= kind));
        const waiting = waitFor('deliver-webhook');
        const unrelated = waitFor('transcribe-chunk');
        await new Promise((r) => setTimeout(r, 100));
        await producer.enqueue(delivery(1));
        await waiting;
        assert.equal(woken, 'deliver-webhook');
        ac.abort();
        await unrelated;
      } finally {
        ac.abort();
      }
    });

    test('prune deletes old completed jobs and keeps dead ones', async () => {
      const { queue, clock } = f;
      await queue.enqueue(job(1, { maxAttempts: 1 }));
      await queue.enqueue(job(2, { maxAttempts: 1 }));
      await queue.complete((await queue.claim('w', 10_000))!);
      await queue.fail((await queue.claim('w', 10_000))!, 'boom');
      assert.equal(await queue.prune(new Date(clock.now().getTime() - 1000)), 0, 'not older than the cutoff');
      clock.advance(10);
      assert.equal(await queue.prune(clock.now()), 1);
      assert.deepEqual(await queue.stats(), { queued: 0, running: 0, dead: 1 });
    });

    test('200 jobs, 4 concurrent claimers: each job claimed exactly once', async () => {
      const { queue, other } = f;
      for (let i = 0; i < 200; i += 20) {
        await Promise.all(Array.from({ length: 20 }, (_, k) => queue.enqueue(job(i + k))));
      }
      const seen: Job[] = [];
      const claimer = async (q: JobQueue, id: string) => {
        for (;;) {
          const j = await q.claim(id, 60_000);
          if (!j) return;
          seen.push(j);
          await q.complete(j);
        }
      };
      await Promise.all([claimer(queue, 'a'), claimer(queue, 'b'), claimer(other, 'c'), claimer(other, 'd')]);
      assert.equal(seen.length, 200);
      assert.equal(new Set(seen.map((j) => j.id)).size, 200);
      assert.deepEqual(
        seen.map((j) => num(j)!).sort((x, y) => x - y),
        Array.from({ length: 200 }, (_, i) => i),
      );
      await until('stats to settle', async () => (await queue.stats()).running === 0);
    });
  });
}

jobQueueContract('sqlite', sqliteFixture);
jobQueueContract('pg-boss', pgBossFixture);
