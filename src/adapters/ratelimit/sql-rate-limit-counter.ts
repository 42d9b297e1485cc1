import type { Kysely } from 'kysely';
import type { Clock } from '../../ports/clock.js';
import type { RateLimitCounter } from '../../ports/rate-limit-counter.js';
import type { Database } from '../db/schema.js';

/**
 * Fixed-window counters in the database: one upsert per request, so every API
 * process of a deployment counts against the same budget. Past windows are deleted
 * now and then by whichever process notices first.
 */
export class SqlRateLimitCounter implements RateLimitCounter {
  private nextPrune = 0;
  private widestWindowMs = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async hit(key: string, windowMs: number): Promise<{ count: number; resetAt: Date }> {
    const now = this.clock.now().getTime();
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const row = await this.db
      .insertInto('rate_limits')
      .values({ key, window_start: windowStart, count: 1 })
      .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet((eb) => ({ count: eb(eb.ref('rate_limits.count'), '+', 1) })))
      .returning('count')
      .executeTakeFirstOrThrow();
    this.widestWindowMs = Math.max(this.widestWindowMs, windowMs);
    if (now >= this.nextPrune) {
      this.nextPrune = now + this.widestWindowMs;
      // Best effort: a failed prune is retried a window later.
      void this.prune(new Date(now - this.widestWindowMs)).catch(() => undefined);
    }
    return { count: Number(row.count), resetAt: new Date(windowStart + windowMs) };
  }

  /** Deletes the windows that started before `before` (they are over for every window length up to now − before). */
  async prune(before: Date): Promise<number> {
    const r = await this.db.deleteFrom('rate_limits').where('window_start', '<', before.getTime()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
