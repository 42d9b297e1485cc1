import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ApiKeyAuthenticator } from '../core/auth.js';
import type { SessionService } from '../core/sessions.js';
import type { TemplateRegistry } from '../core/templates/registry.js';
import type { WebhookService } from '../core/webhooks.js';
import type { AuditLog } from '../core/ports/audit-log.js';
import type { RateLimitCounter } from '../core/ports/rate-limit-counter.js';
import { auditRequests } from './plugins/audit.js';
import { boundJsonBodies } from './json-body.js';
import type { RequestsInFlight } from './requests-in-flight.js';
import { consolePlugin, type ConsoleOptions } from './plugins/console.js';
import { requireApiKey } from './plugins/auth.js';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandling } from './plugins/errors.js';
import { rateLimitPerAddress, rateLimitPerTenant } from './plugins/rate-limit.js';
import { boundConnections } from './connection-limits.js';
import { negotiateVersion } from './plugins/version.js';
import { audioRoutes } from './routes/audio.js';
import { discoveryRoutes } from './routes/discovery.js';
import { healthRoutes, type Readiness } from './routes/health.js';
import { sessionRoutes } from './routes/sessions.js';
import { MAX_STREAM_FRAME_BYTES, streamRoutes } from './routes/stream.js';
import type { StreamRegistry } from './stream/registry.js';
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
  limits: {
    maxJsonBytes: number;
    maxUploadBytes: number;
    /** JSON bodies nested deeper are refused (400) before they are parsed. */
    maxJsonDepth: number;
    rateLimitPerMinute: number;
    /** Per client address, on the routes that need no key. */
    publicRateLimitPerMinute: number;
    /** Open sockets, requests per keep-alive socket, pipelined requests not yet answered. */
    connections: { max: number; maxRequestsPerSocket: number; maxPipelined: number };
    publicUrl: string;
    /** Slow-client cut-offs (ms); defaults below when absent. */
    timeouts?: { requestMs: number; headersMs: number; keepAliveMs: number };
  };
  /** Shared request counts (PostgreSQL deployments); absent: counted in this process. */
  rateLimitCounter?: RateLimitCounter;
  /** Records every authenticated request (who, what, when, which session); absent: not recorded. */
  auditLog?: AuditLog;
  /** The browser console at `/`; absent: not served. */
  console?: ConsoleOptions;
  /** Live audio sockets (Stream Audio); absent: no stream route. */
  streams?: StreamRegistry;
  /** Counts requests being answered (the in-process worker yields to them); absent: not counted. */
  inFlight?: RequestsInFlight;
}

export async function buildServer(deps: HttpDeps): Promise<FastifyInstance> {
  const timeouts = deps.limits.timeouts ?? { requestMs: 120_000, headersMs: 30_000, keepAliveMs: 72_000 };
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: deps.limits.maxJsonBytes,
    routerOptions: { maxParamLength: 500 },
    // Slow clients cannot hold a connection forever: a whole request (headers + body) within
    // requestTimeout, headers within headersTimeout (set below), idle keep-alive sockets closed.
    requestTimeout: timeouts.requestMs,
    connectionTimeout: 0,
    keepAliveTimeout: timeouts.keepAliveMs,
    // Integers stay integers: "3" is not an integer for audio_files_sent.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
    // Router and HTTP-parser failures answer in the protocol's error shape too.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    // Node checks request/header deadlines on this interval (default 30 s): keep it under the shortest.
    http: { requireHostHeader: false, connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(Math.min(timeouts.requestMs, timeouts.headersMs) / 4))) },
  });
  app.server.headersTimeout = Math.min(timeouts.headersMs, timeouts.requestMs);
  boundConnections(app.server, deps.limits.connections);
  // Requests already parsed from a socket destroyed for flooding are not worked on.
  app.addHook('onRequest', async (request, reply) => {
    if (request.raw.socket?.destroyed) return reply.hijack();
  });
  registerErrorHandling(app);
  boundJsonBodies(app, deps.limits.maxJsonDepth);
  deps.inFlight?.track(app);
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
  // The routes anyone may call without a key are budgeted per address.
  await app.register(async (pub) => {
    await rateLimitPerAddress(pub, deps.limits.publicRateLimitPerMinute);
    await pub.register(swaggerUi, { routePrefix: '/voice/v1/docs' });
    pub.get('/voice/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    healthRoutes(pub, deps.readiness, deps.metrics.registry);
  });
  if (deps.console) await consolePlugin(app, deps.console);
  await app.register(async (v1) => {
    negotiateVersion(v1);
    await v1.register(async (pub) => {
      await rateLimitPerAddress(pub, deps.limits.publicRateLimitPerMinute);
      discoveryRoutes(pub, deps.discovery);
    });
    const streams = deps.streams;
    if (streams) {
      // Authenticated inside (header or URL token): browsers cannot set headers on a WebSocket.
      await v1.register(async (ws) => {
        await ws.register(websocket, { options: { maxPayload: MAX_STREAM_FRAME_BYTES } });
        streamRoutes(ws, { sessions: deps.sessions, authenticator: deps.authenticator, streams });
      }, { prefix: '/voice/v1' });
    }
    await v1.register(async (authed) => {
      requireApiKey(authed, deps.authenticator);
      if (deps.auditLog) auditRequests(authed, deps.auditLog, deps.log);
      await rateLimitPerTenant(authed, deps.limits.rateLimitPerMinute, deps.rateLimitCounter);
      sessionRoutes(authed, deps.sessions);
      templateRoutes(authed, deps.templates);
      webhookRoutes(authed, deps.webhooks);
      await authed.register(async (audio) => audioRoutes(audio, deps.sessions, deps.limits.maxUploadBytes));
    }, { prefix: '/voice/v1' });
  });
  return app;
}
