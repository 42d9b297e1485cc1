import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobQueue } from '../../core/ports/job-queue.js';

/** Prometheus metrics: request rate and latency per route, queue depth. */
export function createMetrics(
  queue: JobQueue,
  recognised?: () => Record<'incremental' | 'at_end', number>,
  webhookAttempts?: () => Record<'delivered' | 'retry' | 'rejected', number>,
) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'openscribe_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'openscribe_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'openscribe_jobs',
    help: 'Jobs in the queue by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const s = await queue.stats();
      this.set({ state: 'queued' }, s.queued);
      this.set({ state: 'running' }, s.running);
      this.set({ state: 'dead' }, s.dead);
    },
  });
  /** A gauge over counts a component keeps itself, one label value per key. */
  const countsGauge = (name: string, help: string, label: string, read: () => Record<string, number>) =>
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      collect() {
        for (const [value, n] of Object.entries(read())) this.set({ [label]: value }, n);
      },
    });
  if (recognised) {
    countsGauge('openscribe_chunks_recognised', 'Chunks recognised by this process since start: while recording (incremental) or after End Session (at_end)', 'phase', recognised);
  }
  if (webhookAttempts) {
    countsGauge('openscribe_webhook_attempts', 'Webhook delivery attempts by this process since start, by outcome', 'outcome', webhookAttempts);
  }

  return {
    registry,
    install(app: FastifyInstance) {
      app.addHook('onResponse', async (request, reply) => {
        const route = request.routeOptions.url ?? 'unmatched';
        requests.inc({ method: request.method, route, status: String(reply.statusCode) });
        latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      });
    },
  };
}
