import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RulesExtractor } from '../../src/extraction/rules/index.js';
import { TemplateRegistry } from '../../src/core/templates/registry.js';
import { processSession } from '../../src/worker/process-session.js';
import { expireDueSessions, finishStuckSessions, pruneWebhookLog, purgeOldAudio, reviveStrandedDeliveries, STRANDED_DELIVERY_MS } from '../../src/worker/sweeper.js';
import { openStack, wavLike } from '../helpers/stack.js';

async function setup() {
  const stack = await openStack('sweep', { env: { OPENSCRIBE_MAX_SESSION_SECONDS: '60' } });
  const { store, blobs, queue, clock, events, log } = stack;
  return { ...stack, deps: { store, blobs, queue, clock, events, log, retentionDays: 1, templates: new TemplateRegistry(), processingDeadlineMs: 3_600_000 } };
}

const wav = wavLike;

test('the sweeper expires open sessions past their deadline, and only those', async () => {
  const { sessions, tenantId, clock, deps, store, db } = await setup();
  const open = await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http' });
  const ended = await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http' });
  await sessions.end(tenantId, ended.id, 0);
  clock.t += 59_000;
  assert.equal(await expireDueSessions(deps), 0);
  clock.t += 1_000;
  assert.equal(await expireDueSessions(deps), 1);
  assert.equal((await store.getSession(tenantId, open.id))?.status, 'expired');
  assert.equal((await store.getSession(tenantId, ended.id))?.status, 'processing');
  assert.equal(await expireDueSessions(deps), 0, 'idempotent');
  await db.destroy();
});

test('audio of finished sessions is purged after the retention period', async () => {
  const { sessions, tenantId, clock, deps, store, blobs, queue, events, log, db } = await setup();
  const s = await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http' });
  await sessions.addChunk(tenantId, s.id, { fileName: 'a_0.wav', contentType: 'audio/wav', declaredLength: undefined, body: wav() });
  await sessions.end(tenantId, s.id, 1);
  // the chunk's transcription job comes first; without a recogniser it has nothing to do
  let job = await queue.claim('w', 1000);
  while (job && job.kind !== 'process-session') job = await queue.claim('w', 1000);
  await processSession({ store, clock, templates: new TemplateRegistry(), chunks: undefined, extractor: new RulesExtractor(), events, jobs: queue, log }, job!);
  assert.equal((await blobs.list(`${tenantId}/${s.id}`)).length, 1);
  clock.t += 86_400_000 - 1;
  assert.equal(await purgeOldAudio(deps), 0);
  clock.t += 1;
  assert.equal(await purgeOldAudio(deps), 1);
  assert.deepEqual(await blobs.list(`${tenantId}/${s.id}`), []);
  assert.ok((await store.getSession(tenantId, s.id))?.audioPurgedAt);
  assert.equal(await purgeOldAudio(deps), 0);
  await db.destroy();
});

test('finished webhook deliveries, their attempts and events are pruned after the webhook retention period; pending ones stay', async () => {
  const { sessions, tenantId, clock, deps, webhooks, store, db } = await setup();
  const day = 86_400_000;
  await webhooks.insertWebhook({ tenantId, id: 'wh_sweep', url: 'https://emr.example/hook', events: ['session.started'], secret: 'whsec_x', createdAt: clock.now(), deletedAt: null });
  await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http' });
  await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http' });
  const [done, waiting] = await webhooks.listDeliveries(tenantId, 'wh_sweep', 10);
  assert.ok(done && waiting);
  const attempt = { attempt: 1, at: clock.now(), outcome: 'delivered' as const, statusCode: 200, latencyMs: 5, error: null };
  await store.transaction((tx) => webhooks.recordAttempt(tx, done.id, attempt, 'succeeded', null));
  const prune = () => pruneWebhookLog({ ...deps, webhooks, webhookRetentionDays: 30 });
  clock.t += 30 * day - 1;
  assert.equal(await prune(), 0, 'within the retention period');
  clock.t += 2;
  assert.equal(await prune(), 1);
  assert.deepEqual((await webhooks.listDeliveries(tenantId, 'wh_sweep', 10)).map((d) => d.id), [waiting.id]);
  assert.equal(await webhooks.findDeliveryToSend(done.id), undefined);
  assert.ok(await webhooks.findDeliveryToSend(waiting.id), 'a pending delivery keeps its event');
  await db.destroy();
});

