import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { ProtocolError } from '../../core/errors.js';

/** Per-tenant request budget with X-RateLimit-* headers, 429 + Retry-After beyond it. */
export async function rateLimitPerTenant(app: FastifyInstance, perMinute: number): Promise<void> {
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    hook: 'onRequest',
    keyGenerator: (request) => request.principal?.tenantId ?? request.ip,
    errorResponseBuilder: (_request, context) =>
      new ProtocolError('rate_limit_exceeded', `Rate limit of ${context.max} requests per minute exceeded`, {
        limit: context.max,
        retry_after_seconds: Math.ceil(context.ttl / 1000),
      }),
  });
}
