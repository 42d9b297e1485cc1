import type { Readable } from 'node:stream';
import { jobRequest } from './jobs.js';
import type { Config } from '../config.js';
import type { BlobStore } from './ports/blob-store.js';
import type { Clock } from './ports/clock.js';
import type { JobQueue } from './ports/job-queue.js';
import type { OpenStreams } from './ports/open-streams.js';
import type { SessionStore } from './ports/session-store.js';
import { checkDeclaredAudio, containerFor, sniff, SNIFF_BYTES } from './audio-format.js';
import { ChunkName } from './chunk-name.js';
import { IMPLEMENTED_UPLOAD_METHODS } from './discovery.js';
import { ProtocolError, sessionNotFound } from './errors.js';
import { CLIENT_SESSION_ID, LOOKUP_SESSION_ID, newSessionId, randomAlphanumeric } from './ids.js';
import {
  isFinished,
  isPastDeadline,
  type CommunicationProtocol,
  type Session,
  type SessionMode,
  type StoredChunk,
  type UploadType,
} from './session.js';
import type { SessionEvents } from './session-events.js';
import { transcriptSoFar } from './transcript-so-far.js';
import { sessionView, type SessionView } from './view.js';

export interface CreateSessionInput {
  session_id?: string;
  session_mode?: SessionMode;
  templates?: string[];
  model?: string;
  language_hint?: string[];
  transcript_language?: string | string[];
  upload_type: UploadType;
  communication_protocol: CommunicationProtocol;
  additional_data?: Record<string, unknown>;
  patient_details?: Record<string, unknown>;
}

export interface UploadInput {
  fileName: string;
  contentType: string | undefined;
  declaredLength: number | undefined;
  body: Readable;
}

export type SessionLimits = Pick<
  Config,
  'publicUrl' | 'models' | 'defaultModel' | 'maxTemplatesPerSession' | 'maxChunkBytes' | 'maxSingleUploadBytes'
>;

const MAX_ADDITIONAL_DATA_BYTES = 4096;
const MAX_PATIENT_DETAILS_BYTES = 4096;
const primaryLanguage = (tag: string): string => tag.toLowerCase().split('-')[0]!;
export const END_MESSAGE = 'Session ended. Processing started.';

/** The session lifecycle: the rules of the protocol, through ports only. */
export class SessionService {
  constructor(
    private readonly store: SessionStore,
    private readonly blobs: BlobStore,
    private readonly queue: JobQueue,
    private readonly clock: Clock,
    private readonly limits: SessionLimits,
    private readonly events: SessionEvents,
    /** Live audio sockets of this process (End Session stores what they buffer); absent: no streaming. */
    private readonly streams?: OpenStreams,
  ) {}

  uploadUrl(session: Pick<Session, 'id' | 'tenantId' | 'uploadType'>): string {
    if (session.uploadType === 'stream' && this.streams) return this.streams.uploadUrl(session.tenantId, session.id);
    return `${this.limits.publicUrl}/voice/v1/sessions/${session.id}/audio`;
  }

