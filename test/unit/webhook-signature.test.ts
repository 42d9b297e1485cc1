/** Webhook HMAC signatures: the header format, and everything a verifier must refuse. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { checkWebhookSignature, signWebhook, verifyWebhookSignature } from '../../src/core/webhook-signature.js';
import * as sdk from '../../src/sdk/index.js';

const SECRET = 'whsec_Vq3kP0zL8nR2tX5yB7cD';
const T = 1_767_225_600; // 2026-01-01T00:00:00Z
const BODY = '{"event":"session.finished","session_id":"s_1","note":"naïve café"}';
const at = { nowSec: T };

describe('signWebhook', () => {
  test('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`, 'utf8').digest('hex');
    assert.equal(signWebhook(SECRET, T, BODY), `t=${T},v1=${expected}`);
  });

  test('refuses a non-integer timestamp', () => {
    assert.throws(() => signWebhook(SECRET, 1.5, BODY), RangeError);
    assert.throws(() => signWebhook(SECRET, -1, BODY), RangeError);
  });
});

describe('verifyWebhookSignature', () => {
  const header = signWebhook(SECRET, T, BODY);

  test('accepts its own signature (string and Buffer body)', () => {
    assert.equal(verifyWebhookSignature(BODY, header, SECRET, at), true);
    assert.equal(verifyWebhookSignature(Buffer.from(BODY, 'utf8'), header, SECRET, at), true);
    assert.deepEqual(checkWebhookSignature(BODY, header, SECRET, at), { ok: true, timestampSec: T });
  });

  test('refuses a tampered body, a tampered timestamp and a wrong secret', () => {
    assert.equal(verifyWebhookSignature(BODY.replace('s_1', 's_2'), header, SECRET, at), false);
    assert.equal(verifyWebhookSignature(`${BODY} `, header, SECRET, at), false);
    assert.equal(verifyWebhookSignature(BODY, header.replace(`t=${T}`, `t=${T + 1}`), SECRET, at), false);
    assert.equal(verifyWebhookSignature(BODY, header, `${SECRET}x`, at), false);
    assert.deepEqual(checkWebhookSignature(BODY, header, 'other', at), { ok: false, reason: 'mismatch' });
  });

  test('refuses a timestamp outside the tolerance, either way', () => {
    assert.equal(verifyWebhookSignature(BODY, header, SECRET, { nowSec: T + 300 }), true);
    assert.equal(verifyWebhookSignature(BODY, header, SECRET, { nowSec: T - 300 }), true);
    assert.deepEqual(checkWebhookSignature(BODY, header, SECRET, { nowSec: T + 301 }), { ok: false, reason: 'timestamp_out_of_tolerance' });
    assert.deepEqual(checkWebhookSignature(BODY, header, SECRET, { nowSec: T - 301 }), { ok: false, reason: 'timestamp_out_of_tolerance' });
    assert.equal(verifyWebhookSignature(BODY, header, SECRET, { nowSec: T + 1000, toleranceSeconds: 1000 }), true);
    // default "now" is the real clock: a 2026-01-01 signature is long stale by then, or still in the future before
    const fresh = Math.floor(Date.now() / 1000);
    assert.equal(verifyWebhookSignature(BODY, signWebhook(SECRET, fresh, BODY), SECRET), true);
    assert.equal(verifyWebhookSignature(BODY, signWebhook(SECRET, fresh - 3600, BODY), SECRET), false);
    assert.equal(verifyWebhookSignature(BODY, signWebhook(SECRET, fresh + 3600, BODY), SECRET), false);
  });

  test('refuses malformed headers without throwing', () => {
    const v1 = header.split(',v1=')[1]!;
    const bad: (string | undefined)[] = [
      undefined,
      '',
      'garbage',
      `v1=${v1}`, // no t
      `t=${T}`, // no v1
      `t=${T},t=${T},v1=${v1}`, // two t
      `t=abc,v1=${v1}`,
      `t=-${T},v1=${v1}`,
      `t=${T}.5,v1=${v1}`,
      `t=${T},v1=${v1.slice(2)}`, // short
      `t=${T},v1=${v1}00`, // long
      `t=${T},v1=${v1.slice(1)}z`, // not hex
      `t=${T},v1`,
      `t=${T},v1=${v1},`,
      `t=${T};v1=${v1}`,
      `t=${T},v1=${v1}`.padEnd(10_000, ' '),
    ];
    for (const h of bad) {
      assert.doesNotThrow(() => verifyWebhookSignature(BODY, h, SECRET, at));
      assert.equal(verifyWebhookSignature(BODY, h, SECRET, at), false, String(h).slice(0, 80));
    }
    assert.deepEqual(checkWebhookSignature(BODY, undefined, SECRET, at), { ok: false, reason: 'missing_header' });
    assert.deepEqual(checkWebhookSignature(BODY, 'garbage', SECRET, at), { ok: false, reason: 'malformed_header' });
  });

  test('tolerates spaces and unknown schemes, and refuses an empty secret or odd inputs', () => {
    assert.equal(verifyWebhookSignature(BODY, ` t=${T} , v0=abc , ${header.split(',')[1]} `, SECRET, at), true);
    assert.deepEqual(checkWebhookSignature(BODY, header, '', at), { ok: false, reason: 'no_secret' });
    const untyped = verifyWebhookSignature as (...args: unknown[]) => boolean;
    assert.equal(untyped({ not: 'a body' }, header, SECRET, at), false);
    assert.equal(untyped(BODY, ['array'], SECRET, at), false);
    assert.equal(untyped(BODY, header, 42, at), false);
  });

  test('accepts any one of several v1 values (secret rotation)', () => {
    const oldSig = signWebhook('old-secret', T, BODY).split(',')[1]!;
    const newSig = signWebhook(SECRET, T, BODY).split(',')[1]!;
    const both = `t=${T},${oldSig},${newSig}`;
    assert.equal(verifyWebhookSignature(BODY, both, SECRET, at), true);
    assert.equal(verifyWebhookSignature(BODY, both, 'old-secret', at), true);
    assert.equal(verifyWebhookSignature(BODY, both, 'third-secret', at), false);
  });

  test('is what the SDK exports, with the header names', () => {
    assert.equal(sdk.verifyWebhookSignature, verifyWebhookSignature);
    assert.equal(sdk.WEBHOOK_SIGNATURE_HEADER, 'X-MSA-Signature');
    assert.equal(sdk.WEBHOOK_EVENT_ID_HEADER, 'X-MSA-Event-Id');
    assert.equal(sdk.WEBHOOK_EVENT_HEADER, 'X-MSA-Event');
  });
});
