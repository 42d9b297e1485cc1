import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { PG_ADMIN_URL } from './postgres.js';

/**
 * The storage a test server runs on. `OPENSCRIBE_TEST_BACKEND=scale-out` (the second
 * pass of `npm test`) puts every data dir's server on a PostgreSQL database of its own
 * and on the S3 server that scripts/run-tests.mjs started, so the same HTTP suites
 * prove both deployments.
 */
export const SCALE_OUT = process.env.OPENSCRIBE_TEST_BACKEND === 'scale-out';

/** Databases made for scale-out test servers share this prefix, so the runner can drop them after. */
export const SCALE_OUT_DB_PREFIX = 'openscribe_so_';

const made = new Map<string, Record<string, string>>();

/** Environment that points a server (or a CLI call) for `dataDir` at its storage; empty on the embedded default. */
export function backendEnv(dataDir: string): Record<string, string> {
  if (!SCALE_OUT) return {};
  const key = path.resolve(dataDir);
  let env = made.get(key);
  if (!env) {
    const name = SCALE_OUT_DB_PREFIX + createHash('sha256').update(key).digest('hex').slice(0, 16);
    // Synchronous (createKey is): psql is part of every PostgreSQL install.
    const r = spawnSync('psql', [PG_ADMIN_URL, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`], { encoding: 'utf8' });
    if (r.status !== 0 && !/already exists/.test(r.stderr)) throw new Error(`creating ${name}: ${r.stderr}`);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    const s3 = process.env.OPENSCRIBE_TEST_S3_ENDPOINT;
    env = {
      OPENSCRIBE_DATABASE_URL: url.toString(),
      ...(s3 && {
        OPENSCRIBE_S3_ENDPOINT: s3,
        OPENSCRIBE_S3_BUCKET: process.env.OPENSCRIBE_TEST_S3_BUCKET ?? 'openscribe-test',
        OPENSCRIBE_S3_PREFIX: `${path.basename(key)}/`,
        OPENSCRIBE_S3_FORCE_PATH_STYLE: '1',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
      }),
    };
    made.set(key, env);
  }
  return env;
}
