import type { ChunkTranscript, Session, SessionResult, SessionStatus, StoredChunk } from '../session.js';

export interface Tenant {
  id: string;
  name: string;
  createdAt: Date;
}

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  prefix: string;
  hash: string;
  environment: 'live' | 'test';
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/**
 * Operations that run inside one database transaction. `handle` is the adapter's
 * own transaction object: a JobQueue on the same database uses it to enqueue in
 * the same commit.
 */
export interface SessionTx {
  readonly handle: unknown;
  /** False when the tenant already has a session with this id. */
  insertSession(session: Session): Promise<boolean>;
  /** Sets the open session to `recording` and records/replaces the chunk; false if the session is no longer open. */
  recordChunk(tenantId: string, sessionId: string, chunk: StoredChunk, now: Date): Promise<{ accepted: boolean; replaced?: StoredChunk }>;
  /** Compare-and-set from an open status to `processing`; returns the session when it won. */
  commitSession(tenantId: string, sessionId: string, now: Date, audioFilesSent: number): Promise<Session | undefined>;
  /** Fixes the session's file list; `audioFilesSent`, when given, replaces the count the client declared. */
  setCommittedFiles(tenantId: string, sessionId: string, files: string[], audioFilesSent?: number): Promise<void>;
  listChunks(tenantId: string, sessionId: string): Promise<StoredChunk[]>;
  /** Moves a `processing` session to a finished status with its result (dropping its chunk transcripts); false if it was not processing. */
  finishSession(tenantId: string, sessionId: string, status: SessionStatus, result: SessionResult, now: Date): Promise<boolean>;
  /** Marks the open session expired if past its deadline; returns whether this call did it. */
  expireSession(tenantId: string, sessionId: string, now: Date): Promise<boolean>;
}

export interface SessionStore {
  transaction<T>(fn: (tx: SessionTx) => Promise<T>): Promise<T>;

  createTenant(tenant: Tenant): Promise<void>;
  findTenantByName(name: string): Promise<Tenant | undefined>;
  countTenants(): Promise<number>;
  insertApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeysByPrefix(prefix: string): Promise<ApiKeyRecord[]>;
  listApiKeys(tenantId?: string): Promise<ApiKeyRecord[]>;
  revokeApiKey(keyId: string, now: Date): Promise<boolean>;
  touchApiKey(keyId: string, now: Date): Promise<void>;

  /** Inserts; false if the tenant already has a session with that id. */
  getSession(tenantId: string, sessionId: string): Promise<Session | undefined>;
  listChunks(tenantId: string, sessionId: string): Promise<StoredChunk[]>;
  /** Stores what the recogniser made of a chunk; false (nothing stored) once the session is finished or expired. */
  saveChunkTranscript(tenantId: string, sessionId: string, transcript: ChunkTranscript, now: Date): Promise<boolean>;
  listChunkTranscripts(tenantId: string, sessionId: string): Promise<ChunkTranscript[]>;
  /** Open sessions past their deadline (for the sweeper). */
  findExpirable(now: Date, limit: number): Promise<Array<{ tenantId: string; id: string }>>;
  /** Sessions still `processing` that were ended before `endedBefore` (for the sweeper's stuck-session check). */
  findProcessing(endedBefore: Date, limit: number): Promise<Array<{ tenantId: string; id: string; endedAt: Date }>>;
  /** Finished or expired sessions whose audio is older than `before` and not yet purged. */
  findPurgeable(before: Date, limit: number): Promise<Array<{ tenantId: string; id: string }>>;
  markAudioPurged(tenantId: string, sessionId: string, now: Date): Promise<void>;

  ping(): Promise<void>;
  close(): Promise<void>;
}
