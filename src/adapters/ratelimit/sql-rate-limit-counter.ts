import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../core/ports/clock.js';
import type { RateLimitCounter } from '../../core/ports/rate-limit-counter.js';
import { dialectOf } from '../db/open.js';
import type { Database } from '../db/schema.js';

/**
 * Fixed-window counters in the database: one upsert per request, so every API
 * process of a deployment counts against the same budget. Past windows are deleted
 * now and then by whichever process notices first.
 */
export class SqlRateLimitCounter implements RateLimitCounter {
  private nextPrune = 0;
  private widestWindowMs = 0;
  private readonly postgres: boolean;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {
    this.postgres = dialectOf(db) === 'postgres';
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetAt: Date }> {
    const now = this.clock.now().getTime();
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const row = this.postgres
      ? // Every request of a tenant updates one row: waiting for the WAL flush at each commit
        // would serialise them on the disk. A count lost in a crash costs nothing worth a flush,
        // so this one statement's transaction commits without waiting (set_config … local).
        (
          await sql<{ count: number | string }>`
            INSERT INTO rate_limits (key, window_start, count)
            SELECT ${key}::text, ${windowStart}::bigint, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed
            ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1
            RETURNING count`.execute(this.db)
        ).rows[0]!
      : await this.db
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
