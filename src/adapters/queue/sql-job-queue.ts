import { sql, type Kysely, type Selectable, type Transaction, type UpdateQueryBuilder, type UpdateResult } from 'kysely';
import { newJobId } from '../../core/ids.js';
import type { Clock } from '../../core/ports/clock.js';
import { WORKER_DIED_ON_LAST_ATTEMPT, type Job, type JobKind, type JobQueue, type JobRequest, type QueueStats } from '../../core/ports/job-queue.js';
import type { SessionTx } from '../../core/ports/session-store.js';
import type { Database, JobsTable } from '../db/schema.js';
import { retryDelayMs, type BackoffPolicy } from './backoff.js';
import { IdleWaiters } from './idle-waiters.js';

const LEASE_CHECK_MS = 1000;

/**
 * Only the current run of a job may finish it: a worker whose lease ran out and was
 * taken over holds an older attempt number, and its late complete/fail is ignored.
 */
const heldAs = (job: Job) => (q: UpdateQueryBuilder<Database, 'jobs', 'jobs', UpdateResult>) =>
  q.where('id', '=', job.id).where('status', '=', 'running').where('attempts', '=', job.attempts);

// Rows are written only by enqueue, from a typed JobRequest: kind and payload belong together.
const toJob = (r: Selectable<JobsTable>): Job =>
  ({
    id: r.id,
    kind: r.kind as JobKind,
    payload: JSON.parse(r.payload) as unknown,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
  }) as Job;

/**
 * A durable job queue in the embedded database: leased claims (a crashed worker's
 * job comes back when its lease runs out), retries with exponential backoff and
 * jitter, and a dead-letter status kept for inspection.
 */
