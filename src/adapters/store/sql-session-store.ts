import { CompiledQuery, sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { ChunkTranscript, Session, SessionResult, SessionStatus, StoredChunk } from '../../core/session.js';
import { OPEN_STATUSES } from '../../core/session.js';
import type { ApiKeyRecord, SessionStore, SessionTx, Tenant } from '../../core/ports/session-store.js';
import { dialectOf, type DatabaseDialect } from '../db/open.js';
import type { ChunksTable, ChunkTranscriptsTable, Database, SessionsTable } from '../db/schema.js';

const iso = (d: Date): string => d.toISOString();
const date = (s: string | null): Date | null => (s ? new Date(s) : null);
const open = [...OPEN_STATUSES];

function toSession(r: Selectable<SessionsTable>): Session {
  return {
    tenantId: r.tenant_id,
    id: r.id,
    status: r.status as SessionStatus,
    mode: r.mode as Session['mode'],
    uploadType: r.upload_type as Session['uploadType'],
    communicationProtocol: r.communication_protocol as Session['communicationProtocol'],
    model: r.model,
    templates: JSON.parse(r.templates),
    languageHint: JSON.parse(r.language_hint),
    transcriptLanguage: JSON.parse(r.transcript_language),
    additionalData: JSON.parse(r.additional_data),
    patientDetails: r.patient_details ? JSON.parse(r.patient_details) : null,
    createdAt: new Date(r.created_at),
    expiresAt: new Date(r.expires_at),
    endedAt: date(r.ended_at),
    completedAt: date(r.completed_at),
    expiredAt: date(r.expired_at),
    audioFilesSent: r.audio_files_sent,
    committedFiles: r.committed_files ? JSON.parse(r.committed_files) : null,
    result: r.result ? JSON.parse(r.result) : null,
    audioPurgedAt: date(r.audio_purged_at),
  };
}

function fromSession(s: Session): SessionsTable {
  return {
    tenant_id: s.tenantId,
    id: s.id,
    status: s.status,
    mode: s.mode,
    upload_type: s.uploadType,
    communication_protocol: s.communicationProtocol,
    model: s.model,
    templates: JSON.stringify(s.templates),
    language_hint: JSON.stringify(s.languageHint),
    transcript_language: JSON.stringify(s.transcriptLanguage),
    additional_data: JSON.stringify(s.additionalData),
    patient_details: s.patientDetails ? JSON.stringify(s.patientDetails) : null,
    created_at: iso(s.createdAt),
    expires_at: iso(s.expiresAt),
    ended_at: s.endedAt ? iso(s.endedAt) : null,
    completed_at: s.completedAt ? iso(s.completedAt) : null,
    expired_at: s.expiredAt ? iso(s.expiredAt) : null,
    audio_files_sent: s.audioFilesSent,
    committed_files: s.committedFiles ? JSON.stringify(s.committedFiles) : null,
    result: s.result ? JSON.stringify(s.result) : null,
    audio_purged_at: s.audioPurgedAt ? iso(s.audioPurgedAt) : null,
  };
}

const toChunk = (r: Selectable<ChunksTable>): StoredChunk => ({
  seq: r.seq,
  name: r.name,
  originalName: r.original_name,
  blobKey: r.blob_key,
  contentType: r.content_type,
  bytes: r.bytes,
  receivedAt: new Date(r.received_at),
});

const toChunkTranscript = (r: Selectable<ChunkTranscriptsTable>): ChunkTranscript => ({
  blobKey: r.blob_key,
  seq: r.seq,
  outcome: r.outcome as ChunkTranscript['outcome'],
  samples: r.samples,
  language: r.language,
  segments: JSON.parse(r.segments),
  error: r.error ? JSON.parse(r.error) : null,
});

/** Transcripts are PHI: they go as soon as the session's result (or expiry) makes them useless. */
const deleteChunkTranscripts = (db: Kysely<Database>, tenantId: string, sessionId: string) =>
  db.deleteFrom('chunk_transcripts').where('tenant_id', '=', tenantId).where('session_id', '=', sessionId).execute();

const toKey = (r: Selectable<Database['api_keys']>): ApiKeyRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  prefix: r.prefix,
  hash: r.hash,
  environment: r.environment as ApiKeyRecord['environment'],
  createdAt: new Date(r.created_at),
  revokedAt: date(r.revoked_at),
  lastUsedAt: date(r.last_used_at),
});

const listChunksQuery = (db: Kysely<Database>, tenantId: string, sessionId: string) =>
  db.selectFrom('chunks').selectAll().where('tenant_id', '=', tenantId).where('session_id', '=', sessionId).orderBy('seq');

