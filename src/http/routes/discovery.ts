import type { FastifyInstance } from 'fastify';

/** Public discovery document, at the protocol path and the MSA well-known path. */
export function discoveryRoutes(app: FastifyInstance, document: Record<string, unknown>): void {
  const body = JSON.stringify(document);
  for (const url of ['/.well-known/medscribealliance', '/voice/v1/.well-known/medscribealliance']) {
    app.get(url, { schema: { tags: ['discovery'], summary: 'Discovery document (public)' } }, async (_req, reply) => {
      reply.header('cache-control', 'public, max-age=10800').type('application/json').send(body);
    });
  }
}
