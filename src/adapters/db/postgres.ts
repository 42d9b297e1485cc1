import {
  Kysely,
  PostgresDialect,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../../core/ports/store-unavailable.js';
import type { Database } from './schema.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** pg returns int8 (count(*), bigint columns) and numeric as strings; the code expects numbers, all far below 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // admin_shutdown, crash_shutdown, cannot_connect_now (starting up / shutting down), too_many_connections
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection ended unexpectedly',
  'Postgres connection has been discarded',
];

/** True for failures that mean "the database cannot be reached now", not "this query is wrong". */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  if (err instanceof AggregateError && err.errors.some(isConnectionError)) return true;
  return CONNECTION_MESSAGES.some((m) => err.message.includes(m));
}

async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof StoreUnavailableError || !isConnectionError(err)) throw err;
    throw new StoreUnavailableError('The database is unavailable', 5, { cause: err });
  }
}

/**
 * Kysely's PostgreSQL driver with connection failures turned into StoreUnavailableError,
 * so every store on this database reports an outage the same way (HTTP 503).
 */
function classifyingDriver(inner: Driver): Driver {
  const wrappers = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const inners = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const unwrap = (c: DatabaseConnection) => inners.get(c) ?? c;
  const wrap = (c: DatabaseConnection): DatabaseConnection => {
    let w = wrappers.get(c);
    if (!w) {
      w = {
        executeQuery: <R>(q: CompiledQuery): Promise<QueryResult<R>> => guard(() => c.executeQuery<R>(q)),
        streamQuery: <R>(q: CompiledQuery, chunkSize?: number) => c.streamQuery<R>(q, chunkSize),
      };
      wrappers.set(c, w);
      inners.set(w, c);
    }
    return w;
  };
  return {
    init: () => guard(() => inner.init()),
    acquireConnection: async () => wrap(await guard(() => inner.acquireConnection())),
    beginTransaction: (c: DatabaseConnection, s: TransactionSettings) => guard(() => inner.beginTransaction(unwrap(c), s)),
    commitTransaction: (c: DatabaseConnection) => guard(() => inner.commitTransaction(unwrap(c))),
    rollbackTransaction: (c: DatabaseConnection) => guard(() => inner.rollbackTransaction(unwrap(c))),
    savepoint: (c, name, compile) => guard(() => inner.savepoint!(unwrap(c), name, compile)),
    rollbackToSavepoint: (c, name, compile) => guard(() => inner.rollbackToSavepoint!(unwrap(c), name, compile)),
    releaseSavepoint: (c, name, compile) => guard(() => inner.releaseSavepoint!(unwrap(c), name, compile)),
    releaseConnection: (c: DatabaseConnection) => inner.releaseConnection(unwrap(c)),
    destroy: () => inner.destroy(),
  };
}

export interface PostgresOptions {
  poolSize?: number;
  /** How long to wait for a connection (new or from the pool) before the request fails with 503. */
  connectionTimeoutMillis?: number;
  log?: Logger;
}

/** The pool behind a Kysely instance, for callers that need to know (tests, diagnostics). */
export const poolOf = new WeakMap<Kysely<Database>, pg.Pool>();

/**
 * Opens a PostgreSQL database: a pg Pool that reconnects by itself after an outage
 * (a broken connection is dropped, the next checkout dials again).
 */
export function openPostgres(url: string, opts: PostgresOptions = {}): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 5_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    types,
  });
  // An idle connection the server closes (restart, failover) must not crash the process.
  pool.on('error', (err) => opts.log?.warn({ code: (err as { code?: string }).code, message: err.message }, 'database connection lost'));
  // Nor one lost while checked out between two queries of a transaction: the query that
  // follows fails (503) and the pool drops the connection when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const base = new PostgresDialect({ pool });
  const dialect: Dialect = {
    createAdapter: () => base.createAdapter(),
    createDriver: () => classifyingDriver(base.createDriver()),
    createQueryCompiler: () => base.createQueryCompiler(),
    createIntrospector: (db) => base.createIntrospector(db),
  };
  const db = new Kysely<Database>({ dialect });
  poolOf.set(db, pool);
  return db;
}
