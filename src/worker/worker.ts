import type { Logger } from 'pino';
import { randomAlphanumeric } from '../core/ids.js';
import type { Job, JobKind, JobQueue } from '../ports/job-queue.js';

export type JobHandler = (job: Job) => Promise<void>;

/** Runs queued jobs with a fixed number of slots; stops by finishing what it holds. */
export class Worker {
  readonly id = `wrk_${randomAlphanumeric(10)}`;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private active = 0;

  constructor(
    private readonly queue: JobQueue,
    private readonly handlers: Record<JobKind, JobHandler>,
    private readonly options: { concurrency: number; leaseMs: number; pollMs: number },
    private readonly log: Logger,
  ) {}

  get busy(): number {
    return this.active;
  }

  start(): void {
    for (let i = 0; i < this.options.concurrency; i++) this.loops.push(this.loop());
  }

  private async loop(): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      let job: Job | undefined;
      try {
        job = await this.queue.claim(this.id, this.options.leaseMs);
      } catch (err) {
        this.log.error({ err }, 'claiming a job failed');
      }
      if (!job) {
        await this.queue.waitForWork(this.options.pollMs, signal);
        continue;
      }
      this.active++;
      try {
        await this.handlers[job.kind](job);
        await this.queue.complete(job);
      } catch (err) {
        const outcome = await this.queue.fail(job, err instanceof Error ? err.message : String(err)).catch(() => 'unknown');
        this.log.warn({ jobId: job.id, kind: job.kind, attempt: job.attempts, outcome, err }, 'job failed');
      } finally {
        this.active--;
      }
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
    this.loops = [];
  }
}
