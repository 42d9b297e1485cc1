/** Typed protocol errors: one class per error code, so callers can `instanceof`. No runtime imports from the server. */
import type { ErrorCode } from '../core/errors.js';

export type { ErrorCode };

export class OpenScribeError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Seconds from a Retry-After header, when the server sent one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'OpenScribeError';
  }
}

/** The request never got an HTTP answer (DNS, connection refused, reset, aborted). */
export class NetworkError extends OpenScribeError {
  constructor(message: string, cause?: unknown) {
    super('network_error', 0, message);
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
    this.name = 'NetworkError';
  }
}

type Ctor = new (status: number, message: string, details?: Record<string, unknown>, retryAfterSeconds?: number) => OpenScribeError;

function define(code: ErrorCode, name: string): Ctor {
  const C = class extends OpenScribeError {
    constructor(status: number, message: string, details?: Record<string, unknown>, retryAfterSeconds?: number) {
      super(code, status, message, details, retryAfterSeconds);
      this.name = name;
    }
  };
  Object.defineProperty(C, 'name', { value: name });
  return C;
}

export const AuthenticationFailedError = define('authentication_failed', 'AuthenticationFailedError');
export const ForbiddenError = define('forbidden', 'ForbiddenError');
export const RateLimitExceededError = define('rate_limit_exceeded', 'RateLimitExceededError');
export const SessionNotFoundError = define('session_not_found', 'SessionNotFoundError');
export const TemplateNotFoundError = define('template_not_found', 'TemplateNotFoundError');
export const WebhookNotFoundError = define('webhook_not_found', 'WebhookNotFoundError');
export const DeliveryNotFoundError = define('delivery_not_found', 'DeliveryNotFoundError');
export const DeliveryPendingError = define('delivery_pending', 'DeliveryPendingError');
export const NotFoundError = define('not_found', 'NotFoundError');
export const SessionExpiredError = define('session_expired', 'SessionExpiredError');
export const InvalidRequestError = define('invalid_request', 'InvalidRequestError');
export const MissingRequiredFieldError = define('missing_required_field', 'MissingRequiredFieldError');
export const InvalidTemplateError = define('invalid_template', 'InvalidTemplateError');
export const InvalidAudioFormatError = define('invalid_audio_format', 'InvalidAudioFormatError');
export const InvalidFileNameError = define('invalid_file_name', 'InvalidFileNameError');
export const SessionEndedError = define('session_ended', 'SessionEndedError');
export const SessionCompletedError = define('session_completed', 'SessionCompletedError');
export const SessionAlreadyExistsError = define('session_already_exists', 'SessionAlreadyExistsError');
export const SessionAlreadyEndedError = define('session_already_ended', 'SessionAlreadyEndedError');
export const UnsupportedVersionError = define('unsupported_version', 'UnsupportedVersionError');
export const UnsupportedMediaTypeError = define('unsupported_media_type', 'UnsupportedMediaTypeError');
export const ChunkTooLargeError = define('chunk_too_large', 'ChunkTooLargeError');
export const RequestTooLargeError = define('request_too_large', 'RequestTooLargeError');
export const AudioQualityPoorError = define('audio_quality_poor', 'AudioQualityPoorError');
export const AudioTooShortError = define('audio_too_short', 'AudioTooShortError');
export const LanguageUnsupportedError = define('language_unsupported', 'LanguageUnsupportedError');
export const InternalError = define('internal_error', 'InternalError');
export const ProcessingFailedError = define('processing_failed', 'ProcessingFailedError');
export const ServiceUnavailableError = define('service_unavailable', 'ServiceUnavailableError');
export const InsufficientStorageError = define('insufficient_storage', 'InsufficientStorageError');

/** Every protocol error code → its class (exhaustive: a new server code fails to compile here). */
export const ERROR_CLASSES: Record<ErrorCode, Ctor> = {
  authentication_failed: AuthenticationFailedError,
  forbidden: ForbiddenError,
  rate_limit_exceeded: RateLimitExceededError,
  session_not_found: SessionNotFoundError,
  template_not_found: TemplateNotFoundError,
  webhook_not_found: WebhookNotFoundError,
  delivery_not_found: DeliveryNotFoundError,
  delivery_pending: DeliveryPendingError,
  not_found: NotFoundError,
  session_expired: SessionExpiredError,
  invalid_request: InvalidRequestError,
  missing_required_field: MissingRequiredFieldError,
  invalid_template: InvalidTemplateError,
  invalid_audio_format: InvalidAudioFormatError,
  invalid_file_name: InvalidFileNameError,
  session_ended: SessionEndedError,
  session_completed: SessionCompletedError,
  session_already_exists: SessionAlreadyExistsError,
  session_already_ended: SessionAlreadyEndedError,
  unsupported_version: UnsupportedVersionError,
  unsupported_media_type: UnsupportedMediaTypeError,
  chunk_too_large: ChunkTooLargeError,
  request_too_large: RequestTooLargeError,
  audio_quality_poor: AudioQualityPoorError,
  audio_too_short: AudioTooShortError,
  language_unsupported: LanguageUnsupportedError,
  internal_error: InternalError,
  processing_failed: ProcessingFailedError,
  service_unavailable: ServiceUnavailableError,
  insufficient_storage: InsufficientStorageError,
};

/** Builds the typed error for an error response; unknown codes stay a plain OpenScribeError. */
export function errorFromResponse(status: number, body: unknown, retryAfterSeconds?: number): OpenScribeError {
  const err = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const code = typeof err?.code === 'string' ? err.code : `http_${status}`;
  const message = typeof err?.message === 'string' ? err.message : `HTTP ${status}`;
  const details = err?.details && typeof err.details === 'object' ? (err.details as Record<string, unknown>) : undefined;
  const C = (ERROR_CLASSES as Record<string, Ctor | undefined>)[code];
  return C ? new C(status, message, details, retryAfterSeconds) : new OpenScribeError(code, status, message, details, retryAfterSeconds);
}
