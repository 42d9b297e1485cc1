import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { randomAlphanumeric } from '../core/ids.js';
import type { Job, JobKind, JobOf, JobQueue } from '../core/ports/job-queue.js';

/**
 * A handler may give the job back unrun (`releaseUntil`): its receiver is at its
 * concurrency limit (the slot then rests, or it would take the same receiver's next
 * job back at once), or it waits for another job to finish (`rest: false`: the slot
 * goes straight on to other work).
 */
export type JobHandler<K extends JobKind = JobKind> = (job: JobOf<K>) => Promise<void | JobReleased>;
/** A handler per kind a worker runs; each receives its own kind's payload. */
export type JobHandlers = { [K in JobKind]?: JobHandler<K> };
export interface JobReleased {
  releaseUntil: Date;
  rest?: boolean;
}

/** Runs queued jobs with a fixed number of slots; stops by finishing what it holds. */
export class Worker {
  readonly id = `wrk_${randomAlphanumeric(10)}`;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private active = 0;
  /** Jobs being run now, so that a shutdown past its grace period can give them back. */
  private readonly held = new Map<Job, NodeJS.Timeout>();
  private readonly kinds: JobKind[];

  constructor(
    private readonly queue: JobQueue,
    private readonly handlers: JobHandlers,
    private readonly options: {
      concurrency: number;
      leaseMs: number;
      pollMs: number;
      /** Waited for before each claim: the process's API answering first (see RequestsInFlight). */
      beforeClaim?: () => Promise<void>;
    },
    private readonly log: Logger,
  ) {
    // A worker claims only the kinds it handles: deliveries never wait behind transcription.
    this.kinds = Object.keys(handlers) as JobKind[];
    // Every idle slot listens on the one abort signal.
    setMaxListeners(options.concurrency * 2 + 10, this.abort.signal);
  }

  get busy(): number {
    return this.active;
  }

  start(): void {
    for (let i = 0; i < this.options.concurrency; i++) this.loops.push(this.loop());
  }

  private async loop(): Promise<void> {
    const { signal } = this.abort;
    let releasedUntil = 0;
    while (!signal.aborted) {
      // The queue's calls are synchronous SQLite: yield, so that sockets and timers are served between jobs.
      await new Promise((resolve) => setImmediate(resolve));
      await this.options.beforeClaim?.();
      let job: Job | undefined;
      try {
        job = await this.queue.claim(this.id, this.options.leaseMs, this.kinds);
      } catch (err) {
        this.log.error({ err }, 'claiming a job failed');
      }
      if (!job) {
        await this.queue.waitForWork(this.options.pollMs, signal, this.kinds);
        continue;
      }
      this.active++;
      // A long job (a long single upload) renews its lease so that no other worker takes it over.
      const claimed = job;
      const heartbeat = setInterval(() => {
        this.queue.extendLease(claimed, this.id, this.options.leaseMs).catch((err) => this.log.warn({ err, jobId: claimed.id }, 'lease renewal failed'));
      }, Math.max(50, Math.floor(this.options.leaseMs / 3)));
      this.held.set(job, heartbeat);
      this.log.debug({ jobId: job.id, kind: job.kind, attempt: job.attempts }, 'job started');
      try {
        // claim() returned only this worker's kinds; TypeScript cannot pair handler and job by kind itself
        const outcome = await (this.handlers[job.kind] as JobHandler)(job);
        // Given back at shutdown: another worker owns it now.
        if (!this.held.has(job)) continue;
        if (outcome) {
          await this.queue.release(job, this.id, outcome.releaseUntil);
          if (outcome.rest !== false) releasedUntil = outcome.releaseUntil.getTime();
        } else {
          await this.queue.complete(job);
          // Ids and kinds only: operators (and the cluster test) count completions from these lines.
          this.log.info({ jobId: job.id, kind: job.kind, attempt: job.attempts }, 'job completed');
        }
      } catch (err) {
        if (!this.held.has(job)) continue;
        const outcome = await this.queue.fail(job, err instanceof Error ? err.message : String(err)).catch(() => 'unknown');
        this.log.warn({ jobId: job.id, kind: job.kind, attempt: job.attempts, outcome, err }, 'job failed');
      } finally {
        clearInterval(heartbeat);
        this.held.delete(job);
        this.active--;
      }
      const rest = Math.min(this.options.pollMs, releasedUntil - Date.now());
      releasedUntil = 0;
      if (rest > 0) await sleep(rest, undefined, { signal }).catch(() => undefined);
    }
  }

  /**
   * Stops claiming and lets running jobs finish; after `graceMs` the jobs still
   * running are released (due now, attempt not counted) so another worker takes
   * them at once instead of waiting for their lease to run out.
   */
  async stop(graceMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.abort.abort();
    const all = Promise.all(this.loops);
    if (Number.isFinite(graceMs)) {
      let timer: NodeJS.Timeout | undefined;
      const expired = await Promise.race([
        all.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (expired) {
        const jobs = [...this.held.keys()];
        for (const heartbeat of this.held.values()) clearInterval(heartbeat);
        this.held.clear();
        await Promise.all(
          jobs.map((job) =>
            this.queue.release(job, this.id, new Date()).then(
              () => this.log.info({ jobId: job.id, kind: job.kind }, 'job released at shutdown'),
              (err) => this.log.warn({ err, jobId: job.id }, 'releasing a job at shutdown failed'),
            ),
          ),
        );
        this.loops = [];
        return;
      }
    }
    await all;
    this.loops = [];
  }
}
