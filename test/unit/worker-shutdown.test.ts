import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { migrateToLatest } from '../../src/adapters/db/migrations.js';
import { openSqlite } from '../../src/adapters/db/sqlite.js';
import { SqliteJobQueue } from '../../src/adapters/queue/sql-job-queue.js';
import { systemClock } from '../../src/core/ports/clock.js';
import { Worker } from '../../src/worker/worker.js';
import { tempDataDir } from '../helpers/server.js';

async function setup() {
  const db = openSqlite(path.join(tempDataDir('worker-stop'), 'q.db'), 'NORMAL');
  await migrateToLatest(db);
  const queue = new SqliteJobQueue(db, systemClock, { maxAttempts: 3, backoff: { baseMs: 1000, maxMs: 60_000 } });
  return { db, queue };
}

const options = { concurrency: 1, leaseMs: 60_000, pollMs: 50 };
const log = pino({ level: 'silent' });

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('stop lets a running job finish within the grace period', async () => {
  const { db, queue } = await setup();
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const worker = new Worker(queue, { 'process-session': () => done }, options, log);
  await queue.enqueue({ kind: 'process-session', payload: { tenantId: 't', sessionId: 's0' } });
  worker.start();
  await until(() => worker.busy === 1, 'the job to start');
  const stopped = worker.stop(60_000);
  finish();
  await stopped;
  assert.deepEqual(await queue.stats(), { queued: 0, running: 0, dead: 0 }, 'completed, not given back');
  await db.destroy();
});

test('past the grace period a running job is given back, due at once, its attempt not counted', async () => {
  const { db, queue } = await setup();
  const worker = new Worker(queue, { 'process-session': () => new Promise<void>(() => undefined) }, options, log);
  await queue.enqueue({ kind: 'process-session', payload: { tenantId: 't', sessionId: 's1' } });
  worker.start();
  await until(() => worker.busy === 1, 'the job to start');
  await worker.stop(100);
  const again = await queue.claim('another-worker', 60_000);
  assert.deepEqual(again?.payload, { tenantId: 't', sessionId: 's1' }, 'another worker takes it straight away, without waiting for the lease');
  assert.equal(again?.attempts, 1);
  await db.destroy();
});
