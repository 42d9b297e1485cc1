import type { Logger } from 'pino';
import type { SessionEvents } from '../core/session-events.js';
import { deliveryJob, JobKeys } from '../core/jobs.js';
import type { AuditLog } from '../core/ports/audit-log.js';
import type { BlobStore } from '../core/ports/blob-store.js';
import type { Clock } from '../core/ports/clock.js';
import type { JobQueue } from '../core/ports/job-queue.js';
import type { SessionStore } from '../core/ports/session-store.js';
import type { WebhookStore } from '../core/ports/webhook-store.js';
import type { TemplateRegistry } from '../core/templates/registry.js';
import { processingFailedResult } from './failed-result.js';

export interface SweeperDeps {
  store: SessionStore;
  blobs: BlobStore;
  queue: JobQueue;
  clock: Clock;
  events: SessionEvents;
  log: Logger;
  retentionDays: number;
  /** Pruned to `auditRetentionDays` (default 365) when given. */
  audit?: AuditLog;
  auditRetentionDays?: number;
  /** Finished deliveries pruned after `webhookRetentionDays` (default 30) when given. */
  webhooks?: WebhookStore;
  webhookRetentionDays?: number;
  /** For the result of a session the sweeper has to fail. */
  templates: TemplateRegistry;
  /** A session still `processing` this long after End Session is failed, live job or not. */
  processingDeadlineMs: number;
}

/**
 * A processing session with no live job this long after End Session is stuck (End Session
 * enqueues the job in its own transaction, so only a dead-lettered or lost job leaves none).
 */
export const STUCK_GRACE_MS = 60_000;

/**
 * Ends `failed` (with `session.failed`) every session left `processing` with no job that could
 * still finish it (its job dead-lettered: a worker killed on every attempt, say), or past the
 * processing deadline. No session is left without a terminal state. Safe on many nodes at once.
 */
export async function finishStuckSessions(deps: SweeperDeps, batch = 200): Promise<number> {
  const now = deps.clock.now().getTime();
  const candidates = await deps.store.findProcessing(new Date(now - STUCK_GRACE_MS), batch);
  if (candidates.length === 0) return 0;
  const keyOf = (c: { tenantId: string; id: string }) => JobKeys.processSession(c.tenantId, c.id);
  const live = await deps.queue.live(candidates.map(keyOf));
  let failed = 0;
  for (const c of candidates) {
    const overdue = now - c.endedAt.getTime() >= deps.processingDeadlineMs;
    if (live.has(keyOf(c)) && !overdue) continue;
    const session = await deps.store.getSession(c.tenantId, c.id);
    if (!session || session.status !== 'processing') continue;
    const message = overdue
      ? `Processing did not finish within ${Math.round(deps.processingDeadlineMs / 1000)} s of End Session`
      : 'Processing stopped: its job failed on every attempt';
    const result = processingFailedResult(session, deps.templates, message);
    const at = deps.clock.now();
    const done = await deps.store.transaction(async (tx) => {
      if (!(await tx.finishSession(c.tenantId, c.id, 'failed', result, at))) return false;
      await deps.events.emit(tx, c.tenantId, c.id, 'session.failed', at);
      return true;
    });
    if (done) {
      failed++;
      deps.log.error({ sessionId: c.id, overdue }, 'stuck session finished failed');
    }
  }
  return failed;
}

/** Marks open sessions past their deadline `expired`. Safe to run on many nodes at once. */
export async function expireDueSessions(deps: SweeperDeps, batch = 500): Promise<number> {
  const due = await deps.store.findExpirable(deps.clock.now(), batch);
  let expired = 0;
  for (const s of due) {
    const now = deps.clock.now();
    const done = await deps.store.transaction(async (tx) => {
      if (!(await tx.expireSession(s.tenantId, s.id, now))) return false;
      await deps.events.emit(tx, s.tenantId, s.id, 'session.expired', now);
      return true;
    });
    if (done) expired++;
  }
  if (expired > 0) deps.log.info({ expired }, 'sessions expired');
  return expired;
}

