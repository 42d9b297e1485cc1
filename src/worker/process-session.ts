import type { Logger } from 'pino';
import { decodeChunk, FfmpegMissingError, UndecodableAudioError, type ReopenableSource } from '../audio/index.js';
import { labelSpeakers, transcriptText } from '../core/speakers.js';
import type { TemplateRegistry } from '../core/templates/registry.js';
import type { ProcessingError, Session, SessionResult, SessionStatus, StoredChunk, TemplateOutcome } from '../core/session.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { Clock } from '../ports/clock.js';
import type { Extractor, TranscriptLine } from '../ports/extractor.js';
import type { Job } from '../ports/job-queue.js';
import type { SessionStore } from '../ports/session-store.js';
import type { Transcriber, TranscriptSegment } from '../ports/transcriber.js';

export interface ProcessSessionDeps {
  store: SessionStore;
  blobs: BlobStore;
  clock: Clock;
  templates: TemplateRegistry;
  /** Undefined when no speech recogniser is configured. */
  transcriber: Transcriber | undefined;
  extractor: Extractor;
  log: Logger;
  maxChunkDurationSeconds: number;
}

/** Over the advertised limit by more than this, a chunk is skipped rather than processed. */
const CHUNK_DURATION_TOLERANCE_S = 5;
/** 10 ms at 16 kHz. */
const MIN_CHUNK_SAMPLES = 160;

function mismatchError(session: Session, received: number): ProcessingError[] {
  if (session.audioFilesSent === null || session.audioFilesSent === received) return [];
  const missing = session.audioFilesSent - received;
  return [
    {
      type: 'audio_files_mismatch',
      message:
        missing > 0
          ? `Client reported ${session.audioFilesSent} audio files but ${received} were received (${missing} missing)`
          : `Client reported ${session.audioFilesSent} audio files but ${received} were received`,
    },
  ];
}

function failedTemplates(session: Session, templates: TemplateRegistry, code: string, message: string): TemplateOutcome[] {
  return session.templates.map((id, i) => ({
    template_id: id,
    status: 'failed' as const,
    document_id: `doc_${session.id}_${i}`,
    document_type: templates.get(id)?.documentType ?? 'unknown',
    error: templates.get(id) ? { code, message } : { code: 'template_not_found', message: `Template "${id}" does not exist` },
  }));
}

interface Transcribed {
  segments: TranscriptSegment[];
  language: string | undefined;
  processed: number;
  errors: ProcessingError[];
}

/** Decodes the committed chunks in sequence order and transcribes each; a bad chunk is skipped and reported. */
async function transcribeChunks(deps: ProcessSessionDeps, session: Session, transcriber: Transcriber, chunks: StoredChunk[]): Promise<Transcribed> {
  const out: Transcribed = { segments: [], language: undefined, processed: 0, errors: [] };
  const sources: ReopenableSource[] = chunks.map((c) => ({ open: () => deps.blobs.get(c.blobKey) }));
  let offset = 0;
  let precedingSamples = 0;
  const language = session.transcriptLanguage[0] ?? session.languageHint[0];
  for (const [i, chunk] of chunks.entries()) {
    let decoded;
    try {
      decoded = await decodeChunk(sources[i]!, sources.slice(0, i), { precedingSamples });
    } catch (err) {
      if (err instanceof FfmpegMissingError) throw err;
      if (!(err instanceof UndecodableAudioError)) throw err;
      out.errors.push({ type: 'audio_file_skipped', file: chunk.name, message: `Audio file ${chunk.name} could not be decoded` });
      continue;
    }
    precedingSamples += decoded.pcm.length;
    // Bytes that decode to (almost) nothing are as good as undecodable.
    if (decoded.pcm.length < MIN_CHUNK_SAMPLES) {
      out.errors.push({ type: 'audio_file_skipped', file: chunk.name, message: `Audio file ${chunk.name} contains no decodable audio` });
      continue;
    }
    if (session.uploadType === 'chunked' && decoded.durationSec > deps.maxChunkDurationSeconds + CHUNK_DURATION_TOLERANCE_S) {
      out.errors.push({
        type: 'audio_file_skipped',
        file: chunk.name,
        message: `Audio file ${chunk.name} is ${decoded.durationSec.toFixed(1)} s long, over the ${deps.maxChunkDurationSeconds} s chunk limit`,
      });
      offset += decoded.durationSec;
      continue;
    }
    const t = await transcriber.transcribe(decoded.pcm, language ? { language } : {});
    out.language ??= t.language;
    for (const s of t.segments) out.segments.push({ start: s.start + offset, end: s.end + offset, text: s.text });
    offset += decoded.durationSec;
    out.processed++;
  }
  return out;
}

