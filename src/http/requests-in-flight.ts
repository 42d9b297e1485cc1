import type { FastifyInstance } from 'fastify';

/**
 * How many HTTP requests are being answered right now. The in-process worker waits
 * for a moment with none (bounded) before it claims a job: in the embedded default
 * the API and the worker share one event loop, and a client waiting on an answer
 * comes before background work.
 */
export class RequestsInFlight {
  private count = 0;
  private readonly waiters = new Set<() => void>();

  get current(): number {
    return this.count;
  }

  /** Counts every request of `app` until its response closes (WebSocket upgrades are not counted). */
  track(app: FastifyInstance): void {
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers.upgrade) return;
      this.count++;
      reply.raw.once('close', this.leave);
    });
  }

  /** Resolves when no request is in flight, or after `maxWaitMs` at the latest: work is delayed, never starved. */
  quiet(maxWaitMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      this.waiters.add(done);
    });
  }

  private readonly leave = () => {
    if (--this.count > 0) return;
    for (const done of [...this.waiters]) done();
  };
}
