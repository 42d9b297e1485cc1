import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Webhook, WebhookDelivery } from '../../core/webhook.js';
import type { WebhookService } from '../../core/webhooks.js';
import {
  CreateWebhookBody,
  CreateWebhookResponse,
  DeliveriesQuery,
  DeliveryBody,
  DeliveryList,
  DeliveryParams,
  ErrorBody,
  WebhookList,
  WebhookParams,
} from '../schemas.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const webhookBody = (w: Webhook) => ({
  webhook_id: w.id,
  url: w.url,
  events: w.events,
  status: 'active' as const,
  created_at: w.createdAt.toISOString(),
});

const deliveryBody = (d: WebhookDelivery) => ({
  delivery_id: d.id,
  event_id: d.eventId,
  event: d.event,
  session_id: d.sessionId,
  status: d.status,
  attempts: d.attempts,
  next_attempt_at: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
  last_status_code: d.lastStatusCode,
  last_error: d.lastError,
  last_latency_ms: d.lastLatencyMs,
  created_at: d.createdAt.toISOString(),
  delivered_at: iso(d.deliveredAt),
  attempt_log: d.attemptLog.map((a) => ({
    attempt: a.attempt,
    at: a.at.toISOString(),
    outcome: a.outcome,
    status_code: a.statusCode,
    latency_ms: a.latencyMs,
    error: a.error,
  })),
});

export function webhookRoutes(base: FastifyInstance, webhooks: WebhookService): void {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { apiKey: [] }];
  const tags = ['webhooks'];

  app.post(
    '/webhooks',
    { schema: { tags, summary: 'Register a webhook', security, body: CreateWebhookBody, response: { 201: CreateWebhookResponse, '4xx': ErrorBody } } },
    async (request, reply) => {
      const w = await webhooks.create(request.principal.tenantId, request.body);
      reply.status(201);
      return { ...webhookBody(w), secret: w.secret! };
    },
  );

  app.get('/webhooks', { schema: { tags, summary: 'List webhooks', security, response: { 200: WebhookList, '4xx': ErrorBody } } }, async (request) => ({
    webhooks: (await webhooks.list(request.principal.tenantId)).map(webhookBody),
  }));

  app.delete(
    '/webhooks/:webhook_id',
    { schema: { tags, summary: 'Delete a webhook (its pending deliveries are cancelled)', security, params: WebhookParams, response: { 204: Type.Null(), '4xx': ErrorBody } } },
    async (request, reply) => {
      await webhooks.delete(request.principal.tenantId, request.params.webhook_id);
      reply.status(204).send(null);
    },
  );

  app.get(
    '/webhooks/:webhook_id/deliveries',
    {
      schema: {
        tags,
        summary: 'Delivery log: attempts, status codes, latency, next retry (newest first)',
        security,
        params: WebhookParams,
        querystring: DeliveriesQuery,
        response: { 200: DeliveryList, '4xx': ErrorBody },
      },
    },
    async (request) => ({
      deliveries: (await webhooks.deliveries(request.principal.tenantId, request.params.webhook_id, request.query.limit ?? 50)).map(deliveryBody),
    }),
  );

  app.post(
    '/webhooks/:webhook_id/deliveries/:delivery_id/redeliver',
    {
      schema: {
        tags,
        summary: 'Send a delivered or dead delivery again (same event id)',
        security,
        params: DeliveryParams,
        response: { 202: DeliveryBody, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const d = await webhooks.redeliver(request.principal.tenantId, request.params.webhook_id, request.params.delivery_id);
      reply.status(202);
      return deliveryBody(d);
    },
  );
}
