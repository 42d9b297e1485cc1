import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import pg from 'pg';
import PgBoss from 'pg-boss';
import type { Clock } from '../../core/ports/clock.js';
import { WORKER_DIED_ON_LAST_ATTEMPT, type Job, type JobKind, type JobQueue, type JobRequest, type QueueStats } from '../../core/ports/job-queue.js';
import type { SessionTx } from '../../core/ports/session-store.js';
import { JOB_KINDS } from '../../core/jobs.js';
import type { Database } from '../db/schema.js';
import { retryDelayMs, type BackoffPolicy } from './backoff.js';
import { PgJobNotifier } from './pg-job-notifier.js';

const KINDS = JOB_KINDS;
const SCHEMA = 'pgboss';
/** Serialises schema/queue/index creation when several processes start at once. */
const START_LOCK = 0x6f70_7363; // "opsc"

type Row = { id: string; name: string; data: Record<string, unknown> | null; retry_count: number; retry_limit: number };

// Rows are written only by enqueue, from a typed JobRequest: kind and payload belong together.
const toJob = (r: Row): Job =>
  ({
    id: r.id,
    kind: r.name as JobKind,
    payload: r.data ?? {},
    attempts: Number(r.retry_count),
    maxAttempts: Number(r.retry_limit) + 1,
  }) as Job;

/**
 * The job queue on PostgreSQL, in pg-boss's tables. pg-boss creates the schema and one
 * queue (partition) per kind and inserts jobs (`send`, inside the caller's transaction);
 * claims, leases, retries and dead-lettering are our own SQL on `pgboss.job`, because the
 * port chooses a lease per claim and counts attempts as started runs:
 * - `retry_count` = attempts (runs started), `retry_limit` = maxAttempts − 1;
 * - a lease is `started_on + expire_in`; a job whose lease passed is claimable again
 *   (pg-boss's own supervision is off, so it never expires or retries our jobs);
 * - `output.worker` names the lease holder; `failed` is the dead letter (kept).
 * `complete`/`fail` are owner-checked by attempt: a holder whose lease ran out and was
 * re-claimed (attempt number moved on) changes nothing.
 * Dedupe: a unique index on (name, singleton_key) over live states (created, retry, active).
 */