  async create(tenantId: string, input: CreateSessionInput): Promise<Session> {
    const now = this.clock.now();
    const model = this.limits.models.find((m) => m.id === (input.model ?? this.limits.defaultModel));
    if (!model) {
      throw new ProtocolError('invalid_request', `Unknown model ${JSON.stringify(input.model)}`, {
        field: 'model',
        supported_models: this.limits.models.map((m) => m.id),
      });
    }
    if (!IMPLEMENTED_UPLOAD_METHODS.includes(input.upload_type)) {
      throw new ProtocolError('invalid_request', `upload_type "${input.upload_type}" is not offered by this deployment`, {
        field: 'upload_type',
        supported_upload_types: IMPLEMENTED_UPLOAD_METHODS,
      });
    }
    // A template asked twice is produced once.
    const templates = [...new Set(input.templates ?? [])];
    if (templates.length > this.limits.maxTemplatesPerSession) {
      throw new ProtocolError('invalid_template', `At most ${this.limits.maxTemplatesPerSession} templates per session`, {
        field: 'templates',
        max_templates: this.limits.maxTemplatesPerSession,
      });
    }
    const transcriptLanguage = typeof input.transcript_language === 'string' ? [input.transcript_language] : (input.transcript_language ?? []);
    for (const [field, langs] of [['language_hint', input.language_hint ?? []], ['transcript_language', transcriptLanguage]] as const) {
      // Regional tags (en-IN) are accepted by their language (en).
      const unsupported = langs.filter((l) => !model.languages.includes(primaryLanguage(l)));
      if (unsupported.length > 0) {
        throw new ProtocolError('invalid_request', `Language(s) ${unsupported.join(', ')} not supported by model "${model.id}"`, {
          field,
          supported_languages: model.languages,
        });
      }
    }
    const additionalData = input.additional_data ?? {};
    if (Buffer.byteLength(JSON.stringify(additionalData)) > MAX_ADDITIONAL_DATA_BYTES) {
      throw new ProtocolError('invalid_request', `additional_data is larger than ${MAX_ADDITIONAL_DATA_BYTES} bytes`, { field: 'additional_data' });
    }
    if (input.patient_details && Buffer.byteLength(JSON.stringify(input.patient_details)) > MAX_PATIENT_DETAILS_BYTES) {
      throw new ProtocolError('invalid_request', `patient_details is larger than ${MAX_PATIENT_DETAILS_BYTES} bytes`, { field: 'patient_details' });
    }
    if (input.session_id !== undefined && !CLIENT_SESSION_ID.test(input.session_id)) {
      throw new ProtocolError('invalid_request', 'session_id must be 16–32 characters of A–Z, a–z, 0–9, "_" or "-"', { field: 'session_id' });
    }
    const session: Session = {
      tenantId,
      id: input.session_id ?? newSessionId(),
      status: 'created',
      mode: input.session_mode ?? 'dictation',
      uploadType: input.upload_type,
      communicationProtocol: input.communication_protocol,
      model: model.id,
      templates,
      languageHint: (input.language_hint ?? []).map(primaryLanguage),
      transcriptLanguage: transcriptLanguage.map(primaryLanguage),
      additionalData,
      patientDetails: input.patient_details ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + model.maxSessionDurationSeconds * 1000),
      endedAt: null,
      completedAt: null,
      expiredAt: null,
      audioFilesSent: null,
      committedFiles: null,
      result: null,
      audioPurgedAt: null,
    };
    const inserted = await this.store.transaction(async (tx) => {
      if (!(await tx.insertSession(session))) return false;
      await this.events.emit(tx, tenantId, session.id, 'session.started', now);
      return true;
    });
    if (!inserted) {
      throw new ProtocolError('session_already_exists', `Session ${JSON.stringify(session.id)} already exists`, { session_id: session.id });
    }
    return session;
  }

  /** Loads a session of this tenant, expiring it first if its deadline has passed. */
  private async load(tenantId: string, sessionId: string): Promise<Session> {
    if (!LOOKUP_SESSION_ID.test(sessionId)) throw sessionNotFound(sessionId);
    const session = await this.store.getSession(tenantId, sessionId);
    if (!session) throw sessionNotFound(sessionId);
    if (isPastDeadline(session, this.clock.now())) {
      await this.store.transaction(async (tx) => {
        const now = this.clock.now();
        if (await tx.expireSession(tenantId, sessionId, now)) await this.events.emit(tx, tenantId, sessionId, 'session.expired', now);
      });
      return (await this.store.getSession(tenantId, sessionId)) ?? session;
    }
    return session;
  }

  private refuseUpload(session: Session): never {
    if (session.status === 'expired') throw new ProtocolError('session_expired', 'Session has expired; uploads are closed', { session_id: session.id });
    if (isFinished(session)) throw new ProtocolError('session_completed', 'Session processing has finished; uploads are closed', { session_id: session.id });
    throw new ProtocolError('session_ended', 'Session has ended; uploads are closed', { session_id: session.id });
  }

  async addChunk(tenantId: string, sessionId: string, upload: UploadInput): Promise<StoredChunk> {
    const session = await this.load(tenantId, sessionId);
    if (session.status !== 'created' && session.status !== 'recording') this.refuseUpload(session);
    const name = ChunkName.parse(upload.fileName, session.uploadType !== 'single');
    const container = containerFor(upload.contentType, name.ext);
    const limit = session.uploadType === 'single' ? this.limits.maxSingleUploadBytes : this.limits.maxChunkBytes;
    const tooLarge = () =>
      new ProtocolError('chunk_too_large', `Audio file is larger than ${limit} bytes`, { max_bytes: limit });
    if (upload.declaredLength !== undefined && upload.declaredLength > limit) throw tooLarge();
    const maxSeconds = this.limits.models.find((m) => m.id === session.model)?.maxSessionDurationSeconds ?? Number.POSITIVE_INFINITY;

    // A key of its own per upload: a refused or failed upload never touches an accepted one.
    const blobKey = `${tenantId}/${sessionId}/${name.seq}.${randomAlphanumeric(8)}.${name.ext}`;
    let head = Buffer.alloc(0);
    let sniffed = false;
    const { bytes } = await this.blobs.put(blobKey, upload.body, (piece, total) => {
      if (total > limit) throw tooLarge();
      if (!sniffed) {
        head = Buffer.concat([head, piece]).subarray(0, SNIFF_BYTES);
        if (head.length >= SNIFF_BYTES) {
          sniff(head, container);
          checkDeclaredAudio(head, container, maxSeconds);
          sniffed = true;
        }
      }
    });
    try {
      if (!sniffed) {
        sniff(head, container);
        checkDeclaredAudio(head, container, maxSeconds);
      }
      if (bytes === 0) throw new ProtocolError('invalid_audio_format', 'The uploaded audio file is empty');
    } catch (err) {
      await this.blobs.delete(blobKey);
      throw err;
    }

    const chunk: StoredChunk = {
      seq: name.seq,
      name: name.stored,
      originalName: name.original,
      blobKey,
      contentType: upload.contentType?.slice(0, 100) || `audio/${name.ext}`,
      bytes,
      receivedAt: this.clock.now(),
    };
    // The chunk and its transcription job commit together: a stored chunk is always transcribed.
    const outcome = await this.store.transaction(async (tx) => {
      const recorded = await tx.recordChunk(tenantId, sessionId, chunk, this.clock.now());
      if (recorded.accepted) {
        await this.queue.enqueue(
          jobRequest('transcribe-chunk', { tenantId, sessionId, blobKey }),
          tx,
        );
      }
      return recorded;
    }).catch(async (err: unknown) => {
      // Not recorded (disk full, database down): the blob would be an orphan nobody lists or purges.
      await this.blobs.delete(blobKey).catch(() => undefined);
      throw err;
    });
    if (!outcome.accepted) {
      await this.blobs.delete(blobKey);
      this.refuseUpload(await this.load(tenantId, sessionId));
    }
    if (outcome.replaced && outcome.replaced.blobKey !== blobKey) await this.blobs.delete(outcome.replaced.blobKey);
    return chunk;
  }

  /** End Session: order the chunks, commit and enqueue in one transaction, answer 202. */
  async end(tenantId: string, sessionId: string, audioFilesSent: number) {
    if (!LOOKUP_SESSION_ID.test(sessionId)) throw sessionNotFound(sessionId);
    // A stream still open here stores its buffered audio first, so the commit lists it.
    await this.streams?.flush(tenantId, sessionId);
    const now = this.clock.now();
    const files = await this.store.transaction(async (tx) => {
      const committed = await tx.commitSession(tenantId, sessionId, now, audioFilesSent);
      if (!committed) return undefined;
      // Listed after the commit won: an upload racing it either committed first (listed) or is refused.
      const chunks = (await tx.listChunks(tenantId, sessionId)).sort(ChunkName.compare);
      const names = chunks.map((c) => c.name);
      // A stream client cannot know how many files the server cut: the stored ones are what it sent.
      await tx.setCommittedFiles(tenantId, sessionId, names, committed.uploadType === 'stream' ? names.length : undefined);
      await this.events.emit(tx, tenantId, sessionId, 'session.ended', now);
      await this.queue.enqueue(
        jobRequest('process-session', { tenantId, sessionId }),
        tx,
      );
      return names;
    });
    if (!files) {
      const session = await this.load(tenantId, sessionId);
      if (session.status === 'expired') throw new ProtocolError('session_expired', 'Session has expired', { session_id: sessionId });
      throw new ProtocolError('session_already_ended', 'Session has already been ended', {
        session_id: sessionId,
        status: session.status,
      });
    }
    return {
      session_id: sessionId,
      status: 'processing' as const,
      message: END_MESSAGE,
      audio_files_received: files.length,
      audio_files: files,
    };
  }

  /** A stream's state: the session, its stored chunks in order and their transcripts so far. */
  async streamProgress(tenantId: string, sessionId: string) {
    const session = await this.load(tenantId, sessionId);
    const chunks = (await this.store.listChunks(tenantId, sessionId)).sort((a, b) => a.seq - b.seq);
    const transcripts = await this.store.listChunkTranscripts(tenantId, sessionId);
    return { session, chunks, transcripts };
  }

  async view(
    tenantId: string,
    sessionId: string,
    opts: { templateId?: string; templatesFormat: 'array' | 'object' },
  ): Promise<SessionView> {
    const session = await this.load(tenantId, sessionId);
    const live = session.status === 'recording' || session.status === 'processing';
    const chunks = live || !session.committedFiles ? await this.store.listChunks(tenantId, sessionId) : [];
    // While recording and processing, the transcript so far (incremental transcription).
    const transcript = live ? transcriptSoFar(session, chunks, await this.store.listChunkTranscripts(tenantId, sessionId)) : undefined;
    return sessionView(session, chunks, { ...opts, uploadUrl: this.uploadUrl(session), ...(transcript ? { transcriptSoFar: transcript } : {}) });
  }
}
