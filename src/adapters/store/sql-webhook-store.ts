import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookEventName } from '../../core/webhook.js';
import type { SessionTx } from '../../core/ports/session-store.js';
import type { DeliveryToSend, WebhookStore } from '../../core/ports/webhook-store.js';
import type { Database, WebhookAttemptsTable, WebhooksTable } from '../db/schema.js';

const iso = (d: Date): string => d.toISOString();
const date = (s: string | null): Date | null => (s ? new Date(s) : null);
const trx = (tx: SessionTx) => tx.handle as Transaction<Database>;

function toWebhook(r: Selectable<WebhooksTable>): Webhook {
  return {
    tenantId: r.tenant_id,
    id: r.id,
    url: r.url,
    events: JSON.parse(r.events),
    secret: r.secret,
    createdAt: new Date(r.created_at),
    deletedAt: date(r.deleted_at),
  };
}

function toAttempt(r: Selectable<WebhookAttemptsTable>): WebhookAttempt {
  return {
    attempt: r.attempt,
    at: new Date(r.at),
    outcome: r.outcome as WebhookAttempt['outcome'],
    statusCode: r.status_code,
    latencyMs: r.latency_ms,
    error: r.error,
  };
}

/** WebhookStore on Kysely: dialect-neutral queries, like SqlSessionStore. */
export class SqlWebhookStore implements WebhookStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insertWebhook(w: Webhook): Promise<void> {
    await this.db
      .insertInto('webhooks')
      .values({
        id: w.id,
        tenant_id: w.tenantId,
        url: w.url,
        events: JSON.stringify(w.events),
        secret: w.secret,
        created_at: iso(w.createdAt),
        deleted_at: null,
      })
      .execute();
  }

  async listWebhooks(tenantId: string): Promise<Webhook[]> {
    const rows = await this.db
      .selectFrom('webhooks')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toWebhook);
  }

  async getWebhook(tenantId: string, id: string): Promise<Webhook | undefined> {
    const r = await this.db
      .selectFrom('webhooks')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return r ? toWebhook(r) : undefined;
  }

  async deleteWebhook(tenantId: string, id: string, now: Date): Promise<boolean> {
    return this.db.transaction().execute(async (t) => {
      const r = await t
        .updateTable('webhooks')
        .set({ deleted_at: iso(now) })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return false;
      await t
        .updateTable('webhook_deliveries')
        .set({ status: 'cancelled', next_attempt_at: null, updated_at: iso(now) })
        .where('webhook_id', '=', id)
        .where('status', '=', 'pending')
        .execute();
      return true;
    });
  }

  async recordEvent(tx: SessionTx, e: WebhookEvent, newDeliveryId: () => string): Promise<string[]> {
    const t = trx(tx);
    const hooks = await t
      .selectFrom('webhooks')
      .select(['id', 'events'])
      .where('tenant_id', '=', e.tenantId)
      .where('deleted_at', 'is', null)
      .execute();
    const subscribed = hooks.filter((h) => (JSON.parse(h.events) as WebhookEventName[]).includes(e.event));
    // Nobody to tell: no outbox row (session create and End stay one write lighter, the table does not grow).
    if (subscribed.length === 0) return [];
    await t
      .insertInto('webhook_events')
      .values({ id: e.id, tenant_id: e.tenantId, session_id: e.sessionId, event: e.event, body: e.body, created_at: iso(e.createdAt) })
      .execute();
    const now = iso(e.createdAt);
    const rows = subscribed.map((h) => ({
      id: newDeliveryId(),
      tenant_id: e.tenantId,
      webhook_id: h.id,
      event_id: e.id,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      last_status_code: null,
      last_error: null,
      last_latency_ms: null,
      created_at: now,
      updated_at: now,
      delivered_at: null,
    }));
    await t.insertInto('webhook_deliveries').values(rows).execute();
    return rows.map((r) => r.id);
  }

  async findDeliveryToSend(deliveryId: string): Promise<DeliveryToSend | undefined> {
    // The sender needs no attempt log: one query less on every attempt.
    const [delivery] = await this.deliveries((q) => q.where('d.id', '=', deliveryId), { attemptLog: false });
    if (!delivery) return undefined;
    const [event, hook] = await Promise.all([
      this.db.selectFrom('webhook_events').selectAll().where('id', '=', delivery.eventId).executeTakeFirstOrThrow(),
      this.db.selectFrom('webhooks').selectAll().where('id', '=', delivery.webhookId).executeTakeFirstOrThrow(),
    ]);
    return {
      delivery,
      webhook: toWebhook(hook),
      event: {
        tenantId: event.tenant_id,
        id: event.id,
        sessionId: event.session_id,
        event: event.event as WebhookEventName,
        body: event.body,
        createdAt: new Date(event.created_at),
      },
    };
  }

  async recordAttempt(tx: SessionTx, deliveryId: string, a: WebhookAttempt, status: DeliveryStatus, nextAttemptAt: Date | null): Promise<void> {
    const t = trx(tx);
    await t
      .insertInto('webhook_attempts')
      .values({
        delivery_id: deliveryId,
        attempt: a.attempt,
        at: iso(a.at),
        outcome: a.outcome,
        status_code: a.statusCode,
        latency_ms: a.latencyMs,
        error: a.error,
      })
      // A worker that died after sending but before this row retries the same attempt number.
      .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
      .execute();
    await t
      .updateTable('webhook_deliveries')
      .set({
        status,
        attempts: a.attempt,
        next_attempt_at: nextAttemptAt ? iso(nextAttemptAt) : null,
        last_status_code: a.statusCode,
        last_error: a.error,
        last_latency_ms: a.latencyMs,
        updated_at: iso(a.at),
        ...(status === 'succeeded' ? { delivered_at: iso(a.at) } : {}),
      })
      .where('id', '=', deliveryId)
      // Deleting the webhook meanwhile cancelled it: that stays.
      .where('status', '=', 'pending')
      .execute();
  }

  async listDeliveries(tenantId: string, webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    return this.deliveries((q) =>
      q.where('d.tenant_id', '=', tenantId).where('d.webhook_id', '=', webhookId).orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(limit),
    );
  }

  async getDelivery(tenantId: string, webhookId: string, deliveryId: string): Promise<WebhookDelivery | undefined> {
    const [d] = await this.deliveries((q) => q.where('d.tenant_id', '=', tenantId).where('d.webhook_id', '=', webhookId).where('d.id', '=', deliveryId));
    return d;
  }

  async reopenDelivery(tx: SessionTx, tenantId: string, deliveryId: string, now: Date): Promise<boolean> {
    const r = await trx(tx)
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: iso(now), updated_at: iso(now) })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', deliveryId)
      .where('status', 'in', ['succeeded', 'dead'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async findStranded(before: Date, limit: number): Promise<Array<{ id: string; attempts: number }>> {
    return this.db
      .selectFrom('webhook_deliveries')
      .select(['id', 'attempts'])
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<', iso(before))
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
  }

  async reviveDelivery(tx: SessionTx, deliveryId: string, before: Date, now: Date): Promise<boolean> {
    const r = await trx(tx)
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: iso(now), updated_at: iso(now) })
      .where('id', '=', deliveryId)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<', iso(before))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async pruneFinished(before: Date, limit: number): Promise<number> {
    return this.db.transaction().execute(async (t) => {
      const ids = (
        await t
          .selectFrom('webhook_deliveries')
          .select('id')
          .where('status', 'in', ['succeeded', 'dead', 'cancelled'])
          .where('updated_at', '<', iso(before))
          .limit(limit)
          .execute()
      ).map((r) => r.id);
      if (ids.length > 0) {
        await t.deleteFrom('webhook_attempts').where('delivery_id', 'in', ids).execute();
        await t.deleteFrom('webhook_deliveries').where('id', 'in', ids).execute();
      }
      await t
        .deleteFrom('webhook_events')
        .where('created_at', '<', iso(before))
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('webhook_deliveries').select('id').whereRef('webhook_deliveries.event_id', '=', 'webhook_events.id'))))
        .execute();
      return ids.length;
    });
  }

  /** Deliveries joined to their event, with their attempt log (left empty with `attemptLog: false`). */
  private async deliveries(
    filter: (q: ReturnType<SqlWebhookStore['deliveryQuery']>) => ReturnType<SqlWebhookStore['deliveryQuery']>,
    opts: { attemptLog: boolean } = { attemptLog: true },
  ): Promise<WebhookDelivery[]> {
    const rows = await filter(this.deliveryQuery()).execute();
    if (rows.length === 0) return [];
    const attempts = !opts.attemptLog ? [] : await this.db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('delivery_id', 'in', rows.map((r) => r.id))
      .orderBy('attempt')
      .execute();
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      id: r.id,
      webhookId: r.webhook_id,
      eventId: r.event_id,
      event: r.event as WebhookEventName,
      sessionId: r.session_id,
      status: r.status as DeliveryStatus,
      attempts: r.attempts,
      nextAttemptAt: date(r.next_attempt_at),
      lastStatusCode: r.last_status_code,
      lastError: r.last_error,
      lastLatencyMs: r.last_latency_ms,
      createdAt: new Date(r.created_at),
      deliveredAt: date(r.delivered_at),
      attemptLog: attempts.filter((a) => a.delivery_id === r.id).map(toAttempt),
    }));
  }

  private deliveryQuery() {
    return this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
      .selectAll('d')
      .select(['e.event', 'e.session_id']);
  }
}