export class PgBossJobQueue implements JobQueue {
  private readonly boss: PgBoss;
  private readonly notifier: PgJobNotifier;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly connectionString: string,
    private readonly clock: Clock,
    private readonly defaults: { maxAttempts: number; backoff: BackoffPolicy },
  ) {
    this.boss = new PgBoss({ connectionString, schema: SCHEMA, supervise: false, schedule: false, max: 2 });
    // pg-boss reports pool errors as events; an unhandled 'error' event would crash the process.
    this.boss.on('error', () => undefined);
    this.notifier = new PgJobNotifier(connectionString);
  }

  async start(): Promise<void> {
    const lock = new pg.Client({ connectionString: this.connectionString });
    await lock.connect();
    try {
      await lock.query('SELECT pg_advisory_lock($1)', [START_LOCK]);
      await this.boss.start();
      for (const kind of KINDS) {
        await lock.query(`SELECT ${SCHEMA}.create_queue($1, $2) WHERE NOT EXISTS (SELECT 1 FROM ${SCHEMA}.queue WHERE name = $1)`, [
          kind,
          { policy: 'standard' },
        ]);
      }
      await lock.query(
        `CREATE UNIQUE INDEX IF NOT EXISTS openscribe_job_dedupe ON ${SCHEMA}.job (name, singleton_key) WHERE state < 'completed' AND singleton_key IS NOT NULL`,
      );
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [START_LOCK]).catch(() => undefined);
      await lock.end().catch(() => undefined);
    }
    await this.notifier.start();
  }

  async close(): Promise<void> {
    await this.notifier.close();
    // No pg-boss workers run here, so there is nothing to wait for.
    await this.boss.stop({ graceful: false, wait: true, timeout: 1000 }).catch(() => undefined);
  }

  async enqueue(job: JobRequest, tx?: SessionTx): Promise<void> {
    const db = (tx?.handle as Transaction<Database> | undefined) ?? this.db;
    const executor = {
      executeSql: async (text: string, values: unknown[]) => {
        const r = await db.executeQuery(CompiledQuery.raw(text, values));
        return { rows: r.rows };
      },
    };
    const maxAttempts = job.maxAttempts ?? this.defaults.maxAttempts;
    const runAt = job.runAt ?? this.clock.now();
    await this.boss.send(job.kind, job.payload, {
      db: executor,
      singletonKey: job.dedupeKey,
      startAfter: runAt,
      retryLimit: Math.max(0, maxAttempts - 1),
    } as PgBoss.SendOptions);
    // Fires at commit (or never, on rollback), in every process listening.
    await sql`SELECT pg_notify(${PgJobNotifier.channel}, ${job.kind})`.execute(db);
    const delay = runAt.getTime() - this.clock.now().getTime();
    if (delay > 0) this.notifier.wakeOneIn(job.kind, delay);
  }

  async claim(workerId: string, leaseMs: number, kinds?: readonly JobKind[]): Promise<Job | undefined> {
    const names = [...(kinds ?? KINDS)];
    for (;;) {
      const now = this.clock.now();
      const r = await sql<Row>`
        WITH next AS (
          SELECT name, id FROM pgboss.job
          WHERE name = ANY(${names}::text[])
            AND ((state IN ('created', 'retry') AND start_after <= ${now})
              OR (state = 'active' AND started_on + expire_in <= ${now}))
          ORDER BY CASE WHEN state = 'active' THEN started_on + expire_in ELSE start_after END, created_on, id
          LIMIT 1
          FOR UPDATE SKIP LOCKED
        )
        UPDATE pgboss.job j SET
          state = 'active',
          started_on = ${now},
          expire_in = ${leaseMs} * interval '1 millisecond',
          retry_count = j.retry_count + 1,
          output = jsonb_build_object('worker', ${workerId}::text)
        FROM next WHERE j.name = next.name AND j.id = next.id
        RETURNING j.id, j.name, j.data, j.retry_count, j.retry_limit`.execute(this.db);
      const row = r.rows[0];
      if (!row) return undefined;
      const job = toJob(row);
      // A job whose worker died on its last attempt is dead-lettered, not run again.
      if (job.attempts > job.maxAttempts) {
        await this.markDead(job, WORKER_DIED_ON_LAST_ATTEMPT);
        continue;
      }
      return job;
    }
  }

  async extendLease(job: Job, workerId: string, leaseMs: number): Promise<boolean> {
    const r = await sql`
      UPDATE pgboss.job SET started_on = ${this.clock.now()}, expire_in = ${leaseMs} * interval '1 millisecond'
      WHERE name = ${job.kind} AND id = ${job.id}::uuid AND state = 'active' AND output->>'worker' = ${workerId}`.execute(this.db);
    return Number(r.numAffectedRows ?? 0) > 0;
  }

  async complete(job: Job): Promise<void> {
    await sql`
      UPDATE pgboss.job SET state = 'completed', completed_on = ${this.clock.now()}
      WHERE name = ${job.kind} AND id = ${job.id}::uuid AND state = 'active' AND retry_count = ${job.attempts}`.execute(this.db);
  }

  async fail(job: Job, error: string): Promise<'retry' | 'dead'> {
    if (job.attempts >= job.maxAttempts) {
      await this.markDead(job, error);
      return 'dead';
    }
    const delay = retryDelayMs(job.attempts, this.defaults.backoff);
    const runAt = new Date(this.clock.now().getTime() + delay);
    await sql`
      UPDATE pgboss.job SET state = 'retry', start_after = ${runAt}, started_on = NULL,
        output = jsonb_build_object('error', ${error.slice(0, 2000)}::text)
      WHERE name = ${job.kind} AND id = ${job.id}::uuid AND state = 'active' AND retry_count = ${job.attempts}`.execute(this.db);
    return 'retry';
  }

  private async markDead(job: Job, error: string): Promise<void> {
    await sql`
      UPDATE pgboss.job SET state = 'failed', completed_on = ${this.clock.now()},
        output = jsonb_build_object('error', ${error.slice(0, 2000)}::text)
      WHERE name = ${job.kind} AND id = ${job.id}::uuid AND state = 'active' AND retry_count = ${job.attempts}`.execute(this.db);
  }

  async release(job: Job, workerId: string, runAt: Date): Promise<void> {
    await sql`
      UPDATE pgboss.job SET state = 'created', start_after = ${runAt}, started_on = NULL,
        retry_count = retry_count - 1, output = NULL
      WHERE name = ${job.kind} AND id = ${job.id}::uuid AND state = 'active' AND output->>'worker' = ${workerId}`.execute(this.db);
    const delay = runAt.getTime() - this.clock.now().getTime();
    if (delay <= 0) await sql`SELECT pg_notify(${PgJobNotifier.channel}, ${job.kind})`.execute(this.db);
    // Due later: an idle claimant here takes it then, rather than at its next poll.
    else this.notifier.wakeOneIn(job.kind, delay);
  }

  async running(dedupeKeys: readonly string[]): Promise<Set<string>> {
    if (!dedupeKeys.length) return new Set();
    const r = await sql<{ key: string }>`
      SELECT singleton_key AS key FROM pgboss.job
      WHERE name = ANY(${[...KINDS]}::text[]) AND singleton_key = ANY(${[...dedupeKeys]}::text[])
        AND state = 'active' AND started_on + expire_in > ${this.clock.now()}`.execute(this.db);
    return new Set(r.rows.map((x) => x.key));
  }

  async live(dedupeKeys: readonly string[]): Promise<Set<string>> {
    return new Set((await this.keysIn(dedupeKeys, ['created', 'retry', 'active'])).keys());
  }

  dead(dedupeKeys: readonly string[]): Promise<Map<string, string>> {
    return this.keysIn(dedupeKeys, ['failed']);
  }

  private async keysIn(dedupeKeys: readonly string[], states: string[]): Promise<Map<string, string>> {
    if (!dedupeKeys.length) return new Map();
    const r = await sql<{ key: string; error: string | null }>`
      SELECT singleton_key AS key, output->>'error' AS error FROM pgboss.job
      WHERE name = ANY(${[...KINDS]}::text[]) AND singleton_key = ANY(${[...dedupeKeys]}::text[])
        AND state::text = ANY(${states}::text[])`.execute(this.db);
    return new Map(r.rows.map((x) => [x.key, x.error ?? '']));
  }

  waitForWork(ms: number, signal: AbortSignal, kinds?: readonly JobKind[]): Promise<void> {
    return this.notifier.wait(ms, signal, kinds);
  }

  async stats(): Promise<QueueStats> {
    const r = await sql<{ state: string; n: number | string }>`
      SELECT state::text AS state, count(*) AS n FROM pgboss.job
      WHERE name = ANY(${[...KINDS]}::text[]) AND state IN ('created', 'retry', 'active', 'failed')
      GROUP BY state`.execute(this.db);
    const count = (...states: string[]) => r.rows.filter((x) => states.includes(x.state)).reduce((a, x) => a + Number(x.n), 0);
    return { queued: count('created', 'retry'), running: count('active'), dead: count('failed') };
  }

  async prune(before: Date): Promise<number> {
    const r = await sql`
      DELETE FROM pgboss.job WHERE name = ANY(${[...KINDS]}::text[]) AND state = 'completed' AND completed_on < ${before}`.execute(this.db);
    return Number(r.numAffectedRows ?? 0);
  }
}