function listChunks(db: Kysely<Database>, tenantId: string, sessionId: string): Promise<StoredChunk[]> {
  return listChunksQuery(db, tenantId, sessionId)
    .execute()
    .then((rows) => rows.map(toChunk));
}

/**
 * A query built once and re-run with new parameters: the polling path (Get Session)
 * skips rebuilding and recompiling the same SQL on every request.
 */
function precompiled<R>(db: Kysely<Database>, compiled: CompiledQuery<R>) {
  return async (...parameters: unknown[]): Promise<R[]> =>
    (await db.executeQuery<R>(CompiledQuery.raw(compiled.sql, parameters) as CompiledQuery<R>)).rows;
}

/** The transactional operations, written once for every Kysely dialect. */
class SqlSessionTx implements SessionTx {
  constructor(readonly handle: Transaction<Database>) {}

  async insertSession(s: Session) {
    const r = await this.handle
      .insertInto('sessions')
      .values(fromSession(s))
      .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async recordChunk(tenantId: string, sessionId: string, chunk: StoredChunk, now: Date) {
    const db = this.handle;
    const updated = await db
      .updateTable('sessions')
      .set({ status: 'recording' })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', sessionId)
      .where('status', 'in', open)
      .where('expires_at', '>', iso(now))
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return { accepted: false };
    const previous = await db
      .selectFrom('chunks')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('session_id', '=', sessionId)
      .where('seq', '=', chunk.seq)
      .executeTakeFirst();
    const row = {
      name: chunk.name,
      original_name: chunk.originalName,
      blob_key: chunk.blobKey,
      content_type: chunk.contentType,
      bytes: chunk.bytes,
      received_at: iso(chunk.receivedAt),
    };
    if (previous) {
      await db
        .updateTable('chunks')
        .set(row)
        .where('tenant_id', '=', tenantId)
        .where('session_id', '=', sessionId)
        .where('seq', '=', chunk.seq)
        .execute();
      await db.deleteFrom('chunk_transcripts').where('blob_key', '=', previous.blob_key).execute();
      return { accepted: true, replaced: toChunk(previous) };
    }
    await db.insertInto('chunks').values({ tenant_id: tenantId, session_id: sessionId, seq: chunk.seq, ...row }).execute();
    return { accepted: true };
  }

  async commitSession(tenantId: string, sessionId: string, now: Date, audioFilesSent: number) {
    const row = await this.handle
      .updateTable('sessions')
      .set({ status: 'processing', ended_at: iso(now), audio_files_sent: audioFilesSent })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', sessionId)
      .where('status', 'in', open)
      .where('expires_at', '>', iso(now))
      .returningAll()
      .executeTakeFirst();
    return row ? toSession(row) : undefined;
  }

  async setCommittedFiles(tenantId: string, sessionId: string, files: string[], audioFilesSent?: number) {
    await this.handle
      .updateTable('sessions')
      .set({ committed_files: JSON.stringify(files), ...(audioFilesSent === undefined ? {} : { audio_files_sent: audioFilesSent }) })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', sessionId)
      .execute();
  }

  listChunks(tenantId: string, sessionId: string) {
    return listChunks(this.handle, tenantId, sessionId);
  }

  async finishSession(tenantId: string, sessionId: string, status: SessionStatus, result: SessionResult, now: Date) {
    const r = await this.handle
      .updateTable('sessions')
      .set({ status, result: JSON.stringify(result), completed_at: iso(now) })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', sessionId)
      .where('status', '=', 'processing')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await deleteChunkTranscripts(this.handle, tenantId, sessionId);
    return true;
  }

  async expireSession(tenantId: string, sessionId: string, now: Date) {
    const r = await this.handle
      .updateTable('sessions')
      .set({ status: 'expired', expired_at: iso(now) })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', sessionId)
      .where('status', 'in', open)
      .where('expires_at', '<=', iso(now))
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await deleteChunkTranscripts(this.handle, tenantId, sessionId);
    return true;
  }
}

export class SqlSessionStore implements SessionStore {
  private readonly selectSession;
  private readonly selectChunks;
  private readonly dialect: DatabaseDialect;

  constructor(readonly db: Kysely<Database>) {
    this.dialect = dialectOf(db);
    this.selectSession = precompiled(
      db,
      db.selectFrom('sessions').selectAll().where('tenant_id', '=', '?').where('id', '=', '?').compile(),
    );
    this.selectChunks = precompiled(db, listChunksQuery(db, '?', '?').compile());
  }

  transaction<T>(fn: (tx: SessionTx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new SqlSessionTx(trx)));
  }

  async createTenant(t: Tenant) {
    await this.db.insertInto('tenants').values({ id: t.id, name: t.name, created_at: iso(t.createdAt) }).execute();
  }

  async findTenantByName(name: string) {
    const r = await this.db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? { id: r.id, name: r.name, createdAt: new Date(r.created_at) } : undefined;
  }

