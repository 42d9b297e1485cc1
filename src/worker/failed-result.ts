import type { ProcessingError, Session, SessionResult, TemplateOutcome } from '../core/session.js';
import type { TemplateRegistry } from '../core/templates/registry.js';

/** Every requested template as failed with `code` (or not found, when it does not exist). */
export function failedTemplates(session: Session, templates: TemplateRegistry, code: string, message: string): TemplateOutcome[] {
  return session.templates.map((id, i) => ({
    template_id: id,
    status: 'failed' as const,
    document_id: `doc_${session.id}_${i}`,
    document_type: templates.get(id)?.documentType ?? 'unknown',
    error: templates.get(id) ? { code, message } : { code: 'template_not_found', message: `Template "${id}" does not exist` },
  }));
}

/** The result of a session that could not be processed at all: nothing is invented, the reason is given. */
export function processingFailedResult(session: Session, templates: TemplateRegistry, message: string, errors: ProcessingError[] = []): SessionResult {
  return {
    model_used: session.model,
    transcript: '',
    templates: failedTemplates(session, templates, 'extraction_failed', message),
    audio_files_processed: 0,
    processing_errors: [...errors, { type: 'processing_failed', message }],
    error: { code: 'processing_failed', message },
  };
}
