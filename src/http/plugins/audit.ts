import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AuditEntry, AuditLog } from '../../core/ports/audit-log.js';
import { looksLikeSecret } from '../../core/keys.js';

/** `METHOD route-pattern` → audit action; other authenticated routes are recorded as `request`. */
const ACTIONS: Record<string, string> = {
  'POST /voice/v1/sessions': 'session.create',
  'GET /voice/v1/sessions/:session_id': 'session.read',
  'POST /voice/v1/sessions/:session_id/end': 'session.end',
  'POST /voice/v1/sessions/:session_id/audio/:file_name': 'audio.upload',
  'POST /voice/v1/sessions/:session_id/audio': 'audio.upload',
  'GET /voice/v1/templates': 'templates.list',
  'POST /voice/v1/webhooks': 'webhook.create',
  'GET /voice/v1/webhooks': 'webhook.list',
  'DELETE /voice/v1/webhooks/:webhook_id': 'webhook.delete',
  'GET /voice/v1/webhooks/:webhook_id/deliveries': 'webhook.deliveries',
  'POST /voice/v1/webhooks/:webhook_id/deliveries/:delivery_id/redeliver': 'webhook.redeliver',
};

const MAX_PENDING = 10_000;
// Entries wait up to FLUSH_MS (or until FLUSH_AT are queued) and go in one insert: per request,
// a commit of its own cost as much as the rest of an End Session. A crash loses at most that window.
const FLUSH_MS = 50;
const FLUSH_AT = 200;

// A session id the client sent is only kept when it is a plausible id: hostile input is not stored.
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function auditActionFor(method: string, route: string): string {
  return ACTIONS[`${method} ${route}`] ?? 'request';
}

// The session a request created: its id is in the answer, not in the path.
const createdSession = new WeakMap<FastifyRequest, string>();

function entryFor(request: FastifyRequest, status: number, at: Date): AuditEntry | undefined {
  const principal = request.principal as FastifyRequest['principal'] | null;
  if (!principal) return undefined; // not authenticated: nothing to attribute
  const route = request.routeOptions.url ?? null;
  const params = (request.params ?? {}) as Record<string, unknown>;
  const sid = params.session_id ?? createdSession.get(request);
  return {
    at,
    tenantId: principal.tenantId,
    keyId: principal.keyId,
    action: route ? auditActionFor(request.method, route) : 'request',
    sessionId: typeof sid === 'string' && SAFE_ID.test(sid) && !looksLikeSecret(sid) ? sid : null,
    method: request.method,
    route,
    status,
    ip: request.ip ?? null,
    requestId: String(request.id),
  };
}

/**
 * Records every authenticated request of this scope after its answer is sent:
 * fire-and-forget, batched into one insert per FLUSH_MS; a failed write is logged,
 * never turned into a failed request.
 */
export function auditRequests(app: FastifyInstance, audit: AuditLog, log: Logger, now: () => Date = () => new Date()): void {
  let pending: AuditEntry[] = [];
  let flushing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let dropped = 0;
  let unwritten = 0; // queued or being written

  const write = async (batch: AuditEntry[]) => {
    try {
      if (audit.recordMany) await audit.recordMany(batch);
      else for (const e of batch) await audit.record(e);
    } catch (err) {
      log.error({ err, entries: batch.length }, 'audit log write failed');
    } finally {
      unwritten -= batch.length;
    }
  };
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    if (batch.length) flushing = flushing.then(() => write(batch));
    return flushing;
  };

  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode === 201 && request.method === 'POST' && request.routeOptions.url === '/voice/v1/sessions' && typeof payload === 'string') {
      try {
        const id = (JSON.parse(payload) as { session_id?: unknown }).session_id;
        if (typeof id === 'string') createdSession.set(request, id);
      } catch {
        // not JSON: nothing to attribute
      }
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const entry = entryFor(request, reply.statusCode, now());
    if (!entry) return;
    // A database that stopped answering must not grow the backlog without bound.
    if (unwritten >= MAX_PENDING) {
      dropped++;
      if (dropped === 1 || dropped % 1000 === 0) log.error({ dropped }, 'audit log backlog full: entries dropped');
      return;
    }
    unwritten++;
    pending.push(entry);
    if (pending.length >= FLUSH_AT) void flush();
    else timer ??= setTimeout(() => void flush(), FLUSH_MS);
  });
  app.addHook('onClose', async () => {
    await flush();
  });
}