export class SqliteJobQueue implements JobQueue {
  /** When to look for expired leases next, per set of kinds claimed (workers of other kinds must not push it back). */
  private readonly nextLeaseCheck = new Map<string, number>();
  /** Idle claim loops of this process; an enqueue wakes one that takes its kind, not all. */
  private readonly idle = new IdleWaiters();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly defaults: { maxAttempts: number; backoff: BackoffPolicy },
  ) {}

  async enqueue(job: JobRequest, tx?: SessionTx): Promise<void> {
    const db = (tx?.handle as Transaction<Database> | undefined) ?? this.db;
    const now = this.clock.now().toISOString();
    await db
      .insertInto('jobs')
      .values({
        id: newJobId(),
        kind: job.kind,
        payload: JSON.stringify(job.payload),
        status: 'queued',
        attempts: 0,
        max_attempts: job.maxAttempts ?? this.defaults.maxAttempts,
        run_at: (job.runAt ?? this.clock.now()).toISOString(),
        locked_until: null,
        locked_by: null,
        last_error: null,
        dedupe_key: job.dedupeKey ?? null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .execute();
    // A job due later wakes a waiter when it is due, not now (it would find nothing and sleep a whole poll).
    const delay = job.runAt ? job.runAt.getTime() - this.clock.now().getTime() : 0;
    this.idle.wakeOneIn(job.kind, delay);
  }

  async claim(workerId: string, leaseMs: number, kinds?: readonly JobKind[]): Promise<Job | undefined> {
    for (;;) {
      // Expired leases (a crashed worker's job), looked for at most every second,
      // then the oldest due job: index-backed lookups rather than one OR that scans.
      const now = this.clock.now().getTime();
      const checkKey = kinds ? [...kinds].sort().join(',') : '*';
      let job: Job | undefined;
      if (now >= (this.nextLeaseCheck.get(checkKey) ?? 0)) {
        job = await this.claimWhere(workerId, leaseMs, 'running', 'locked_until', kinds);
        if (!job) this.nextLeaseCheck.set(checkKey, now + LEASE_CHECK_MS);
      }
      job ??= await this.claimWhere(workerId, leaseMs, 'queued', 'run_at', kinds);
      if (!job) return undefined;
      // A job whose worker died on its last attempt is dead-lettered, not run again.
      if (job.attempts > job.maxAttempts) {
        await this.markDead(job, WORKER_DIED_ON_LAST_ATTEMPT);
        continue;
      }
      return job;
    }
  }

  private async claimWhere(
    workerId: string,
    leaseMs: number,
    status: 'queued' | 'running',
    dueColumn: 'run_at' | 'locked_until',
    kinds: readonly JobKind[] | undefined,
  ): Promise<Job | undefined> {
    const now = this.clock.now();
    const nowIso = now.toISOString();
    const row = await this.db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'running',
        locked_by: workerId,
        locked_until: new Date(now.getTime() + leaseMs).toISOString(),
        attempts: eb('attempts', '+', 1),
        updated_at: nowIso,
      }))
      .where('id', '=', (eb) =>
        eb
          .selectFrom('jobs')
          .select('id')
          .where('status', '=', status)
          .where(dueColumn, '<=', nowIso)
          .$if(kinds !== undefined, (q) => q.where('kind', 'in', kinds!))
          .orderBy(dueColumn)
          .limit(1),
      )
      .returningAll()
      .executeTakeFirst();
    return row ? toJob(row) : undefined;
  }

  /** Deletes finished jobs older than `before`; dead ones are kept for inspection. */
  async prune(before: Date): Promise<number> {
    const r = await this.db
      .deleteFrom('jobs')
      .where('status', '=', 'done')
      .where('updated_at', '<', before.toISOString())
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async extendLease(job: Job, workerId: string, leaseMs: number): Promise<boolean> {
    const r = await this.db
      .updateTable('jobs')
      .set({ locked_until: new Date(this.clock.now().getTime() + leaseMs).toISOString() })
      .where('id', '=', job.id)
      .where('status', '=', 'running')
      .where('locked_by', '=', workerId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async complete(job: Job): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ status: 'done', locked_until: null, updated_at: this.clock.now().toISOString() })
      .$call(heldAs(job))
      .execute();
  }

  async running(dedupeKeys: readonly string[]): Promise<Set<string>> {
    if (!dedupeKeys.length) return new Set();
    const rows = await this.db
      .selectFrom('jobs')
      .select('dedupe_key')
      .where('dedupe_key', 'in', [...dedupeKeys])
      .where('status', '=', 'running')
      .where('locked_until', '>', this.clock.now().toISOString())
      .execute();
    return new Set(rows.map((r) => r.dedupe_key!));
  }

  async live(dedupeKeys: readonly string[]): Promise<Set<string>> {
    return new Set((await this.keysIn(dedupeKeys, ['queued', 'running'])).keys());
  }

  dead(dedupeKeys: readonly string[]): Promise<Map<string, string>> {
    return this.keysIn(dedupeKeys, ['dead']);
  }

  private async keysIn(dedupeKeys: readonly string[], statuses: string[]): Promise<Map<string, string>> {
    if (!dedupeKeys.length) return new Map();
    const rows = await this.db
      .selectFrom('jobs')
      .select(['dedupe_key', 'last_error'])
      .where('dedupe_key', 'in', [...dedupeKeys])
      .where('status', 'in', statuses)
      .execute();
    return new Map(rows.map((r) => [r.dedupe_key!, r.last_error ?? '']));
  }

  async fail(job: Job, error: string): Promise<'retry' | 'dead'> {
    if (job.attempts >= job.maxAttempts) {
      await this.markDead(job, error);
      return 'dead';
    }
    const delay = retryDelayMs(job.attempts, this.defaults.backoff);
    const now = this.clock.now();
    await this.db
      .updateTable('jobs')
      .set({
        status: 'queued',
        run_at: new Date(now.getTime() + delay).toISOString(),
        locked_until: null,
        locked_by: null,
        last_error: error.slice(0, 2000),
        updated_at: now.toISOString(),
      })
      .$call(heldAs(job))
      .execute();
    return 'retry';
  }

  private async markDead(job: Job, error: string): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ status: 'dead', locked_until: null, last_error: error.slice(0, 2000), updated_at: this.clock.now().toISOString() })
      .$call(heldAs(job))
      .execute();
  }

  waitForWork(ms: number, signal: AbortSignal, kinds?: readonly JobKind[]): Promise<void> {
    return this.idle.wait(ms, signal, kinds);
  }

  async release(job: Job, workerId: string, runAt: Date): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'queued',
        run_at: runAt.toISOString(),
        locked_until: null,
        locked_by: null,
        attempts: eb('attempts', '-', 1),
        updated_at: this.clock.now().toISOString(),
      }))
      .where('id', '=', job.id)
      .where('status', '=', 'running')
      .where('locked_by', '=', workerId)
      .execute();
    // An idle claimant takes it when it is due, rather than at its next poll.
    const delay = runAt.getTime() - this.clock.now().getTime();
    this.idle.wakeOneIn(job.kind, delay);
  }

  async stats(): Promise<QueueStats> {
    const rows = await this.db
      .selectFrom('jobs')
      .select(['status', sql<number>`count(*)`.as('n')])
      .where('status', 'in', ['queued', 'running', 'dead'])
      .groupBy('status')
      .execute();
    const count = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
    return { queued: count('queued'), running: count('running'), dead: count('dead') };
  }
}
