import type { Logger } from 'pino';
import { FfmpegMissingError } from '../speech/audio/index.js';
import { transcriptLines, transcriptText } from '../core/speakers.js';
import { appendChunkSegments } from '../core/transcript-so-far.js';
import type { TemplateRegistry } from '../core/templates/registry.js';
import type { ChunkTranscript, FinishedStatus, ProcessingError, Session, SessionResult, StoredChunk, TemplateOutcome } from '../core/session.js';
import type { Clock } from '../core/ports/clock.js';
import type { SessionEvents } from '../core/session-events.js';
import type { Extractor, TranscriptLine } from '../core/ports/extractor.js';
import { JobKeys, type JobOf } from '../core/jobs.js';
import { WORKER_DIED_ON_LAST_ATTEMPT, type JobQueue } from '../core/ports/job-queue.js';
import type { SessionStore } from '../core/ports/session-store.js';
import { PermanentTranscriberError, type TranscriptSegment } from '../core/ports/transcriber.js';
import type { ChunkTranscriber } from './chunk-transcriber.js';
import { failedTemplates, processingFailedResult } from './failed-result.js';
import type { JobReleased } from './worker.js';
import { precedingSamples } from './transcribe-chunk.js';

export interface ProcessSessionDeps {
  store: SessionStore;
  clock: Clock;
  templates: TemplateRegistry;
  /** Undefined when no speech recogniser is configured. */
  chunks: ChunkTranscriber | undefined;
  extractor: Extractor;
  events: SessionEvents;
  /** Asked which chunks another worker is recognising right now, and which killed their worker. */
  jobs: Pick<JobQueue, 'running' | 'dead'>;
  log: Logger;
}

/** How long a session job steps aside while another worker finishes one of its chunks. */
const CHUNK_WAIT_MS = 400;

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

interface Transcribed {
  segments: TranscriptSegment[];
  language: string | undefined;
  processed: number;
  errors: ProcessingError[];
}

/**
 * The committed chunks in sequence order, each from its stored transcript when
 * incremental transcription got to it, else recognised now. On the job's last
 * attempt a chunk the recogniser keeps failing on is skipped and reported
 * rather than failing the whole session.
 */
async function transcribeCommitted(
  deps: ProcessSessionDeps & { chunks: ChunkTranscriber },
  session: Session,
  chunks: StoredChunk[],
  known: ReadonlyMap<string, ChunkTranscript>,
  lastAttempt: boolean,
  poison: ReadonlySet<string>,
): Promise<Transcribed> {
  const out: Transcribed = { segments: [], language: undefined, processed: 0, errors: [] };
  const done: Array<ChunkTranscript | undefined> = [];
  let offset = 0;
  for (const [i, chunk] of chunks.entries()) {
    let t = known.get(chunk.blobKey);
    if (!t && poison.has(chunk.blobKey)) {
      // Its own job's worker died on it every time: recognised here it would take this job down too.
      out.errors.push({ type: 'audio_file_skipped', file: chunk.name, message: `Audio file ${chunk.name} could not be processed (its recognition stopped the worker)` });
      done.push(undefined);
      continue;
    }
    if (!t) {
      const preceding = precedingSamples(done);
      try {
        t = await deps.chunks.transcribe(session, chunk, chunks.slice(0, i), {
          complete: true,
          phase: 'at_end',
          ...(preceding !== undefined ? { precedingSamples: preceding } : {}),
        });
      } catch (err) {
        if (err instanceof FfmpegMissingError || !(lastAttempt || err instanceof PermanentTranscriberError)) throw err;
        deps.log.error({ sessionId: session.id, file: chunk.name, err: (err as Error).message }, 'speech recogniser failed on a chunk');
        out.errors.push({ type: 'transcription_failed', file: chunk.name, message: `The speech recogniser failed on audio file ${chunk.name}` });
        done.push(undefined);
        continue;
      }
    }
    done.push(t);
    if (!t) continue; // cannot happen with complete predecessors; kept total
    if (t.error) out.errors.push(t.error);
    if (t.outcome === 'transcribed') {
      out.language ??= t.language ?? undefined;
      out.processed++;
    }
    // A skipped chunk has no segments but still takes its decoded length on the timeline.
    offset = appendChunkSegments(out.segments, t, offset);
  }
  return out;
}

