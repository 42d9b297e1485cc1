import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { SqlAuditLog } from '../../src/adapters/audit/sql-audit-log.js';
import { openDatabase, type OpenedDatabase } from '../../src/adapters/db/open.js';
import type { AuditEntry } from '../../src/core/ports/audit-log.js';
import { pruneAuditLog } from '../../src/worker/sweeper.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { tempDataDir } from '../helpers/server.js';

const entry = (at: string, over: Partial<AuditEntry> = {}): AuditEntry => ({
  at: new Date(at),
  tenantId: 'ten_a',
  keyId: 'key_a',
  action: 'session.read',
  sessionId: 'ses_1',
  method: 'GET',
  route: '/voice/v1/sessions/:session_id',
  status: 200,
  ip: '127.0.0.1',
  requestId: 'req-1',
  ...over,
});

/** The same checks on SQLite and on PostgreSQL: the adapter's SQL is dialect-neutral. */
const backends: Array<[string, () => Promise<{ db: OpenedDatabase; done(): Promise<void> }>]> = [
  [
    'sqlite',
    async () => {
      const db = await openDatabase({ databaseUrl: undefined, databasePath: path.join(tempDataDir('audit-unit'), 'a.db'), sqliteSynchronous: 'NORMAL' });
      return { db, done: () => db.close() };
    },
  ],
  [
    'postgres',
    async () => {
      const pg: TestDatabase = await createTestDatabase('audit');
      const db = await openDatabase({ databaseUrl: pg.url, databasePath: '', sqliteSynchronous: 'NORMAL', databasePoolSize: 2 });
      return {
        db,
        async done() {
          await db.close();
          await pg.drop();
        },
      };
    },
  ],
];

for (const [name, open] of backends) {
  describe(`SqlAuditLog on ${name}`, () => {
    const opened: Array<() => Promise<void>> = [];
    after(async () => {
      for (const done of opened) await done();
    });

    test('records, filters newest first, and prunes entries older than the cut-off only', async () => {
      const { db, done } = await open();
      opened.push(done);
      const log = new SqlAuditLog(db.db);
      await log.record(entry('2026-01-01T00:00:00.000Z', { action: 'session.create', status: 201 }));
      await log.recordMany([
        entry('2026-02-01T00:00:00.000Z'),
        entry('2026-03-01T00:00:00.000Z', { tenantId: 'ten_b', keyId: 'key_b', status: 404 }),
        entry('2026-04-01T00:00:00.000Z', { sessionId: 'ses_2', action: 'session.end', status: 202 }),
        entry('2026-05-01T00:00:00.000Z', { sessionId: null, action: 'key.create', method: null, route: null, status: null, ip: null, requestId: null }),
      ]);

      const all = await log.query({ limit: 100 });
      assert.deepEqual(all.map((e) => e.at.toISOString().slice(0, 7)), ['2026-05', '2026-04', '2026-03', '2026-02', '2026-01']);
      assert.equal(all[1]!.status, 202);
      assert.equal(typeof all[1]!.status, 'number');
      assert.equal(all[0]!.route, null);
      assert.deepEqual((await log.query({ tenantId: 'ten_b', limit: 100 })).map((e) => e.status), [404]);
      assert.equal((await log.query({ sessionId: 'ses_1', limit: 100 })).length, 3);
      assert.deepEqual((await log.query({ action: 'session.end', limit: 100 })).map((e) => e.sessionId), ['ses_2']);
      const window = await log.query({ since: new Date('2026-02-01T00:00:00Z'), until: new Date('2026-04-01T00:00:00Z'), limit: 100 });
      assert.deepEqual(window.map((e) => e.at.toISOString().slice(0, 7)), ['2026-03', '2026-02']);
      assert.equal((await log.query({ limit: 2 })).length, 2);

      assert.equal(await log.prune(new Date('2026-03-01T00:00:00Z')), 2);
      assert.deepEqual((await log.query({ limit: 100 })).map((e) => e.at.toISOString().slice(0, 7)), ['2026-05', '2026-04', '2026-03']);
      assert.equal(await log.prune(new Date('2026-03-01T00:00:00Z')), 0, 'idempotent');
    });

    test('prune removes more than one batch, and the sweeper step honours the retention days', async () => {
      const { db, done } = await open();
      opened.push(done);
      const log = new SqlAuditLog(db.db);
      const old = Array.from({ length: 1203 }, (_, i) => entry(new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString()));
      for (let i = 0; i < old.length; i += 300) await log.recordMany(old.slice(i, i + 300));
      await log.record(entry('2026-06-01T00:00:00.000Z'));
      const now = new Date('2026-06-02T00:00:00Z');
      const deps = { audit: log, auditRetentionDays: 30, clock: { now: () => now }, log: pino({ level: 'silent' }) };
      assert.equal(await pruneAuditLog(deps as unknown as Parameters<typeof pruneAuditLog>[0]), 1203);
      assert.equal((await log.query({ limit: 10_000 })).length, 1);
    });
  });
}
