import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { SessionService } from '../../core/sessions.js';
import {
  CreateSessionBody,
  CreateSessionResponse,
  EndSessionBody,
  EndSessionResponse,
  ErrorBody,
  GetSessionQuery,
  SessionBody,
  SessionParams,
} from '../schemas.js';

export function sessionRoutes(base: FastifyInstance, sessions: SessionService): void {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { apiKey: [] }];

  app.post(
    '/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Create Session',
        security,
        body: CreateSessionBody,
        response: { 201: CreateSessionResponse, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const s = await sessions.create(request.principal.tenantId, request.body);
      reply.status(201);
      return {
        session_id: s.id,
        status: s.status,
        created_at: s.createdAt.toISOString(),
        expires_at: s.expiresAt.toISOString(),
        upload_url: sessions.uploadUrl(s),
        session_mode: s.mode,
        upload_type: s.uploadType,
        model: s.model,
        templates: s.templates,
        additional_data: s.additionalData,
        patient_details: s.patientDetails ?? {},
      };
    },
  );

  app.get(
    '/sessions/:session_id',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Get Session (202 in progress, 200 completed/failed, 206 partial, 410 expired)',
        security,
        params: SessionParams,
        querystring: GetSessionQuery,
        response: { 200: SessionBody, 202: SessionBody, 206: SessionBody, 410: SessionBody, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const view = await sessions.view(request.principal.tenantId, request.params.session_id, {
        templateId: request.query.template_id,
        templatesFormat: request.query.templates_format ?? 'array',
      });
      reply.status(view.httpStatus).header('cache-control', 'no-store').send(view.body);
    },
  );

  app.post(
    '/sessions/:session_id/end',
    {
      schema: {
        tags: ['sessions'],
        summary: 'End Session: commit, queue processing, 202',
        security,
        params: SessionParams,
        body: EndSessionBody,
        response: { 202: EndSessionResponse, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const body = await sessions.end(request.principal.tenantId, request.params.session_id, request.body.audio_files_sent);
      reply.status(202);
      return body;
    },
  );
}
