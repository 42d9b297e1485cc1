import type { Logger } from 'pino';
import type { WebhookConfig } from '../config.js';
import { deliveryJob, type JobOf } from '../core/jobs.js';
import { webhookBackoffMs, type DeliveryStatus, type WebhookAttempt } from '../core/webhook.js';
import type { Clock } from '../core/ports/clock.js';
import type { JobQueue } from '../core/ports/job-queue.js';
import type { SessionStore } from '../core/ports/session-store.js';
import type { WebhookSender } from '../core/ports/webhook-sender.js';
import type { WebhookStore } from '../core/ports/webhook-store.js';

export interface WebhookDelivererDeps {
  store: SessionStore;
  webhooks: WebhookStore;
  queue: JobQueue;
  sender: WebhookSender;
  clock: Clock;
  log: Logger;
  config: Pick<WebhookConfig, 'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs' | 'perEndpointConcurrency'>;
}

/** How long a job waits when its webhook already has its fill of requests in flight. */
const BUSY_RELEASE_MS = 50;

/**
 * One attempt of one delivery per job (`deliver-webhook`). The attempt, the delivery's
 * new state and the job of its next attempt commit together, so a crash repeats at most
 * the attempt in flight (same `X-MSA-Event-Id`) and never loses one.
 */
export class WebhookDeliverer {
  /** Requests in flight per webhook in this process: one slow receiver cannot take every slot. */
  private readonly inFlight = new Map<string, number>();
  /** Attempts by outcome since start (for /metrics). */
  readonly counts = { delivered: 0, retry: 0, rejected: 0 };

  constructor(private readonly deps: WebhookDelivererDeps) {}

  readonly handle = async (job: JobOf<'deliver-webhook'>): Promise<void | { releaseUntil: Date }> => {
    const { deliveryId } = job.payload;
    const found = await this.deps.webhooks.findDeliveryToSend(deliveryId);
    // Delivered by a twin job, cancelled by deleting its webhook, or gone: nothing to do.
    if (!found || found.delivery.status !== 'pending' || found.webhook.deletedAt) return;
    const { delivery, event, webhook } = found;

    const busy = this.inFlight.get(webhook.id) ?? 0;
    if (busy >= this.deps.config.perEndpointConcurrency) {
      return { releaseUntil: new Date(this.deps.clock.now().getTime() + BUSY_RELEASE_MS * (0.5 + Math.random())) };
    }
    this.inFlight.set(webhook.id, busy + 1);
    let outcome;
    const attempt = delivery.attempts + 1;
    const at = this.deps.clock.now();
    try {
      outcome = await this.deps.sender.send({
        url: webhook.url,
        body: event.body,
        eventId: event.id,
        event: event.event,
        ...(webhook.secret ? { secret: webhook.secret } : {}),
        timestampSec: Math.floor(at.getTime() / 1000),
      });
    } finally {
      const left = (this.inFlight.get(webhook.id) ?? 1) - 1;
      if (left > 0) this.inFlight.set(webhook.id, left);
      else this.inFlight.delete(webhook.id);
    }

    this.counts[outcome.kind]++;
    const record: WebhookAttempt = {
      attempt,
      at,
      outcome: outcome.kind,
      statusCode: outcome.statusCode ?? null,
      latencyMs: outcome.latencyMs,
      error: outcome.kind === 'delivered' ? null : outcome.error.slice(0, 500),
    };
    const { maxAttempts, backoffBaseMs, backoffMaxMs } = this.deps.config;
    let status: DeliveryStatus = outcome.kind === 'delivered' ? 'succeeded' : 'dead';
    let next: Date | null = null;
    if (outcome.kind === 'retry' && attempt < maxAttempts) {
      status = 'pending';
      const wait = Math.max(webhookBackoffMs(attempt, backoffBaseMs, backoffMaxMs), Math.min(outcome.retryAfterMs ?? 0, backoffMaxMs));
      next = new Date(this.deps.clock.now().getTime() + wait);
    }
    await this.deps.store.transaction(async (tx) => {
      await this.deps.webhooks.recordAttempt(tx, delivery.id, record, status, next);
      if (next) await this.deps.queue.enqueue(deliveryJob(delivery.id, attempt + 1, next), tx);
    });
    // Ids and codes only: the URL may carry a token, the body names a session.
    this.deps.log.info(
      { webhookId: webhook.id, deliveryId: delivery.id, event: event.event, attempt, outcome: outcome.kind, statusCode: outcome.statusCode, latencyMs: outcome.latencyMs, status },
      'webhook delivery attempt',
    );
  };
}
