import type { Kysely } from 'kysely';
import { ConfigError, type Config } from '../../config.js';
import type { Clock } from '../../core/ports/clock.js';
import type { JobQueue } from '../../core/ports/job-queue.js';
import type { DatabaseDialect } from '../db/open.js';
import type { Database } from '../db/schema.js';
import type { BackoffPolicy } from './backoff.js';
import { SqliteJobQueue } from './sql-job-queue.js';

export interface OpenedJobQueue {
  queue: JobQueue;
  close(): Promise<void>;
}

const BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 5 * 60_000 };

/**
 * The job queue for the database in use: the table queue on SQLite, pg-boss on
 * PostgreSQL. Both enqueue inside the store's transaction (same database).
 */
export async function openJobQueue(
  config: Pick<Config, 'databaseUrl' | 'worker'>,
  db: Kysely<Database>,
  dialect: DatabaseDialect,
  clock: Clock,
): Promise<OpenedJobQueue> {
  const defaults = { maxAttempts: config.worker.maxAttempts, backoff: BACKOFF };
  if (dialect === 'sqlite') return { queue: new SqliteJobQueue(db, clock, defaults), close: async () => undefined };
  if (!config.databaseUrl) throw new ConfigError('the PostgreSQL job queue needs OPENSCRIBE_DATABASE_URL');
  // Loaded only here: an embedded deployment never loads pg-boss.
  const { PgBossJobQueue } = await import('./pg-boss-job-queue.js');
  const queue = new PgBossJobQueue(db, config.databaseUrl, clock, defaults);
  await queue.start();
  return { queue, close: () => queue.close() };
}
