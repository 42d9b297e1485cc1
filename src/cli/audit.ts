import { openAdminAdapters } from '../app.js';
import type { Config } from '../config.js';
import { auditRecord, type StoredAuditEntry } from '../core/ports/audit-log.js';

export interface AuditCommand {
  tenant?: string;
  session?: string;
  since?: string;
  until?: string;
  action?: string;
  limit?: string;
  json?: boolean;
}

function date(flag: string, raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw new Error(`${flag} must be an ISO-8601 date or time, got ${JSON.stringify(raw)}`);
  return d;
}

const json = (e: StoredAuditEntry) => ({ id: e.id, ...auditRecord(e) });

/** `openscribe audit`: prints audit entries, newest first (JSON array with --json). */
export async function runAudit(config: Config, cmd: AuditCommand): Promise<void> {
  const limit = cmd.limit === undefined ? 100 : Number(cmd.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new Error('--limit must be an integer between 1 and 100000');
  const since = date('--since', cmd.since);
  const until = date('--until', cmd.until);
  const { store, audit, close } = await openAdminAdapters(config);
  try {
    let tenantId: string | undefined;
    if (cmd.tenant !== undefined) {
      const tenant = await store.findTenantByName(cmd.tenant);
      if (!tenant) throw new Error(`no tenant named ${JSON.stringify(cmd.tenant)}`);
      tenantId = tenant.id;
    }
    const entries = await audit.query({ tenantId, sessionId: cmd.session, since, until, action: cmd.action, limit });
    if (cmd.json) {
      process.stdout.write(`${JSON.stringify(entries.map(json), null, 2)}\n`);
      return;
    }
    for (const e of entries) {
      const cols = [e.at.toISOString(), e.tenantId, e.keyId ?? '-', e.action, e.sessionId ?? '-', `${e.method ?? ''} ${e.route ?? ''}`.trim() || '-', e.status ?? '-', e.ip ?? '-'];
      process.stdout.write(`${cols.join('\t')}\n`);
    }
  } finally {
    await close();
  }
}
