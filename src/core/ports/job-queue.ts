import type { SessionTx } from './session-store.js';

/**
 * `transcribe-chunk`: recognise a chunk as soon as it is stored; `process-session`: build the
 * result after End Session; `deliver-webhook`: one attempt at one webhook delivery.
 */
export type JobKind = 'process-session' | 'transcribe-chunk' | 'deliver-webhook';

export interface JobRequest {
  kind: JobKind;
  payload: Record<string, unknown>;
  /** At most one live job per key (e.g. one processing job per session). */
  dedupeKey?: string;
  runAt?: Date;
  maxAttempts?: number;
}

export interface Job {
  id: string;
  kind: JobKind;
  payload: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
}

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
  /** Resolves when a job may be ready (enqueue of one of `kinds` in this process, or `ms` elapsed). */
  waitForWork(ms: number, signal: AbortSignal, kinds?: readonly JobKind[]): Promise<void>;
  stats(): Promise<QueueStats>;
  /** Deletes completed jobs older than `before` (dead jobs stay visible). */
  prune(before: Date): Promise<number>;
}
