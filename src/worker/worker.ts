import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { randomAlphanumeric } from '../core/ids.js';
import type { Job, JobKind, JobQueue } from '../ports/job-queue.js';

/** A handler may give the job back unrun (`releaseUntil`), e.g. when its receiver is at its concurrency limit. */
export type JobHandler = (job: Job) => Promise<void | { releaseUntil: Date }>;

/** Runs queued jobs with a fixed number of slots; stops by finishing what it holds. */
export class Worker {
  readonly id = `wrk_${randomAlphanumeric(10)}`;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private active = 0;
  private readonly kinds: JobKind[];

  constructor(
    private readonly queue: JobQueue,
    private readonly handlers: Partial<Record<JobKind, JobHandler>>,
    private readonly options: { concurrency: number; leaseMs: number; pollMs: number },
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
      try {
        const outcome = await this.handlers[job.kind]!(job);
        if (outcome) {
          await this.queue.release(job, this.id, outcome.releaseUntil);
          // This slot rests until then: claiming straight away would take the same kind of job back at once.
          releasedUntil = outcome.releaseUntil.getTime();
        } else {
          await this.queue.complete(job);
        }
      } catch (err) {
        const outcome = await this.queue.fail(job, err instanceof Error ? err.message : String(err)).catch(() => 'unknown');
        this.log.warn({ jobId: job.id, kind: job.kind, attempt: job.attempts, outcome, err }, 'job failed');
      } finally {
        clearInterval(heartbeat);
        this.active--;
      }
      const rest = Math.min(this.options.pollMs, releasedUntil - Date.now());
      releasedUntil = 0;
      if (rest > 0) await sleep(rest, undefined, { signal }).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
    this.loops = [];
  }
}
