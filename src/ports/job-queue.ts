import type { SessionTx } from './session-store.js';

export type JobKind = 'process-session';

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
  /** Leases the next due job (or one whose lease ran out) for `leaseMs`. */
  claim(workerId: string, leaseMs: number): Promise<Job | undefined>;
  complete(job: Job): Promise<void>;
  /** Schedules a retry with backoff, or dead-letters after the last attempt. */
  fail(job: Job, error: string): Promise<'retry' | 'dead'>;
  /** Resolves when a job may be ready (enqueue in this process, or `ms` elapsed). */
  waitForWork(ms: number, signal: AbortSignal): Promise<void>;
  stats(): Promise<QueueStats>;
  /** Deletes completed jobs older than `before` (dead jobs stay visible). */
  prune(before: Date): Promise<number>;
}
