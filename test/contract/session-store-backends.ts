import path from 'node:path';
import type { Kysely } from 'kysely';
import { openDatabase } from '../../src/adapters/db/open.js';
import type { Database } from '../../src/adapters/db/schema.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { tempDataDir } from '../helpers/server.js';

/** A database opened and migrated for one contract suite; `close` removes it. */
export interface OpenBackend {
  db: Kysely<Database>;
  close(): Promise<void>;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  open(): Promise<OpenBackend>;
}

/** Every database the SQL stores run on: a temp SQLite file and a fresh PostgreSQL database. */
export const BACKENDS: Backend[] = [
  {
    name: 'sqlite',
    async open() {
      const file = path.join(tempDataDir('contract'), 'db.sqlite');
      const { db, close } = await openDatabase({ databaseUrl: undefined, databasePath: file, sqliteSynchronous: 'NORMAL' });
      return { db, close };
    },
  },
  {
    name: 'postgres',
    async open() {
      const pg = await createTestDatabase('contract');
      const { db, close } = await openDatabase({ databaseUrl: pg.url, databasePath: '', sqliteSynchronous: 'NORMAL', databasePoolSize: 25 });
      return {
        db,
        async close() {
          await close();
          await pg.drop();
        },
      };
    },
  },
];
