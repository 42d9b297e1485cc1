import path from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { FsBlobStore } from '../../src/adapters/blob/fs-blob-store.js';
import { migrateToLatest } from '../../src/adapters/db/migrations.js';
import { openSqlite } from '../../src/adapters/db/sqlite.js';
import { SqliteJobQueue } from '../../src/adapters/queue/sql-job-queue.js';
import { SqlSessionStore } from '../../src/adapters/store/sql-session-store.js';
import { SqlWebhookStore } from '../../src/adapters/store/sql-webhook-store.js';
import { loadConfig } from '../../src/config.js';
import { SessionEvents } from '../../src/core/session-events.js';
import { SessionService } from '../../src/core/sessions.js';
import { createApiKey } from '../../src/core/tenants.js';
import type { Clock } from '../../src/core/ports/clock.js';
import { TestClock } from './clock.js';
import { tempDataDir } from './server.js';

/**
 * The embedded stack in-process, on a real SQLite file and blob directory: store,
 * blobs, queue and SessionService, with one tenant. For tests below the HTTP layer.
 */
export async function openStack<C extends Clock = TestClock>(
  label: string,
  opts: { clock?: C; maxAttempts?: number; backoffMs?: number; env?: Record<string, string> } = {},
) {
  const dir = tempDataDir(label);
  const db = openSqlite(path.join(dir, 'db.sqlite'), 'NORMAL');
  await migrateToLatest(db);
  const clock = (opts.clock ?? new TestClock()) as C;
  const store = new SqlSessionStore(db);
  const blobs = new FsBlobStore(path.join(dir, 'blobs'));
  const backoff = opts.backoffMs ?? 1;
  const queue = new SqliteJobQueue(db, clock, { maxAttempts: opts.maxAttempts ?? 3, backoff: { baseMs: backoff, maxMs: backoff } });
  const webhooks = new SqlWebhookStore(db);
  const events = new SessionEvents(webhooks, queue);
  const sessions = new SessionService(store, blobs, queue, clock, loadConfig({ OPENSCRIBE_DATA_DIR: dir, ...opts.env }), events);
  const { tenant } = await createApiKey(store, clock, 't', 'test');
  const log = pino({ level: 'silent' });
  return { dir, db, clock, store, blobs, queue, webhooks, events, sessions, tenantId: tenant.id, log };
}

/** A body that passes the WAV sniff (not playable audio). */
export const wavLike = () => Readable.from([Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), Buffer.alloc(100)])]);
