import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestDatabase } from '../helpers/postgres.js';
import { api, createKey, startServer, tempDataDir } from '../helpers/server.js';

// On PostgreSQL a tenant's request budget is one budget, however many API processes serve it.

test('two API processes on one PostgreSQL database count against the same per-tenant limit', { timeout: 180_000 }, async (t) => {
  const pg = await createTestDatabase('rate_limit');
  t.after(() => pg.drop());
  const env = { OPENSCRIBE_DATABASE_URL: pg.url, OPENSCRIBE_RATE_LIMIT_PER_MINUTE: '1000' };
  const dataDir = tempDataDir('pg-rate-limit');
  const key = createKey(dataDir, 'shared-budget', env);
  const one = await startServer({ dataDir, env, args: ['--no-worker'], startTimeoutMs: 120_000 });
  t.after(() => one.stop());
  const two = await startServer({ dataDir: tempDataDir('pg-rate-limit-2'), env, args: ['--no-worker'], startTimeoutMs: 120_000 });
  t.after(() => two.stop());

  const hit = async (base: string) => {
    const r = await api(base, 'GET', '/voice/v1/templates', { key });
    assert.equal(r.status, 200, r.text);
    return { remaining: Number(r.headers.get('x-ratelimit-remaining')), reset: Number(r.headers.get('x-ratelimit-reset')) };
  };
  // A pair of requests inside one window (a minute boundary between them starts a new count: try again).
  for (let attempt = 0; ; attempt++) {
    const first = await hit(one.url);
    const second = await hit(two.url);
    if (second.reset > first.reset) {
      assert.ok(attempt < 5, 'no two requests fell into one window');
      continue;
    }
    assert.equal(second.remaining, first.remaining - 1, 'the second process saw the first one\'s request');
    break;
  }
});
