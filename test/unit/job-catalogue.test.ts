import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deliveryJob, JOB_KINDS, jobRequest, JOBS, leaseFor } from '../../src/core/jobs.js';

// The catalogue is the one place a job kind is defined. Its dedupe keys are stored with
// live jobs, so their format must not change between versions (an upgrade would run a
// job twice); these are the formats every earlier version wrote.

test('every kind is in the catalogue, once', () => {
  assert.deepEqual([...JOB_KINDS].sort(), ['deliver-webhook', 'process-session', 'transcribe-chunk']);
});

test('a chunk job: keyed by its blob, two attempts, the job lease', () => {
  const r = jobRequest('transcribe-chunk', { tenantId: 'ten_1', sessionId: 'ses_1', blobKey: 'ten_1/ses_1/0.wav' });
  assert.deepEqual(r, {
    kind: 'transcribe-chunk',
    payload: { tenantId: 'ten_1', sessionId: 'ses_1', blobKey: 'ten_1/ses_1/0.wav' },
    dedupeKey: 'transcribe-chunk:ten_1/ses_1/0.wav',
    maxAttempts: 2,
  });
});

test("End Session's job: one per session, the queue's default attempts", () => {
  const r = jobRequest('process-session', { tenantId: 'ten_1', sessionId: 'ses_1' });
  assert.equal(r.dedupeKey, 'process-session:ten_1:ses_1');
  assert.equal('maxAttempts' in r, false, 'OPENSCRIBE_JOB_MAX_ATTEMPTS applies');
});

test('a delivery attempt: one job per attempt, a revived one keyed apart, five attempts, a short lease', () => {
  const runAt = new Date('2026-12-07T12:00:00Z');
  assert.deepEqual(deliveryJob('whd_1', 2, runAt), {
    kind: 'deliver-webhook',
    payload: { deliveryId: 'whd_1', attempt: 2 },
    dedupeKey: 'deliver-webhook:whd_1:2',
    maxAttempts: 5,
    runAt,
  });
  const revived = deliveryJob('whd_1', 2, undefined, new Date(1_700_000_000_000));
  assert.equal(revived.dedupeKey, 'deliver-webhook:whd_1:2:revived-1700000000000');
  assert.equal('runAt' in revived, false);
  const limits = { jobLeaseMs: 30_000, webhookTimeoutMs: 10_000 };
  assert.equal(JOBS['deliver-webhook'].leaseMs(limits), 15_000);
  assert.equal(leaseFor(['transcribe-chunk', 'process-session'], limits), 30_000);
});
