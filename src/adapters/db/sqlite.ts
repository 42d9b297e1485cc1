import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { Database } from './schema.js';

/**
 * Kysely prepares a statement on every query; preparing is a large share of a
 * short query's cost, so statements are kept by SQL text (the set of distinct
 * queries is small and fixed by the code).
 */
function withStatementCache(db: SQLite.Database, onClose: () => void, max = 500): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      onClose();
      db.close();
    },
    prepare(sql: string) {
      // SQLite rolls a transaction back itself on some errors (SQLITE_FULL, SQLITE_IOERR): Kysely's
      // ROLLBACK would then fail with "no transaction is active" and hide the error that matters.
      if (sql === 'rollback' && !db.inTransaction) return NO_OP as unknown as SQLite.Statement;
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql);
        if (cache.size >= max) cache.clear();
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

const NO_OP = { reader: false, run: () => ({ changes: 0, lastInsertRowid: 0 }) };

// Runs in a worker thread with its own connection: checkpoints fsync the WAL and the
// database, which would otherwise stall the event loop for milliseconds at a time.
const CHECKPOINTER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: next tick */ }
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} db.close(); process.exit(0); });
`;

function startCheckpointer(file: string, intervalMs: number): () => void {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(CHECKPOINTER, { eval: true, workerData: { file, driver, intervalMs } });
  worker.unref();
  worker.on('error', () => undefined);
  return () => worker.postMessage('stop');
}

/** Opens the embedded database: WAL, a busy timeout for other processes (the CLI), foreign keys on. */
export function openSqlite(file: string, synchronous: 'NORMAL' | 'FULL'): Kysely<Database> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // WAL + NORMAL survives a process crash; FULL also survives power loss, at one more fsync per commit.
  sqlite.pragma(`synchronous = ${synchronous}`);
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('wal_autocheckpoint = 0');
  sqlite.pragma('journal_size_limit = 67108864');
  const stopCheckpointer = startCheckpointer(file, 1000);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite, stopCheckpointer) }) });
}
