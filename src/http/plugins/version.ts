import type { FastifyInstance } from 'fastify';
import { SUPPORTED_VERSIONS } from '../../core/discovery.js';
import { ProtocolError } from '../../core/errors.js';

/** `MSA-Version` negotiation: absent means current; anything unsupported is refused. */
export function negotiateVersion(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const requested = request.headers['msa-version'];
    if (requested === undefined) return;
    const value = Array.isArray(requested) ? requested.join(',') : requested.trim();
    if (!(SUPPORTED_VERSIONS as readonly string[]).includes(value)) {
      throw new ProtocolError('unsupported_version', `MSA-Version ${JSON.stringify(value.slice(0, 20))} is not supported`, {
        requested_version: value.slice(0, 20),
        supported_versions: [...SUPPORTED_VERSIONS],
      });
    }
    reply.header('msa-version', value);
  });
}
