import type { FastifyInstance } from 'fastify';
import type { TemplateRegistry } from '../../core/templates/registry.js';
import { ErrorBody, TemplatesResponse } from '../schemas.js';

export function templateRoutes(app: FastifyInstance, templates: TemplateRegistry): void {
  app.get(
    '/templates',
    {
      schema: {
        tags: ['templates'],
        summary: 'Templates this caller may request',
        security: [{ bearerAuth: [] }, { apiKey: [] }],
        response: { 200: TemplatesResponse, '4xx': ErrorBody },
      },
    },
    async (request) => ({
      templates: templates.forTenant(request.principal.tenantId).map(({ id, name, description }) => ({ id, name, description })),
    }),
  );
}
