import type { SessionTx } from './session-store.js';
import type { Job, JobKind, JobRequest } from '../jobs.js';

// The job catalogue (core/jobs.ts) types what goes through the queue.
export type { Job, JobKind, JobPayloads, JobRequest, JobOf } from '../jobs.js';

/** The dead letter's reason when a job's worker died (a kill, an OOM) while running its last attempt. */
export const WORKER_DIED_ON_LAST_ATTEMPT = 'lease expired on the last attempt';

export interface QueueStats {
  queued: number;
  running: number;
  dead: number;
}

export interface JobQueue {
  /** With `tx`, the job commits or rolls back with that transaction. */
  enqueue(job: JobRequest, tx?: SessionTx): Promise<void>;
  /** Leases the next due job (or one whose lease ran out) for `leaseMs`; only of `kinds` when given. */
  claim(workerId: string, leaseMs: number, kinds?: readonly JobKind[]): Promise<Job | undefined>;
  /** Extends the lease of a job this worker holds (long jobs heartbeat); false if the lease was lost. */
  extendLease(job: Job, workerId: string, leaseMs: number): Promise<boolean>;
  complete(job: Job): Promise<void>;
  /** Schedules a retry with backoff, or dead-letters after the last attempt. */
  fail(job: Job, error: string): Promise<'retry' | 'dead'>;
  /** Puts a job this worker holds back, due at `runAt`, without counting the attempt (it did not run). */
  release(job: Job, workerId: string, runAt: Date): Promise<void>;
  /**
   * Of these dedupe keys, those whose job some worker (in any process) is running
   * now under a lease that has not run out: work another job should wait for
   * rather than do twice.
   */
  running(dedupeKeys: readonly string[]): Promise<Set<string>>;
  /** Of these dedupe keys, those with a job that may still run (queued, waiting for a retry, or running). */
  live(dedupeKeys: readonly string[]): Promise<Set<string>>;
  /**
   * Of these dedupe keys, those whose job was dead-lettered, with its last error:
   * `WORKER_DIED_ON_LAST_ATTEMPT` when its worker was killed holding it.
   */
  dead(dedupeKeys: readonly string[]): Promise<Map<string, string>>;
  /** Resolves when a job may be ready (enqueue of one of `kinds` in this process, or `ms` elapsed). */
  waitForWork(ms: number, signal: AbortSignal, kinds?: readonly JobKind[]): Promise<void>;
  stats(): Promise<QueueStats>;
  /** Deletes completed jobs older than `before` (dead jobs stay visible). */
  prune(before: Date): Promise<number>;
}
