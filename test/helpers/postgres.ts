import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';

/** The machine's PostgreSQL (trust auth); override with OPENSCRIBE_TEST_PG_URL. */
export const PG_ADMIN_URL = process.env.OPENSCRIBE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let started: Promise<void> | undefined;

/** Starts the local cluster when it is down (as .ci/run does), so tests never skip silently. */
export function ensurePostgres(): Promise<void> {
  started ??= (async () => {
    if (await canConnect()) return;
    if (fs.existsSync('/etc/postgresql')) {
      const version = fs.readdirSync('/etc/postgresql')[0];
      if (version) spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'ignore' });
    }
    for (let i = 0; i < 50 && !(await canConnect()); i++) await new Promise((r) => setTimeout(r, 200));
    if (!(await canConnect())) throw new Error(`PostgreSQL is not reachable at ${PG_ADMIN_URL}`);
  })();
  return started;
}

async function canConnect(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  /** Drops the database (terminating what is still connected to it). */
  drop(): Promise<void>;
}

/** A fresh, empty database of its own for one test or suite. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  await ensurePostgres();
  const name = `openscribe_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