/** The finished status and its webhook event, in one transaction. */
async function finishAndNotify(
  deps: ProcessSessionDeps,
  tenantId: string,
  sessionId: string,
  status: FinishedStatus,
  result: SessionResult,
): Promise<void> {
  const now = deps.clock.now();
  await deps.store.transaction(async (tx) => {
    if (await tx.finishSession(tenantId, sessionId, status, result, now)) await deps.events.emit(tx, tenantId, sessionId, `session.${status}`, now);
  });
}

/**
 * Turns a committed session into its result: decode → transcribe → extract each
 * requested template. Without a transcriber the only honest outcome is `failed`
 * with `processing_failed`: no transcript is ever invented.
 */
export async function processSession(deps: ProcessSessionDeps, job: JobOf<'process-session'>): Promise<void | JobReleased> {
  const lastAttempt = job.attempts >= job.maxAttempts;
  try {
    return await buildResult(deps, job, lastAttempt);
  } catch (err) {
    if (!lastAttempt) throw err; // retried with backoff
    // The last attempt: say so in the session rather than leave it processing for ever.
    const { tenantId, sessionId } = job.payload;
    const session = await deps.store.getSession(tenantId, sessionId);
    if (!session || session.status !== 'processing') throw err;
    await finishAndNotify(deps, tenantId, sessionId, 'failed', processingFailedResult(session, deps.templates, 'Processing failed after repeated attempts'));
    deps.log.error({ sessionId, err: (err as Error).message }, 'session failed after its last processing attempt');
  }
}

async function buildResult(deps: ProcessSessionDeps, job: JobOf<'process-session'>, lastAttempt: boolean): Promise<void | JobReleased> {
  const { tenantId, sessionId } = job.payload;
  const session = await deps.store.getSession(tenantId, sessionId);
  if (!session || session.status !== 'processing') return; // already finished: the job is idempotent
  const files = session.committedFiles ?? [];
  const errors = mismatchError(session, files.length);

  const finish = async (status: FinishedStatus, result: SessionResult) => {
    await finishAndNotify(deps, tenantId, sessionId, status, result);
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
  if (!deps.chunks) return fail('processing_failed', 'no transcriber configured', 'extraction_failed');
  // Chunk rows are read only when there is audio to transcribe.
  const byName = new Map((await deps.store.listChunks(tenantId, sessionId)).map((c) => [c.name, c]));
  const chunks = files.map((f) => byName.get(f)).filter((c): c is StoredChunk => c !== undefined);
  const known = new Map((await deps.store.listChunkTranscripts(tenantId, sessionId)).map((t) => [t.blobKey, t]));
  // A chunk another worker is recognising now is waited for, not recognised twice
  // (its worker sees this job running and leaves the later chunks to it).
  const pending = chunks.filter((c) => !known.has(c.blobKey)).map((c) => JobKeys.transcribeChunk(c.blobKey));
  if ((await deps.jobs.running(pending)).size > 0) {
    return { releaseUntil: new Date(deps.clock.now().getTime() + CHUNK_WAIT_MS * (0.75 + Math.random() / 2)), rest: false };
  }

  const died = await deps.jobs.dead(pending);
  const poison = new Set(chunks.filter((c) => died.get(JobKeys.transcribeChunk(c.blobKey)) === WORKER_DIED_ON_LAST_ATTEMPT).map((c) => c.blobKey));
  let transcribed: Transcribed;
  try {
    transcribed = await transcribeCommitted({ ...deps, chunks: deps.chunks }, session, chunks, known, lastAttempt, poison);
  } catch (err) {
    if (err instanceof FfmpegMissingError) return fail('processing_failed', 'ffmpeg is not available to decode audio', 'extraction_failed');
    throw err; // recogniser failure: the job is retried with backoff, then dead-lettered
  }
  errors.push(...transcribed.errors);
  if (transcribed.processed === 0) {
    const recogniserFailed = transcribed.errors.some((e) => e.type === 'transcription_failed');
    return recogniserFailed
      ? fail('processing_failed', 'The speech recogniser failed on every audio file', 'extraction_failed', { processing_errors: errors })
      : fail('audio_quality_poor', 'None of the audio files could be decoded', 'insufficient_audio', { processing_errors: errors });
  }
  const lines: TranscriptLine[] = transcriptLines(transcribed.segments, session.mode);
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
        ? { status: 'success' as const, data: extraction.data, review: extraction.review ?? [] }
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
