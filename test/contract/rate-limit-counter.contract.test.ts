import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { SqlRateLimitCounter } from '../../src/adapters/ratelimit/sql-rate-limit-counter.js';
import type { Database } from '../../src/adapters/db/schema.js';
import { TestClock } from '../helpers/clock.js';
import { BACKENDS } from './session-store-backends.js';

// The shared rate-limit counter, on every database it runs on.

for (const backend of BACKENDS) {
  describe(`SqlRateLimitCounter on ${backend.name}`, () => {
    let db: Kysely<Database>;
    let close: () => Promise<void>;
    before(async () => ({ db, close } = await backend.open()));
    after(() => close());

    test('counts per key within a fixed window, and starts again in the next', async () => {
      const clock = new TestClock();
      const counter = new SqlRateLimitCounter(db, clock);
      const windowStart = Math.floor(clock.t / 60_000) * 60_000;
      assert.deepEqual(await counter.hit('a', 60_000), { count: 1, resetAt: new Date(windowStart + 60_000) });
      assert.equal((await counter.hit('a', 60_000)).count, 2);
      assert.equal((await counter.hit('b', 60_000)).count, 1, 'keys count apart');
      clock.advance(60_000);
      assert.deepEqual(await counter.hit('a', 60_000), { count: 1, resetAt: new Date(windowStart + 120_000) });
    });

    test('simultaneous requests each count once, across counters', async () => {
      const clock = new TestClock();
      const one = new SqlRateLimitCounter(db, clock);
      const two = new SqlRateLimitCounter(db, clock);
      const counts = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).hit('burst', 60_000).then((r) => r.count)));
      assert.deepEqual(counts.sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 1));
    });

    test('past windows are pruned', async () => {
      const clock = new TestClock();
      const counter = new SqlRateLimitCounter(db, clock);
      await counter.hit('old', 1000);
      clock.advance(5000);
      await counter.prune(new Date(clock.t - 1000));
      const left = await db.selectFrom('rate_limits').select('key').where('key', '=', 'old').execute();
      assert.deepEqual(left, []);
    });
  });
}
