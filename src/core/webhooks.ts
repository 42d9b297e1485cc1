import type { Clock } from './ports/clock.js';
import type { JobQueue } from './ports/job-queue.js';
import type { SessionStore } from './ports/session-store.js';
import type { WebhookSender } from './ports/webhook-sender.js';
import type { WebhookStore } from './ports/webhook-store.js';
import { ProtocolError } from './errors.js';
import { randomAlphanumeric } from './ids.js';
import { deliveryJob } from './jobs.js';
import { WEBHOOK_EVENTS, type Webhook, type WebhookDelivery, type WebhookEventName } from './webhook.js';

export interface CreateWebhookInput {
  url: string;
  events?: string[];
  secret?: string;
}

const MAX_WEBHOOKS_PER_TENANT = 20;
const MAX_URL_LENGTH = 2048;
const LOOKUP_ID = /^[A-Za-z0-9_-]{1,64}$/;

const webhookNotFound = (id: string) => new ProtocolError('webhook_not_found', `Webhook ${JSON.stringify(id.slice(0, 64))} not found`, { webhook_id: id.slice(0, 64) });

/** Webhook subscriptions of a tenant and their delivery log. */
export class WebhookService {
  constructor(
    private readonly store: SessionStore,
    private readonly webhooks: WebhookStore,
    private readonly queue: JobQueue,
    private readonly sender: Pick<WebhookSender, 'checkDestination'>,
    private readonly clock: Clock,
  ) {}

  /** Registers a webhook; the secret (given, or generated) is in this answer only. */
  async create(tenantId: string, input: CreateWebhookInput): Promise<Webhook> {
    const events = input.events ?? [...WEBHOOK_EVENTS];
    const unknown = events.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
    if (events.length === 0 || unknown.length > 0) {
      throw new ProtocolError('invalid_request', unknown.length ? `Unknown webhook events: ${unknown.join(', ')}` : 'events must name at least one event', {
        field: 'events',
        supported_events: [...WEBHOOK_EVENTS],
      });
    }
    if (input.url.length > MAX_URL_LENGTH) throw new ProtocolError('invalid_request', `url is longer than ${MAX_URL_LENGTH} characters`, { field: 'url' });
    const refused = await this.sender.checkDestination(input.url);
    if (refused) throw new ProtocolError('invalid_request', `Webhook url refused: ${refused}`, { field: 'url' });
    if ((await this.webhooks.listWebhooks(tenantId)).length >= MAX_WEBHOOKS_PER_TENANT) {
      throw new ProtocolError('invalid_request', `A tenant may have at most ${MAX_WEBHOOKS_PER_TENANT} webhooks`, { max_webhooks: MAX_WEBHOOKS_PER_TENANT });
    }
    const webhook: Webhook = {
      tenantId,
      id: `wh_${randomAlphanumeric(20)}`,
      url: input.url,
      events: [...new Set(events)] as WebhookEventName[],
      secret: input.secret ?? `whsec_${randomAlphanumeric(32)}`,
      createdAt: this.clock.now(),
      deletedAt: null,
    };
    await this.webhooks.insertWebhook(webhook);
    return webhook;
  }

  list(tenantId: string): Promise<Webhook[]> {
    return this.webhooks.listWebhooks(tenantId);
  }

  /** Deleting stops deliveries: the pending ones are cancelled. */
  async delete(tenantId: string, id: string): Promise<void> {
    if (!LOOKUP_ID.test(id) || !(await this.webhooks.deleteWebhook(tenantId, id, this.clock.now()))) throw webhookNotFound(id);
  }

  async deliveries(tenantId: string, webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    await this.get(tenantId, webhookId);
    return this.webhooks.listDeliveries(tenantId, webhookId, limit);
  }

  /** Sends a finished (delivered or dead) delivery again, with the same event id. */
  async redeliver(tenantId: string, webhookId: string, deliveryId: string): Promise<WebhookDelivery> {
    await this.get(tenantId, webhookId);
    const delivery = LOOKUP_ID.test(deliveryId) ? await this.webhooks.getDelivery(tenantId, webhookId, deliveryId) : undefined;
    if (!delivery) throw new ProtocolError('delivery_not_found', `Delivery ${JSON.stringify(deliveryId.slice(0, 64))} not found`, { delivery_id: deliveryId.slice(0, 64) });
    const reopened = await this.store.transaction(async (tx) => {
      if (!(await this.webhooks.reopenDelivery(tx, tenantId, deliveryId, this.clock.now()))) return false;
      await this.queue.enqueue(deliveryJob(deliveryId, delivery.attempts + 1), tx);
      return true;
    });
    if (!reopened) {
      throw new ProtocolError('delivery_pending', 'The delivery is still being attempted', { delivery_id: deliveryId, status: delivery.status });
    }
    return (await this.webhooks.getDelivery(tenantId, webhookId, deliveryId))!;
  }

  private async get(tenantId: string, id: string): Promise<Webhook> {
    const webhook = LOOKUP_ID.test(id) ? await this.webhooks.getWebhook(tenantId, id) : undefined;
    if (!webhook) throw webhookNotFound(id);
    return webhook;
  }
}
