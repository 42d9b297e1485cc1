import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ApiKeyAuthenticator } from '../core/auth.js';
import type { SessionService } from '../core/sessions.js';
import type { TemplateRegistry } from '../core/templates/registry.js';
import type { WebhookService } from '../core/webhooks.js';
import { requireApiKey } from './plugins/auth.js';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandling } from './plugins/errors.js';
import { rateLimitPerTenant } from './plugins/rate-limit.js';
import { negotiateVersion } from './plugins/version.js';
import { audioRoutes } from './routes/audio.js';
import { discoveryRoutes } from './routes/discovery.js';
import { healthRoutes, type Readiness } from './routes/health.js';
import { sessionRoutes } from './routes/sessions.js';
import { templateRoutes } from './routes/templates.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface HttpDeps {
  log: Logger;
  sessions: SessionService;
  webhooks: WebhookService;
  authenticator: ApiKeyAuthenticator;
  templates: TemplateRegistry;
  discovery: Record<string, unknown>;
  readiness: Readiness;
  metrics: { registry: Registry; install(app: FastifyInstance): void };
  limits: { maxJsonBytes: number; maxUploadBytes: number; rateLimitPerMinute: number; publicUrl: string };
}

export async function buildServer(deps: HttpDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: deps.limits.maxJsonBytes,
    routerOptions: { maxParamLength: 500 },
    // Slow clients cannot hold a connection forever.
    requestTimeout: 120_000,
    connectionTimeout: 0,
    keepAliveTimeout: 72_000,
    // Integers stay integers: "3" is not an integer for audio_files_sent.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
    // Router and HTTP-parser failures answer in the protocol's error shape too.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    http: { requireHostHeader: false },
  });
  registerErrorHandling(app);
  deps.metrics.install(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'openscribe session API', version: '0.1.0', description: 'EkaScribe / MedScribeAlliance v0.1 session protocol' },
      servers: [{ url: deps.limits.publicUrl }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/voice/v1/docs' });
  app.get('/voice/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  healthRoutes(app, deps.readiness, deps.metrics.registry);
  await app.register(async (v1) => {
    negotiateVersion(v1);
    discoveryRoutes(v1, deps.discovery);
    await v1.register(async (authed) => {
      requireApiKey(authed, deps.authenticator);
      await rateLimitPerTenant(authed, deps.limits.rateLimitPerMinute);
      sessionRoutes(authed, deps.sessions);
      templateRoutes(authed, deps.templates);
      webhookRoutes(authed, deps.webhooks);
      await authed.register(async (audio) => audioRoutes(audio, deps.sessions, deps.limits.maxUploadBytes));
    }, { prefix: '/voice/v1' });
  });
  return app;
}
