import type { Session, StoredChunk, TemplateOutcome } from './session.js';

/** How a session is shown to its owner: the HTTP status is the signal (PROTOCOL.md, Get Session). */
export interface SessionViewBody {
  session_id: string;
  status: string;
  created_at: string;
  expires_at: string;
  upload_url: string;
  audio_files_received: number;
  audio_files: string[];
  additional_data: Record<string, unknown>;
  transcript: string;
  [field: string]: unknown;
}

export interface SessionView {
  httpStatus: 200 | 202 | 206 | 410;
  body: SessionViewBody;
}

export interface ViewOptions {
  uploadUrl: string;
  templateId?: string;
  /** `array` (Eka, default) or `object` keyed by template id (MSA). */
  templatesFormat: 'array' | 'object';
  /** Recording/processing: what has been transcribed so far. */
  transcriptSoFar?: string;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function templatesBody(outcomes: TemplateOutcome[], opts: ViewOptions): unknown {
  const selected = opts.templateId ? outcomes.filter((t) => t.template_id === opts.templateId) : outcomes;
  const entry = (t: TemplateOutcome) => ({
    status: t.status,
    document_id: t.document_id,
    document_type: t.document_type,
    ...(t.data !== undefined ? { data: t.data } : {}),
    ...(t.status === 'success' ? { review: t.review ?? [] } : {}),
    ...(t.error ? { error: t.error } : {}),
    publish: {},
  });
  if (opts.templatesFormat === 'object') {
    return Object.fromEntries(selected.map((t) => [t.template_id, entry(t)]));
  }
  return selected.map((t) => ({ [t.template_id]: entry(t) }));
}

export function sessionView(session: Session, chunks: StoredChunk[], opts: ViewOptions): SessionView {
  const files = session.committedFiles ?? chunks.map((c) => c.name);
  const base: SessionViewBody = {
    session_id: session.id,
    status: session.status,
    created_at: session.createdAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    upload_url: opts.uploadUrl,
    session_mode: session.mode,
    upload_type: session.uploadType,
    model: session.model,
    templates_requested: session.templates,
    audio_files_received: files.length,
    audio_files: files,
    additional_data: session.additionalData,
    patient_details: session.patientDetails ?? {},
    transcript: session.result?.transcript ?? opts.transcriptSoFar ?? '',
  };
  const r = session.result;
  switch (session.status) {
    case 'created':
    case 'recording':
    case 'processing':
      return { httpStatus: 202, body: base };
    case 'expired':
      return {
        httpStatus: 410,
        body: {
          ...base,
          expired_at: iso(session.expiredAt),
          message: 'Session expired before processing was initiated',
          templates: opts.templatesFormat === 'object' ? {} : [],
        },
      };
    case 'completed':
    case 'partial':
    case 'failed': {
      const body: SessionViewBody = {
        ...base,
        completed_at: iso(session.completedAt),
        ...(r?.model_used ? { model_used: r.model_used } : {}),
        ...(r?.language_detected ? { language_detected: r.language_detected } : {}),
        templates: templatesBody(r?.templates ?? [], opts),
      };
      if (session.status === 'partial' || (r && r.processing_errors.length > 0)) {
        body.audio_files_processed = r?.audio_files_processed ?? 0;
        body.processing_errors = r?.processing_errors ?? [];
      }
      if (session.status === 'failed' && r?.error) body.error = r.error;
      return { httpStatus: session.status === 'partial' ? 206 : 200, body };
    }
  }
}