  async countTenants() {
    const r = await this.db.selectFrom('tenants').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async insertApiKey(k: ApiKeyRecord) {
    await this.db
      .insertInto('api_keys')
      .values({
        id: k.id,
        tenant_id: k.tenantId,
        prefix: k.prefix,
        hash: k.hash,
        environment: k.environment,
        created_at: iso(k.createdAt),
        revoked_at: null,
        last_used_at: null,
      })
      .execute();
  }

  async findApiKeysByPrefix(prefix: string) {
    const rows = await this.db.selectFrom('api_keys').selectAll().where('prefix', '=', prefix).where('revoked_at', 'is', null).execute();
    return rows.map(toKey);
  }

  async listApiKeys(tenantId?: string) {
    let q = this.db.selectFrom('api_keys').selectAll().orderBy('created_at');
    if (tenantId) q = q.where('tenant_id', '=', tenantId);
    return (await q.execute()).map(toKey);
  }

  async revokeApiKey(keyId: string, now: Date) {
    const r = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: iso(now) })
      .where('id', '=', keyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async touchApiKey(keyId: string, now: Date) {
    await this.db.updateTable('api_keys').set({ last_used_at: iso(now) }).where('id', '=', keyId).execute();
  }

  async getSession(tenantId: string, sessionId: string) {
    const [r] = await this.selectSession(tenantId, sessionId);
    return r ? toSession(r) : undefined;
  }

  async listChunks(tenantId: string, sessionId: string) {
    return (await this.selectChunks(tenantId, sessionId)).map(toChunk);
  }

  saveChunkTranscript(tenantId: string, sessionId: string, t: ChunkTranscript, now: Date) {
    return this.db.transaction().execute(async (trx) => {
      // Checked in the same transaction: a late job must not leave transcript rows behind a finished session.
      // PostgreSQL: the row stays locked until commit, so finishing or expiring it waits for this insert
      // (and then deletes it); SQLite: the write transaction already excludes the other writers.
      const live = await trx
        .selectFrom('sessions')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', sessionId)
        .where('status', 'in', [...open, 'processing'])
        .$if(this.dialect === 'postgres', (q) => q.forShare())
        .executeTakeFirst();
      if (!live) return false;
      const row = {
        tenant_id: tenantId,
        session_id: sessionId,
        seq: t.seq,
        outcome: t.outcome,
        samples: t.samples,
        language: t.language,
        segments: JSON.stringify(t.segments),
        error: t.error ? JSON.stringify(t.error) : null,
        created_at: iso(now),
      };
      await trx
        .insertInto('chunk_transcripts')
        .values({ blob_key: t.blobKey, ...row })
        .onConflict((oc) => oc.column('blob_key').doUpdateSet(row))
        .execute();
      return true;
    });
  }

  async listChunkTranscripts(tenantId: string, sessionId: string) {
    const rows = await this.db
      .selectFrom('chunk_transcripts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('session_id', '=', sessionId)
      .orderBy('seq')
      .execute();
    return rows.map(toChunkTranscript);
  }

  async findExpirable(now: Date, limit: number) {
    const rows = await this.db
      .selectFrom('sessions')
      .select(['tenant_id', 'id'])
      .where('status', 'in', open)
      .where('expires_at', '<=', iso(now))
      .limit(limit)
      .execute();
    return rows.map((r) => ({ tenantId: r.tenant_id, id: r.id }));
  }

  async findProcessing(endedBefore: Date, limit: number) {
    const rows = await this.db
      .selectFrom('sessions')
      .select(['tenant_id', 'id', 'ended_at'])
      .where('status', '=', 'processing')
      .where('ended_at', '<=', iso(endedBefore))
      .orderBy('ended_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ tenantId: r.tenant_id, id: r.id, endedAt: new Date(r.ended_at!) }));
  }

  async findPurgeable(before: Date, limit: number) {
    const rows = await this.db
      .selectFrom('sessions')
      .select(['tenant_id', 'id'])
      .where('status', 'in', ['completed', 'partial', 'failed', 'expired'])
      .where('audio_purged_at', 'is', null)
      .where((eb) => eb(eb.fn.coalesce('completed_at', 'expired_at'), '<=', iso(before)))
      .limit(limit)
      .execute();
    return rows.map((r) => ({ tenantId: r.tenant_id, id: r.id }));
  }

  async markAudioPurged(tenantId: string, sessionId: string, now: Date) {
    await this.db
      .updateTable('sessions')
      .set({ audio_purged_at: iso(now) })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', sessionId)
      .execute();
  }

  async ping() {
    await sql`select 1`.execute(this.db);
  }

  async close() {
    await this.db.destroy();
  }
}
