import type { JobKind } from '../../core/ports/job-queue.js';

/** Idle claim loops of this process: an enqueue wakes one that takes its kind, not all. */
export class IdleWaiters {
  private readonly idle: Array<{ kinds: readonly JobKind[] | undefined; wake: () => void }> = [];

  wakeOne(kind: JobKind): void {
    this.idle.find((w) => !w.kinds || w.kinds.includes(kind))?.wake();
  }

  /** Wakes one when a job due in `ms` falls due (on the next turn when it is due already). */
  wakeOneIn(kind: JobKind, ms: number): void {
    if (ms > 0) setTimeout(() => this.wakeOne(kind), ms).unref();
    else setImmediate(() => this.wakeOne(kind));
  }

  wakeAll(): void {
    for (const w of [...this.idle]) w.wake();
  }

  /** Resolves on a wake-up for one of `kinds`, on abort, or after `ms`. */
  wait(ms: number, signal: AbortSignal, kinds?: readonly JobKind[]): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter = {
        kinds,
        wake: () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', waiter.wake);
          const i = this.idle.indexOf(waiter);
          if (i >= 0) this.idle.splice(i, 1);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      signal.addEventListener('abort', waiter.wake, { once: true });
      this.idle.push(waiter);
    });
  }
}
