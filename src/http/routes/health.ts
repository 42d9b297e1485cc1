import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface Readiness {
  check(): Promise<Record<string, 'ok' | string>>;
}

export function healthRoutes(app: FastifyInstance, readiness: Readiness, metrics: Registry): void {
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['operations'], summary: 'Readiness: database, storage, worker' } }, async (_req, reply) => {
    const checks = await readiness.check();
    const ready = Object.values(checks).every((v) => v === 'ok');
    reply.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not_ready', checks };
  });
  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics' } }, async (_req, reply) => {
    reply.type(metrics.contentType);
    return metrics.metrics();
  });
}
