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
