import type { JobQueue } from './ports/job-queue.js';
import type { SessionTx } from './ports/session-store.js';
import type { WebhookStore } from './ports/webhook-store.js';
import { randomAlphanumeric } from './ids.js';
import type { WebhookEventName } from './webhook.js';
import { deliveryJob } from './jobs.js';

export const newEventId = (): string => `evt_${randomAlphanumeric(20)}`;
export const newDeliveryId = (): string => `whd_${randomAlphanumeric(20)}`;

/**
 * The outbox: every session state change calls `emit` inside its own transaction,
 * so there is no event without its change and no change without its event.
 */
export class SessionEvents {
  constructor(
    private readonly webhooks: WebhookStore,
    private readonly queue: JobQueue,
  ) {}

  async emit(tx: SessionTx, tenantId: string, sessionId: string, event: WebhookEventName, at: Date): Promise<void> {
    // A notification only: no PHI, the receiver fetches the session with its key.
    const body = JSON.stringify({ event, timestamp: at.toISOString(), session_id: sessionId });
    const deliveries = await this.webhooks.recordEvent(tx, { tenantId, id: newEventId(), sessionId, event, body, createdAt: at }, newDeliveryId);
    for (const id of deliveries) await this.queue.enqueue(deliveryJob(id, 1), tx);
  }
}
