import assert from 'node:assert/strict';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { FsBlobStore } from '../../src/adapters/blob/fs-blob-store.js';
import { migrateToLatest } from '../../src/adapters/db/migrations.js';
import { openSqlite } from '../../src/adapters/db/sqlite.js';
import { SqliteJobQueue } from '../../src/adapters/queue/sql-job-queue.js';
import { SqlSessionStore } from '../../src/adapters/store/sql-session-store.js';
import { loadConfig } from '../../src/config.js';
import { SessionService } from '../../src/core/sessions.js';
import { createApiKey } from '../../src/core/tenants.js';
import { TestClock } from '../helpers/clock.js';
import { processSession } from '../../src/worker/process-session.js';
import { expireDueSessions, purgeOldAudio } from '../../src/worker/sweeper.js';
import { TemplateRegistry } from '../../src/core/templates/registry.js';
import { RulesExtractor } from '../../src/adapters/extract/rules/index.js';
import { tempDataDir } from '../helpers/server.js';


async function setup() {
  const dir = tempDataDir('sweep');
  const db = openSqlite(path.join(dir, 'db.sqlite'), 'NORMAL');
  await migrateToLatest(db);
  const clock = new TestClock();
  const store = new SqlSessionStore(db);
  const blobs = new FsBlobStore(path.join(dir, 'blobs'));
  const queue = new SqliteJobQueue(db, clock, { maxAttempts: 3, backoff: { baseMs: 1, maxMs: 1 } });
  const config = loadConfig({ OPENSCRIBE_DATA_DIR: dir, OPENSCRIBE_MAX_SESSION_SECONDS: '60' });
  const sessions = new SessionService(store, blobs, queue, clock, config);
  const { tenant } = await createApiKey(store, clock, 't', 'test');
  const log = pino({ level: 'silent' });
  return { db, clock, store, blobs, queue, sessions, tenantId: tenant.id, log, deps: { store, blobs, queue, clock, log, retentionDays: 1 } };
}

const wav = () => Readable.from([Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), Buffer.alloc(100)])]);

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
  const { sessions, tenantId, clock, deps, store, blobs, queue, log, db } = await setup();
  const s = await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http' });
  await sessions.addChunk(tenantId, s.id, { fileName: 'a_0.wav', contentType: 'audio/wav', declaredLength: undefined, body: wav() });
  await sessions.end(tenantId, s.id, 1);
  const job = await queue.claim('w', 1000);
  await processSession({ store, blobs, clock, templates: new TemplateRegistry(), transcriber: undefined, extractor: new RulesExtractor(), log, maxChunkDurationSeconds: 20 }, job!);
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
