import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import pino from 'pino';
import { migrateToLatest } from '../../src/adapters/db/migrations.js';
import { openSqlite } from '../../src/adapters/db/sqlite.js';
import { SqliteJobQueue } from '../../src/adapters/queue/sql-job-queue.js';
import { RequestsInFlight } from '../../src/http/requests-in-flight.js';
import { systemClock } from '../../src/core/ports/clock.js';
import { Worker } from '../../src/worker/worker.js';
import { tempDataDir } from '../helpers/server.js';

/** A server whose /slow answers when `release` is called. */
async function slowServer(inFlight: RequestsInFlight) {
  const app = Fastify();
  inFlight.track(app);
  let release: () => void = () => undefined;
  const gate = () => new Promise<void>((resolve) => (release = resolve));
  app.get('/slow', async () => {
    await gate();
    return { ok: true };
  });
  app.get('/fast', async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return { app, port, release: () => release() };
}

const settled = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

test('quiet() waits for the requests being answered, and no longer than its bound', async () => {
  const inFlight = new RequestsInFlight();
  const { app, port, release } = await slowServer(inFlight);
  try {
    assert.equal(await settled(inFlight.quiet(10_000), 50), true, 'nothing in flight: at once');
    const answer = fetch(`http://127.0.0.1:${port}/slow`);
    while (inFlight.current === 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(inFlight.current, 1);

    const waited = inFlight.quiet(10_000);
    assert.equal(await settled(waited, 200), false, 'a request in flight: waits');
    const started = Date.now();
    await inFlight.quiet(100);
    assert.ok(Date.now() - started >= 90, 'the bound is honoured');

    release();
    assert.equal((await answer).status, 200);
    assert.equal(await settled(waited, 2_000), true, 'the last answer wakes the waiter');
    assert.equal(inFlight.current, 0);
    assert.equal((await fetch(`http://127.0.0.1:${port}/fast`)).status, 200);
    assert.equal(inFlight.current, 0);
  } finally {
    await app.close();
  }
});

test('a request whose client hangs up mid-answer is no longer counted', async () => {
  const inFlight = new RequestsInFlight();
  const { app, port, release } = await slowServer(inFlight);
  try {
    const req = http.get(`http://127.0.0.1:${port}/slow`);
    req.on('error', () => undefined);
    while (inFlight.current === 0) await new Promise((r) => setTimeout(r, 5));
    req.destroy();
    const deadline = Date.now() + 5_000;
    while (inFlight.current !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(inFlight.current, 0);
    release();
  } finally {
    await app.close();
  }
});

test('the worker claims a job only once beforeClaim lets it', async () => {
  const db = openSqlite(path.join(tempDataDir('before-claim'), 'q.db'), 'NORMAL');
  await migrateToLatest(db);
  const queue = new SqliteJobQueue(db, systemClock, { maxAttempts: 3, backoff: { baseMs: 1000, maxMs: 60_000 } });
  let open: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (open = resolve));
  const ran: string[] = [];
  const worker = new Worker(
    queue,
    { 'process-session': async (job) => void ran.push(job.id) },
    { concurrency: 1, leaseMs: 60_000, pollMs: 20, beforeClaim: () => gate },
    pino({ level: 'silent' }),
  );
  await queue.enqueue({ kind: 'process-session', payload: { tenantId: 't', sessionId: 's' } });
  worker.start();
  try {
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(ran, [], 'held back while beforeClaim has not resolved');
    open();
    gate = Promise.resolve();
    const deadline = Date.now() + 5_000;
    while (ran.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(ran.length, 1);
  } finally {
    await worker.stop();
    await db.destroy();
  }
});
