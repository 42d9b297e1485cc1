/** The session's data and the rules of its lifecycle (no I/O here). */
import type { ReviewItem } from './ports/extractor.js';
export type SessionStatus =
  | 'created'
  | 'recording'
  | 'processing'
  | 'completed'
  | 'partial'
  | 'failed'
  | 'expired';

export type SessionMode = 'dictation' | 'consultation';
export type UploadType = 'chunked' | 'single' | 'stream';
export type CommunicationProtocol = 'http' | 'websocket' | 'rpc';

export const OPEN_STATUSES: readonly SessionStatus[] = ['created', 'recording'];
export type FinishedStatus = 'completed' | 'partial' | 'failed';
export const FINISHED_STATUSES: readonly SessionStatus[] = ['completed', 'partial', 'failed'] satisfies FinishedStatus[];

export interface ProcessingError {
  type: string;
  message: string;
  file?: string;
}

export interface TemplateOutcome {
  template_id: string;
  status: 'success' | 'failed' | 'processing';
  document_id: string;
  document_type: string;
  data?: Record<string, unknown> | Record<string, unknown>[];
  /** What the clinician should check before signing this document. */
  review?: ReviewItem[];
  error?: { code: string; message: string };
}

/** What processing produced; stored once the session reaches a finished state. */
export interface SessionResult {
  model_used: string;
  language_detected?: string;
  transcript: string;
  templates: TemplateOutcome[];
  audio_files_processed: number;
  processing_errors: ProcessingError[];
  error?: { code: string; message: string };
}

export interface Session {
  tenantId: string;
  id: string;
  status: SessionStatus;
  mode: SessionMode;
  uploadType: UploadType;
  communicationProtocol: CommunicationProtocol;
  model: string;
  templates: string[];
  languageHint: string[];
  transcriptLanguage: string[];
  additionalData: Record<string, unknown>;
  patientDetails: Record<string, unknown> | null;
  createdAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  completedAt: Date | null;
  expiredAt: Date | null;
  audioFilesSent: number | null;
  /** Ordered stored names, fixed at End Session. */
  committedFiles: string[] | null;
  result: SessionResult | null;
  audioPurgedAt: Date | null;
}

export interface StoredChunk {
  seq: number;
  /** `0.webm` */
  name: string;
  originalName: string;
  blobKey: string;
  contentType: string;
  bytes: number;
  receivedAt: Date;
}

/** A span of recognised speech; seconds from the start of its chunk. */
export interface ChunkSegment {
  start: number;
  end: number;
  text: string;
}

/**
 * What the recogniser made of one stored chunk, kept by blob key so that a chunk
 * transcribed while the session records is not transcribed again at End Session.
 */
export interface ChunkTranscript {
  blobKey: string;
  seq: number;
  /** `skipped`: the chunk is left out of the result, `error` says why. */
  outcome: 'transcribed' | 'skipped';
  /** 16 kHz samples the chunk decoded to; null when it did not decode. */
  samples: number | null;
  language: string | null;
  segments: ChunkSegment[];
  error: ProcessingError | null;
}

export const isOpen = (s: Pick<Session, 'status'>): boolean => OPEN_STATUSES.includes(s.status);
export const isFinished = (s: Pick<Session, 'status'>): boolean => FINISHED_STATUSES.includes(s.status);

/** An open session past its deadline is expired, whether or not the sweeper got to it yet. */
export const isPastDeadline = (s: Pick<Session, 'status' | 'expiresAt'>, now: Date): boolean =>
  isOpen(s) && now.getTime() >= s.expiresAt.getTime();
