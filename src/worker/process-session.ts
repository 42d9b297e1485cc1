import type { Logger } from 'pino';
import { TemplateRegistry } from '../core/templates/registry.js';
import type { ProcessingError, SessionResult, SessionStatus, TemplateOutcome } from '../core/session.js';
import type { Clock } from '../ports/clock.js';
import type { Job } from '../ports/job-queue.js';
import type { SessionStore } from '../ports/session-store.js';
import type { Transcriber } from '../ports/transcriber.js';

export interface ProcessSessionDeps {
  store: SessionStore;
  clock: Clock;
  templates: TemplateRegistry;
  /** Undefined until a speech recogniser is configured. */
  transcriber: Transcriber | undefined;
  log: Logger;
}

/**
 * Turns a committed session into its result. Without a transcriber the only honest
 * outcome is `failed` with `processing_failed`: no transcript is ever invented.
 */
export async function processSession(deps: ProcessSessionDeps, job: Job): Promise<void> {
  const { tenantId, sessionId } = job.payload as { tenantId: string; sessionId: string };
  const session = await deps.store.getSession(tenantId, sessionId);
  if (!session || session.status !== 'processing') return; // already finished: the job is idempotent
  const files = session.committedFiles ?? [];
  const processingErrors: ProcessingError[] = [];
  if (session.audioFilesSent !== null && session.audioFilesSent !== files.length) {
    const missing = session.audioFilesSent - files.length;
    processingErrors.push({
      type: 'audio_files_mismatch',
      message:
        missing > 0
          ? `Client reported ${session.audioFilesSent} audio files but ${files.length} were received (${missing} missing)`
          : `Client reported ${session.audioFilesSent} audio files but ${files.length} were received`,
    });
  }
  const failTemplates = (code: string, message: string): TemplateOutcome[] =>
    session.templates.map((id, i) => ({
      template_id: id,
      status: 'failed' as const,
      document_id: `doc_${session.id}_${i}`,
      document_type: deps.templates.get(id)?.documentType ?? 'unknown',
      error: deps.templates.get(id) ? { code, message } : { code: 'template_not_found', message: `Template "${id}" does not exist` },
    }));

  let status: SessionStatus = 'failed';
  let error: SessionResult['error'];
  if (files.length === 0) {
    error = { code: 'audio_too_short', message: 'The session ended with no audio files' };
  } else if (!deps.transcriber) {
    error = { code: 'processing_failed', message: 'no transcriber configured' };
  } else {
    // The processing pipeline (decode → transcribe → extract) is wired in with its issue.
    error = { code: 'processing_failed', message: 'processing pipeline not available in this build' };
  }
  const result: SessionResult = {
    model_used: session.model,
    transcript: '',
    templates: failTemplates(error.code === 'audio_too_short' ? 'insufficient_audio' : 'extraction_failed', error.message),
    audio_files_processed: 0,
    processing_errors: processingErrors,
    error,
  };
  const finished = await deps.store.transaction((tx) => tx.finishSession(tenantId, sessionId, status, result, deps.clock.now()));
  deps.log.info({ sessionId, status, finished }, 'session processed');
}