/** Deletes the audio of sessions finished (or expired) longer ago than the retention period. */
export async function purgeOldAudio(deps: SweeperDeps, batch = 200): Promise<number> {
  const before = new Date(deps.clock.now().getTime() - deps.retentionDays * 86_400_000);
  const due = await deps.store.findPurgeable(before, batch);
  for (const s of due) {
    await deps.blobs.deletePrefix(`${s.tenantId}/${s.id}`);
    await deps.store.markAudioPurged(s.tenantId, s.id, deps.clock.now());
  }
  if (due.length > 0) deps.log.info({ purged: due.length }, 'session audio purged');
  return due.length;
}

/** Deletes audit log entries older than the audit retention period. */
export async function pruneAuditLog(deps: SweeperDeps): Promise<number> {
  if (!deps.audit) return 0;
  const before = new Date(deps.clock.now().getTime() - (deps.auditRetentionDays ?? 365) * 86_400_000);
  const pruned = await deps.audit.prune(before);
  if (pruned > 0) deps.log.info({ pruned }, 'audit log pruned');
  return pruned;
}

/** Deletes finished webhook deliveries, their attempts and events older than the webhook retention period. */
export async function pruneWebhookLog(deps: SweeperDeps, batch = 1000): Promise<number> {
  if (!deps.webhooks) return 0;
  const before = new Date(deps.clock.now().getTime() - (deps.webhookRetentionDays ?? 30) * 86_400_000);
  let pruned = 0;
  for (;;) {
    const n = await deps.webhooks.pruneFinished(before, batch);
    pruned += n;
    if (n < batch) break;
  }
  if (pruned > 0) deps.log.info({ pruned }, 'webhook deliveries pruned');
  return pruned;
}

/**
 * A pending delivery this long past due has no job left: the job of its attempt ran out of
 * its own retries (database errors, kills) and was dead-lettered. Well past any backoff or
 * backlog, so a live job is rarely doubled (and a double only repeats a send: same event id).
 */
export const STRANDED_DELIVERY_MS = 60 * 60_000;

/** Gives every stranded delivery a new job, so that no event stays undelivered for good. */
export async function reviveStrandedDeliveries(deps: SweeperDeps, batch = 200): Promise<number> {
  if (!deps.webhooks) return 0;
  const webhooks = deps.webhooks;
  const before = new Date(deps.clock.now().getTime() - STRANDED_DELIVERY_MS);
  let revived = 0;
  for (const d of await webhooks.findStranded(before, batch)) {
    const now = deps.clock.now();
    const done = await deps.store.transaction(async (tx) => {
      if (!(await webhooks.reviveDelivery(tx, d.id, before, now))) return false;
      await deps.queue.enqueue(deliveryJob(d.id, d.attempts + 1, undefined, now), tx);
      return true;
    });
    if (done) revived++;
  }
  if (revived > 0) deps.log.warn({ revived }, 'stranded webhook deliveries given a new job');
  return revived;
}

const DONE_JOB_RETENTION_MS = 7 * 86_400_000;

/** Runs the sweeps every `intervalMs` until stopped. */
export function startSweeper(deps: SweeperDeps, intervalMs: number): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const tick = () => {
    // A sweep slowed by a database outage is not joined by the next one; failures are retried next round.
    if (busy) return;
    busy = true;
    running = (async () => {
      await expireDueSessions(deps);
      await finishStuckSessions(deps);
      await purgeOldAudio(deps);
      await deps.queue.prune(new Date(deps.clock.now().getTime() - DONE_JOB_RETENTION_MS));
      await pruneAuditLog(deps);
      await pruneWebhookLog(deps);
      await reviveStrandedDeliveries(deps);
    })()
      .catch((err) => deps.log.error({ err }, 'sweep failed'))
      .finally(() => (busy = false));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
