import { PostgresAdapter, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { migrateToLatest } from './migrations.js';
import { openPostgres } from './postgres.js';
import type { Database } from './schema.js';
import { openSqlite } from './sqlite.js';

export type DatabaseDialect = 'sqlite' | 'postgres';

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: DatabaseDialect;
  close(): Promise<void>;
}

export type DatabaseConfig = Pick<Config, 'databaseUrl' | 'databasePath' | 'sqliteSynchronous'> & Partial<Pick<Config, 'databasePoolSize'>>;

/** Which SQL dialect a Kysely instance speaks (for the few places where the two differ). */
export function dialectOf(db: Kysely<any>): DatabaseDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * Opens the database the configuration names — PostgreSQL when OPENSCRIBE_DATABASE_URL is
 * set, else the SQLite file — and brings its schema up to date (safe from many processes
 * at once: on PostgreSQL the migrator holds an advisory lock).
 */
export async function openDatabase(config: DatabaseConfig, opts: { log?: Logger; migrate?: boolean } = {}): Promise<OpenedDatabase> {
  const dialect: DatabaseDialect = config.databaseUrl ? 'postgres' : 'sqlite';
  const db = config.databaseUrl
    ? openPostgres(config.databaseUrl, { poolSize: config.databasePoolSize, log: opts.log })
    : openSqlite(config.databasePath, config.sqliteSynchronous);
  try {
    if (opts.migrate !== false) await migrateToLatest(db);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
  return { db, dialect, close: () => db.destroy() };
}
