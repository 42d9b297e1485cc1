import { migrateDatabase } from '../app.js';
import type { Config } from '../config.js';

/** Brings the configured database (SQLite file or OPENSCRIBE_DATABASE_URL) up to date; safe to run from several nodes at once. */
export async function runMigrate(config: Config): Promise<void> {
  const applied = await migrateDatabase(config);
  process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Schema is up to date\n');
}
