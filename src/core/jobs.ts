/**
 * The job catalogue: every kind of background job, defined once — what its payload
 * holds, the key that keeps at most one live job per thing, and how many attempts
 * it gets. Producers build requests with `jobRequest`, the queue port is typed by
 * `JobPayloads`, and each handler receives its own kind's payload (`JobHandlers` in
 * worker/worker.ts, wired in app.ts). A lease is renewed by the worker's heartbeat for
 * as long as the handler runs; its length is how soon a crashed worker's job runs again.
 */

/** What each kind of job carries: ids only, never content. */
export interface JobPayloads {
  /** Recognise a chunk as soon as it is stored (its predecessors first, when they are late). */
  'transcribe-chunk': { tenantId: string; sessionId: string; blobKey: string };
  /** After End Session: the rest of the recognition, the templates, the terminal status and its event. */
  'process-session': { tenantId: string; sessionId: string };
  /** One attempt at one webhook delivery (`attempt` and `revivedAt` make its key; the handler reads the delivery). */
  'deliver-webhook': { deliveryId: string; attempt: number; revivedAt?: number };
}

export type JobKind = keyof JobPayloads;

interface JobSpec<K extends JobKind> {
  /** At most one live job per key. */
  dedupeKey(payload: JobPayloads[K]): string;
  /** Runs started before the job is dead-lettered; undefined: the queue's default (`OPENSCRIBE_JOB_MAX_ATTEMPTS`). */
  maxAttempts: number | undefined;
  leaseMs(limits: LeaseLimits): number;
}

export interface LeaseLimits {
  /** `OPENSCRIBE_JOB_LEASE_MS`. */
  jobLeaseMs: number;
  /** `OPENSCRIBE_WEBHOOK_TIMEOUT_MS`. */
  webhookTimeoutMs: number;
}

/** Dedupe keys by the ids they are made of, for callers that ask about a job they did not enqueue. */
export const JobKeys = {
  transcribeChunk: (blobKey: string) => `transcribe-chunk:${blobKey}`,
  processSession: (tenantId: string, sessionId: string) => `process-session:${tenantId}:${sessionId}`,
};

export const JOBS: { readonly [K in JobKind]: JobSpec<K> } = {
  'transcribe-chunk': {
    dedupeKey: (p) => JobKeys.transcribeChunk(p.blobKey),
    // A chunk that fails twice is skipped by End Session's job, which reports it (audio_file_skipped).
    maxAttempts: 2,
    leaseMs: (l) => l.jobLeaseMs,
  },
  'process-session': {
    dedupeKey: (p) => JobKeys.processSession(p.tenantId, p.sessionId),
    maxAttempts: undefined,
    leaseMs: (l) => l.jobLeaseMs,
  },
  'deliver-webhook': {
    dedupeKey: (p) => `deliver-webhook:${p.deliveryId}:${p.attempt}${p.revivedAt !== undefined ? `:revived-${p.revivedAt}` : ''}`,
    // Only crashes and database errors use these; a receiver's failure is a delivery attempt of its own.
    maxAttempts: 5,
    // Short: after a crash the attempt in flight is retried seconds later, not minutes.
    leaseMs: (l) => l.webhookTimeoutMs + 5_000,
  },
};

export const JOB_KINDS = Object.keys(JOBS) as readonly JobKind[];

/** A job to enqueue, of one kind. */
export type JobRequest = {
  [K in JobKind]: { kind: K; payload: JobPayloads[K]; dedupeKey?: string; runAt?: Date; maxAttempts?: number };
}[JobKind];

/** A claimed job, of one kind. */
export type Job = {
  [K in JobKind]: { id: string; kind: K; payload: JobPayloads[K]; attempts: number; maxAttempts: number };
}[JobKind];

/** The job of kind `K`. */
export type JobOf<K extends JobKind> = Extract<Job, { kind: K }>;

/** The longest lease of these kinds: what a worker that runs them claims with. */
export const leaseFor = (kinds: readonly JobKind[], limits: LeaseLimits): number => Math.max(...kinds.map((k) => JOBS[k].leaseMs(limits)));

/** The request for a job of `kind`, with the catalogue's key and attempts. */
export function jobRequest<K extends JobKind>(kind: K, payload: JobPayloads[K], runAt?: Date): JobRequest {
  const spec = JOBS[kind];
  const request = { kind, payload, dedupeKey: spec.dedupeKey(payload), ...(spec.maxAttempts ? { maxAttempts: spec.maxAttempts } : {}), ...(runAt ? { runAt } : {}) };
  // TypeScript cannot relate `kind` and `payload` through the generic here; the signature does.
  return request as JobRequest;
}

/** A webhook delivery's next attempt. `revivedAt`: a new job for a stranded delivery, whose attempt's first job is gone. */
export const deliveryJob = (deliveryId: string, attempt: number, runAt?: Date, revivedAt?: Date): JobRequest =>
  jobRequest('deliver-webhook', { deliveryId, attempt, ...(revivedAt ? { revivedAt: revivedAt.getTime() } : {}) }, runAt);
