import assert from 'node:assert/strict';
import { test } from 'node:test';
import { webhookBackoffMs } from '../../src/core/webhook.js';

test('webhook backoff: ×4 per failed attempt from the base, capped; the default 8 attempts span about a day', () => {
  const mid = () => 0.5; // no jitter
  const base = 60_000;
  const cap = 8 * 3_600_000;
  const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => webhookBackoffMs(n, base, cap, mid));
  assert.deepEqual(delays, [60_000, 240_000, 960_000, 3_840_000, 15_360_000, cap, cap]);
  const hours = delays.reduce((a, b) => a + b, 0) / 3_600_000;
  assert.ok(hours > 20 && hours < 26, `${hours.toFixed(1)} h`);
  // ±20 % jitter
  assert.equal(webhookBackoffMs(1, base, cap, () => 0), 48_000);
  assert.equal(webhookBackoffMs(1, base, cap, () => 1), 72_000);
});
