/** The one error type of the protocol; mapped to HTTP once, in http/plugins/errors.ts. */
export type ErrorCode =
  | 'authentication_failed'
  | 'forbidden'
  | 'rate_limit_exceeded'
  | 'session_not_found'
  | 'template_not_found'
  | 'webhook_not_found'
  | 'delivery_not_found'
  | 'delivery_pending'
  | 'not_found'
  | 'session_expired'
  | 'invalid_request'
  | 'missing_required_field'
  | 'invalid_template'
  | 'invalid_audio_format'
  | 'invalid_file_name'
  | 'session_ended'
  | 'session_completed'
  | 'session_already_exists'
  | 'session_already_ended'
  | 'unsupported_version'
  | 'unsupported_media_type'
  | 'chunk_too_large'
  | 'request_too_large'
  | 'audio_quality_poor'
  | 'audio_too_short'
  | 'language_unsupported'
  | 'internal_error'
  | 'processing_failed'
  | 'service_unavailable'
  | 'insufficient_storage';

const STATUS: Record<ErrorCode, number> = {
  authentication_failed: 401,
  forbidden: 403,
  rate_limit_exceeded: 429,
  session_not_found: 404,
  template_not_found: 404,
  webhook_not_found: 404,
  delivery_not_found: 404,
  delivery_pending: 409,
  not_found: 404,
  session_expired: 410,
  invalid_request: 400,
  missing_required_field: 400,
  invalid_template: 400,
  invalid_audio_format: 400,
  invalid_file_name: 400,
  session_ended: 400,
  session_completed: 400,
  session_already_exists: 409,
  session_already_ended: 409,
  unsupported_version: 400,
  unsupported_media_type: 415,
  chunk_too_large: 413,
  request_too_large: 413,
  audio_quality_poor: 422,
  audio_too_short: 422,
  language_unsupported: 422,
  internal_error: 500,
  processing_failed: 500,
  service_unavailable: 503,
  insufficient_storage: 507,
};

export class ProtocolError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ProtocolError';
    this.status = STATUS[code];
  }

  toBody(): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export const sessionNotFound = (id: string): ProtocolError =>
  new ProtocolError('session_not_found', `Session ${JSON.stringify(id)} not found`);
