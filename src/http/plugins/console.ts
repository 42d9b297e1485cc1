import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export interface ConsoleOptions {
  enabled: boolean;
  /** The Vite build of web/ (index.html + assets/). */
  dir: string;
}

export const CONSOLE_CSP =
  "default-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob:; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'";

/**
 * The browser console at `/`: one route per built file (no wildcard, so no other
 * path changes behaviour). Hashed assets are cached for a year, index.html is
 * revalidated. Not built: `/` says how to build it, with 503.
 */
export async function consolePlugin(app: FastifyInstance, opts: ConsoleOptions): Promise<void> {
  if (!opts.enabled) return;
  const secure = (reply: { header(k: string, v: string): unknown }) => {
    reply.header('content-security-policy', CONSOLE_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  };
  if (!fs.existsSync(path.join(opts.dir, 'index.html'))) {
    app.log.warn({ dir: opts.dir }, 'web console not built; run `npm run build` (or OPENSCRIBE_CONSOLE=0 to turn it off)');
    app.get('/', { schema: { hide: true } }, async (_request, reply) => {
      secure(reply);
      reply.status(503).header('cache-control', 'no-store');
      return {
        error: {
          code: 'service_unavailable',
          message: 'The web console is not built. Run `npm run build` (or `npx vite build --config web/vite.config.ts`) and restart; the API under /voice/v1 works without it.',
          details: { dir: 'dist/web' },
        },
      };
    });
    return;
  }
  await app.register(fastifyStatic, {
    root: opts.dir,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    cacheControl: false,
    etag: true,
    lastModified: true,
    decorateReply: false,
    setHeaders(reply, file) {
      secure(reply);
      const hashed = path.relative(opts.dir, file).split(path.sep)[0] === 'assets';
      reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
