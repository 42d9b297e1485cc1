import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { ProtocolError } from '../../core/errors.js';
import type { RateLimitCounter } from '../../core/ports/rate-limit-counter.js';

/** @fastify/rate-limit's store interface over a shared RateLimitCounter. */
function counterStore(counter: RateLimitCounter): FastifyRateLimitStoreCtor {
  return class CounterStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      counter.hit(key, timeWindow).then(
        ({ count, resetAt }) => callback(null, { current: count, ttl: Math.max(0, resetAt.getTime() - Date.now()) }),
        (err: Error) => callback(err),
      );
    }

    child(): FastifyRateLimitStore {
      return new CounterStore();
    }
  };
}

/**
 * Per-tenant request budget with X-RateLimit-* headers, 429 + Retry-After beyond it.
 * Counted in this process's memory, or in `counter` when given (shared by every process).
 */
export async function rateLimitPerTenant(app: FastifyInstance, perMinute: number, counter?: RateLimitCounter): Promise<void> {
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    hook: 'onRequest',
    ...(counter ? { store: counterStore(counter) } : {}),
    keyGenerator: (request) => request.principal?.tenantId ?? request.ip,
    errorResponseBuilder: (_request, context) =>
      new ProtocolError('rate_limit_exceeded', `Rate limit of ${context.max} requests per minute exceeded`, {
        limit: context.max,
        retry_after_seconds: Math.ceil(context.ttl / 1000),
      }),
  });
}

/**
 * Routes that need no key (discovery, docs, OpenAPI, health): a budget per client address,
 * counted in this process, so that nobody without a key can keep the server busy with them.
 */
export async function rateLimitPerAddress(app: FastifyInstance, perMinute: number): Promise<void> {
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    hook: 'onRequest',
    keyGenerator: (request) => request.ip,
    errorResponseBuilder: (_request, context) =>
      new ProtocolError('rate_limit_exceeded', `Rate limit of ${context.max} requests per minute per address exceeded`, {
        limit: context.max,
        retry_after_seconds: Math.ceil(context.ttl / 1000),
      }),
  });
}
