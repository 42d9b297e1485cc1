import type { FastifyInstance } from 'fastify';
import { credentialFrom, type ApiKeyAuthenticator, type Principal } from '../../core/auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/** Authenticates every route registered in this scope, before its body is read. */
export function requireApiKey(app: FastifyInstance, authenticator: ApiKeyAuthenticator): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    request.principal = await authenticator.authenticate(credentialFrom(request.headers));
  });
}
