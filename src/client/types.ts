/** Wire types, derived from the server's schemas (type-only imports: nothing server-side is bundled). */
import type { Static } from 'typebox';
import type {
  CreateSessionBody,
  CreateSessionResponse as CreateSessionResponseSchema,
  CreateWebhookBody as CreateWebhookBodySchema,
  CreateWebhookResponse as CreateWebhookResponseSchema,
  EndSessionResponse as EndSessionResponseSchema,
  SessionBody as SessionBodySchema,
  TemplatesResponse as TemplatesResponseSchema,
  UploadResponse as UploadResponseSchema,
  WebhookBody as WebhookBodySchema,
} from '../http/schemas.js';

export type CreateSessionRequest = CreateSessionBody;
export type CreateSessionResponse = Static<typeof CreateSessionResponseSchema>;
export type UploadResponse = Static<typeof UploadResponseSchema>;
export type EndSessionResponse = Static<typeof EndSessionResponseSchema>;
export type TemplatesResponse = Static<typeof TemplatesResponseSchema>;
export type CreateWebhookRequest = Static<typeof CreateWebhookBodySchema>;
export type CreateWebhookResponse = Static<typeof CreateWebhookResponseSchema>;
export type Webhook = Static<typeof WebhookBodySchema>;

export type SessionStatus = 'created' | 'recording' | 'initialized' | 'processing' | 'completed' | 'partial' | 'failed' | 'expired';

/** Get Session body; finished states add the fields below. */
export type SessionView = Static<typeof SessionBodySchema> & {
  status: SessionStatus | string;
  completed_at?: string;
  model_used?: string;
  language_detected?: string;
  templates?: Array<Record<string, TemplateResult>> | Record<string, TemplateResult>;
  audio_files_processed?: number;
  processing_errors?: Array<{ type: string; message: string; file?: string }>;
  error?: { code: string; message: string };
  [key: string]: unknown;
};

export interface TemplateResult {
  status: 'success' | 'failed' | 'processing' | string;
  document_id?: string;
  document_type?: string;
  data?: unknown;
  /** What the clinician should check before signing this document. */
  review?: Array<{ field: string; reason: string; evidence: Array<{ line: number; start: number; end: number; text: string }> }>;
  error?: { code: string; message: string };
  [key: string]: unknown;
}

export interface GetSessionResult {
  /** The HTTP status is the signal: 202 not finished, 200 completed/failed, 206 partial, 410 expired. */
  status: number;
  body: SessionView;
}

export type Discovery = Record<string, unknown>;