/**
 * Turns a committed session into its result: decode → transcribe → extract each
 * requested template. Without a transcriber the only honest outcome is `failed`
 * with `processing_failed`: no transcript is ever invented.
 */
export async function processSession(deps: ProcessSessionDeps, job: Job): Promise<void> {
  const { tenantId, sessionId } = job.payload as { tenantId: string; sessionId: string };
  const session = await deps.store.getSession(tenantId, sessionId);
  if (!session || session.status !== 'processing') return; // already finished: the job is idempotent
  const files = session.committedFiles ?? [];
  const errors = mismatchError(session, files.length);

  const finish = async (status: SessionStatus, result: SessionResult) => {
    await deps.store.transaction((tx) => tx.finishSession(tenantId, sessionId, status, result, deps.clock.now()));
    deps.log.info({ sessionId, status, files: files.length, processed: result.audio_files_processed }, 'session processed');
  };
  const fail = (code: string, message: string, templateCode: string, extra: Partial<SessionResult> = {}) =>
    finish('failed', {
      model_used: session.model,
      transcript: '',
      templates: failedTemplates(session, deps.templates, templateCode, message),
      audio_files_processed: 0,
      processing_errors: errors,
      error: { code, message },
      ...extra,
    });

  if (files.length === 0) return fail('audio_too_short', 'The session ended with no audio files', 'insufficient_audio');
  if (!deps.transcriber) return fail('processing_failed', 'no transcriber configured', 'extraction_failed');
  // Chunk rows are read only when there is audio to transcribe.
  const byName = new Map((await deps.store.listChunks(tenantId, sessionId)).map((c) => [c.name, c]));
  const chunks = files.map((f) => byName.get(f)).filter((c): c is StoredChunk => c !== undefined);

  let transcribed: Transcribed;
  try {
    transcribed = await transcribeChunks(deps, session, deps.transcriber, chunks);
  } catch (err) {
    if (err instanceof FfmpegMissingError) return fail('processing_failed', 'ffmpeg is not available to decode audio', 'extraction_failed');
    throw err; // recogniser failure: the job is retried with backoff, then dead-lettered
  }
  errors.push(...transcribed.errors);
  if (transcribed.processed === 0) {
    return fail('audio_quality_poor', 'None of the audio files could be decoded', 'insufficient_audio', { processing_errors: errors });
  }
  const lines: TranscriptLine[] =
    session.mode === 'consultation'
      ? labelSpeakers(transcribed.segments)
      : transcribed.segments.map((s) => ({ speaker: 'doctor' as const, text: s.text, start: s.start, end: s.end }));
  const text = transcriptText(lines, session.mode);
  if (text.trim() === '') {
    return fail('audio_quality_poor', 'No speech was recognised in the audio', 'insufficient_audio', {
      processing_errors: errors,
      audio_files_processed: transcribed.processed,
    });
  }
  const language = transcribed.language ?? 'en';
  const templates: TemplateOutcome[] = [];
  for (const [i, id] of session.templates.entries()) {
    const extraction = await deps.extractor.extract(id, { lines, mode: session.mode, language });
    templates.push({
      template_id: id,
      document_id: `doc_${session.id}_${i}`,
      document_type: deps.templates.get(id)?.documentType ?? 'unknown',
      ...(extraction.status === 'success'
        ? { status: 'success' as const, data: extraction.data }
        : { status: 'failed' as const, error: extraction.error }),
    });
  }
  const complete = errors.length === 0 && templates.every((t) => t.status === 'success');
  await finish(complete ? 'completed' : 'partial', {
    model_used: session.model,
    language_detected: language,
    transcript: text,
    templates,
    audio_files_processed: transcribed.processed,
    processing_errors: errors,
  });
}