test('a pending delivery whose job ran out of retries gets a new job after an hour past due, once', async () => {
  const { sessions, tenantId, clock, deps, webhooks, queue, db } = await setup();
  await webhooks.insertWebhook({ tenantId, id: 'wh_stranded', url: 'https://emr.example/hook', events: ['session.started'], secret: 'whsec_x', createdAt: clock.now(), deletedAt: null });
  await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http' });
  const [delivery] = await webhooks.listDeliveries(tenantId, 'wh_stranded', 10);
  assert.equal(delivery?.status, 'pending');
  const sweep = { ...deps, webhooks };

  // Its job fails on every attempt (as during a database outage) until it is dead-lettered.
  for (let outcome = 'retry'; outcome === 'retry'; clock.t += 10 * 60_000) {
    const job = await queue.claim('w', 60_000, ['deliver-webhook']);
    assert.ok(job, 'the delivery job comes back after its backoff');
    outcome = await queue.fail(job, 'database unavailable');
  }
  assert.equal(await queue.claim('w', 60_000, ['deliver-webhook']), undefined, 'no job is left for the delivery');
  assert.equal((await webhooks.getDelivery(tenantId, 'wh_stranded', delivery.id))?.status, 'pending');

  const dueAt = delivery.nextAttemptAt!.getTime();
  clock.t = dueAt + STRANDED_DELIVERY_MS - 1;
  assert.equal(await reviveStrandedDeliveries(sweep), 0, 'not yet an hour past due');
  clock.t = dueAt + STRANDED_DELIVERY_MS + 1;
  assert.equal(await reviveStrandedDeliveries(sweep), 1);
  assert.equal(await reviveStrandedDeliveries(sweep), 0, 'revived once: it is due now');
  const revived = await queue.claim('w', 60_000, ['deliver-webhook']);
  assert.deepEqual(revived?.payload, { deliveryId: delivery.id, attempt: 1, revivedAt: clock.now().getTime() });
  assert.deepEqual((await webhooks.getDelivery(tenantId, 'wh_stranded', delivery.id))?.nextAttemptAt, clock.now());
  await db.destroy();
});

test('a session whose processing job was dead-lettered ends failed with session.failed; one with a live job is left alone until the deadline', async () => {
  const { sessions, tenantId, clock, deps, store, queue, webhooks, db } = await setup();
  await webhooks.insertWebhook({ tenantId, id: 'wh_stuck', url: 'https://emr.example/hook', events: ['session.failed'], secret: 'whsec_x', createdAt: clock.now(), deletedAt: null });
  const dead = await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http', templates: ['soap'] } as never);
  const alive = await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http' });
  await sessions.end(tenantId, dead.id, 0);
  await sessions.end(tenantId, alive.id, 0);
  // The first session's job: its worker dies on every attempt (claimed, lease runs out) until it is dead-lettered.
  for (;;) {
    const job = await queue.claim('w', 1000, ['process-session']);
    if (!job) break;
    if ((job.payload as { sessionId: string }).sessionId === alive.id) {
      await queue.release(job, 'w', new Date(clock.now().getTime() + 10 * 3_600_000));
      continue;
    }
    clock.t += 1001; // lease expired: the worker was killed
  }
  assert.equal((await queue.stats()).dead, 1);
  assert.equal((await store.getSession(tenantId, dead.id))?.status, 'processing', 'stuck before the sweep');

  clock.t += 60_000;
  assert.equal(await finishStuckSessions(deps), 1);
  const failed = await store.getSession(tenantId, dead.id);
  assert.equal(failed?.status, 'failed');
  assert.equal(failed?.result?.error?.code, 'processing_failed');
  assert.ok(failed?.result?.processing_errors.some((e) => e.type === 'processing_failed'));
  assert.ok(failed?.result?.templates.every((t) => t.status === 'failed'));
  const deliveries = await webhooks.listDeliveries(tenantId, 'wh_stuck', 10);
  assert.equal(deliveries.length, 1, 'session.failed is sent');
  assert.equal((await store.getSession(tenantId, alive.id))?.status, 'processing', 'a live job is not second-guessed');
  assert.equal(await finishStuckSessions(deps), 0, 'idempotent');

  // Past the processing deadline even a live job's session is finished.
  clock.t += 3_600_000;
  assert.equal(await finishStuckSessions(deps), 1);
  assert.equal((await store.getSession(tenantId, alive.id))?.status, 'failed');
  await db.destroy();
});
