import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { uuidV7 } from '../../core/ids.js';
import { auditRecord, type AuditEntry, type AuditLog, type AuditQuery, type StoredAuditEntry } from '../../core/ports/audit-log.js';

const BATCH = 500;
const INSERT_ROWS = 200;

/** The audit log in the `audit_log` table; plain Kysely queries, so SQLite and PostgreSQL alike. */
export class SqlAuditLog implements AuditLog {
  constructor(private readonly db: Kysely<Database>) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.recordMany([entry]);
  }

  /** Few INSERTs for many entries (the HTTP plugin batches). */
  async recordMany(entries: AuditEntry[]): Promise<void> {
    // Rows per statement stay well under both engines' bound-parameter limits.
    for (let i = 0; i < entries.length; i += INSERT_ROWS) await this.insert(entries.slice(i, i + INSERT_ROWS));
  }

  private async insert(entries: AuditEntry[]): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values(
        entries.map((e) => ({ id: uuidV7(), ...auditRecord(e) })),
      )
      .execute();
  }

  async query(q: AuditQuery): Promise<StoredAuditEntry[]> {
    let sel = this.db.selectFrom('audit_log').selectAll();
    if (q.tenantId !== undefined) sel = sel.where('tenant_id', '=', q.tenantId);
    if (q.sessionId !== undefined) sel = sel.where('session_id', '=', q.sessionId);
    if (q.action !== undefined) sel = sel.where('action', '=', q.action);
    if (q.since) sel = sel.where('at', '>=', q.since.toISOString());
    if (q.until) sel = sel.where('at', '<', q.until.toISOString());
    const rows = await sel.orderBy('at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map((r) => ({
      id: r.id,
      at: new Date(r.at),
      tenantId: r.tenant_id,
      keyId: r.key_id,
      action: r.action,
      sessionId: r.session_id,
      method: r.method,
      route: r.route,
      status: r.status === null ? null : Number(r.status),
      ip: r.ip,
      requestId: r.request_id,
    }));
  }

  /** In batches, so a first prune of a large table never holds one long transaction. */
  async prune(before: Date): Promise<number> {
    const cutoff = before.toISOString();
    let total = 0;
    for (;;) {
      const ids = this.db.selectFrom('audit_log').select('id').where('at', '<', cutoff).limit(BATCH);
      const r = await this.db.deleteFrom('audit_log').where('id', 'in', ids).executeTakeFirst();
      const n = Number(r.numDeletedRows);
      total += n;
      if (n < BATCH) return total;
    }
  }
}
