/**
 * Who did what, when, to which session — never content (no audio, transcript,
 * patient details or keys). `keyId` is the key's id, never the key.
 */
export interface AuditEntry {
  at: Date;
  tenantId: string;
  keyId: string | null;
  /** e.g. `session.create`, `audio.upload`, `webhook.create`, `key.revoke`. */
  action: string;
  sessionId: string | null;
  method: string | null;
  /** The route pattern (`/voice/v1/sessions/:session_id`), never the raw URL. */
  route: string | null;
  status: number | null;
  ip: string | null;
  requestId: string | null;
}

/** An entry in snake_case with an ISO time: the `audit_log` row and what `openscribe audit --json` prints. */
export function auditRecord(e: AuditEntry) {
  return {
    at: e.at.toISOString(),
    tenant_id: e.tenantId,
    key_id: e.keyId,
    action: e.action,
    session_id: e.sessionId,
    method: e.method,
    route: e.route,
    status: e.status,
    ip: e.ip,
    request_id: e.requestId,
  };
}

export interface StoredAuditEntry extends AuditEntry {
  id: string;
}

export interface AuditQuery {
  tenantId?: string;
  sessionId?: string;
  since?: Date;
  until?: Date;
  action?: string;
  limit: number;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /** Many entries in one write, where the adapter can. */
  recordMany?(entries: AuditEntry[]): Promise<void>;
  /** Newest first. */
  query(q: AuditQuery): Promise<StoredAuditEntry[]>;
  /** Deletes entries older than `before`; returns how many. */
  prune(before: Date): Promise<number>;
}
