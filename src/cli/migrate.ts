import { migrateToLatest } from '../adapters/db/migrations.js';
import { openSqlite } from '../adapters/db/sqlite.js';
import type { Config } from '../config.js';

export async function runMigrate(config: Config): Promise<void> {
  const db = openSqlite(config.databasePath, config.sqliteSynchronous);
  try {
    const applied = await migrateToLatest(db);
    process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Schema is up to date\n');
  } finally {
    await db.destroy();
  }
}
