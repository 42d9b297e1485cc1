import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newJobId, randomAlphanumeric, uuidV7 } from '../../src/core/ids.js';

test('randomAlphanumeric: the length asked for, [A-Za-z0-9] only, no repeats across many draws', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5_000; i++) {
    const s = randomAlphanumeric(20);
    assert.match(s, /^[A-Za-z0-9]{20}$/);
    seen.add(s);
  }
  assert.equal(seen.size, 5_000);
  // Every character turns up: the pooled bytes are not stuck or biased to a few values.
  assert.equal(new Set(randomAlphanumeric(20_000)).size, 62);
});

test('job ids sort by creation time and stay unique within one millisecond', async () => {
  const first = Array.from({ length: 1_000 }, newJobId);
  await new Promise((r) => setTimeout(r, 5));
  const later = newJobId();
  assert.equal(new Set(first).size, 1_000);
  for (const id of first) {
    assert.match(id, /^job_[0-9A-Za-z]{20}$/);
    assert.ok(id.slice(0, 12) <= later.slice(0, 12), `${id} sorts before ${later}`);
    assert.ok(id < later);
  }
});

test('uuidV7: RFC 9562 version and variant bits, the time in the first 48 bits, ordered by time', () => {
  const at = Date.UTC(2026, 11, 5, 12, 0, 0);
  const id = uuidV7(at);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), at);
  assert.ok(uuidV7(at) < uuidV7(at + 1));
  assert.notEqual(uuidV7(at), uuidV7(at));
});
