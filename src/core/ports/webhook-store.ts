import type { DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent } from '../webhook.js';
import type { SessionTx } from './session-store.js';

/** What a delivery attempt needs: the delivery, its event and its webhook (deleted or not). */
export interface DeliveryToSend {
  delivery: WebhookDelivery;
  event: WebhookEvent;
  webhook: Webhook;
}

/**
 * Webhook subscriptions, the event outbox and the delivery log. Methods taking a
 * `tx` run inside that SessionStore transaction (same database).
 */
export interface WebhookStore {
  insertWebhook(webhook: Webhook): Promise<void>;
  listWebhooks(tenantId: string): Promise<Webhook[]>;
  getWebhook(tenantId: string, id: string): Promise<Webhook | undefined>;
  /** Soft-deletes the webhook and cancels its pending deliveries; false if unknown. */
  deleteWebhook(tenantId: string, id: string, now: Date): Promise<boolean>;

  /** Writes the event and one pending delivery per live webhook subscribed to it (nothing when none is); returns the delivery ids. */
  recordEvent(tx: SessionTx, event: WebhookEvent, newDeliveryId: () => string): Promise<string[]>;

  findDeliveryToSend(deliveryId: string): Promise<DeliveryToSend | undefined>;
  /** Appends the attempt and moves a pending delivery to `status` (still `pending`: due again at `nextAttemptAt`). */
  recordAttempt(tx: SessionTx, deliveryId: string, attempt: WebhookAttempt, status: DeliveryStatus, nextAttemptAt: Date | null): Promise<void>;
  listDeliveries(tenantId: string, webhookId: string, limit: number): Promise<WebhookDelivery[]>;
  getDelivery(tenantId: string, webhookId: string, deliveryId: string): Promise<WebhookDelivery | undefined>;
  /** A finished delivery (succeeded or dead) back to pending, for a redelivery; false if it is not finished. */
  reopenDelivery(tx: SessionTx, tenantId: string, deliveryId: string, now: Date): Promise<boolean>;
  /**
   * Pending deliveries whose next attempt fell due before `before` (oldest first): left
   * without a job, e.g. after its job's own retries ran out during a database outage.
   */
  findStranded(before: Date, limit: number): Promise<Array<{ id: string; attempts: number }>>;
  /** Compare-and-set: a delivery still pending and due before `before` is due again at `now`; false if not (another node took it). */
  reviveDelivery(tx: SessionTx, deliveryId: string, before: Date, now: Date): Promise<boolean>;
  /**
   * Deletes up to `limit` deliveries that finished (succeeded, dead, cancelled) before
   * `before`, with their attempts, then the events older than that left with no
   * delivery; returns the deliveries deleted. Pending deliveries are never touched.
   */
  pruneFinished(before: Date, limit: number): Promise<number>;
}
