import type { FastifyError, FastifyInstance } from 'fastify';
import { ProtocolError } from '../../core/errors.js';

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

function fromValidation(err: FastifyError): ProtocolError {
  const issue = (err.validation as ValidationIssue[] | undefined)?.[0];
  const where = err.validationContext ?? 'body';
  if (issue?.keyword === 'required') {
    const field = String(issue.params.missingProperty ?? '');
    return new ProtocolError('missing_required_field', `Missing required field "${field}"`, { field, location: where });
  }
  const field = issue?.instancePath.replace(/^\//, '').replace(/\//g, '.') || undefined;
  return new ProtocolError('invalid_request', `Invalid ${where}${field ? ` field "${field}"` : ''}: ${issue?.message ?? 'malformed'}`, {
    location: where,
    ...(field ? { field } : {}),
  });
}

/** Maps every failure to the protocol's error body, once. Client mistakes never become a 500. */
export function toProtocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  const e = err as FastifyError;
  if (e?.validation) return fromValidation(e);
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ProtocolError('request_too_large', 'Request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ProtocolError('unsupported_media_type', 'Unsupported Content-Type for this endpoint; send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ProtocolError('invalid_request', 'Request body is empty; a JSON object is required');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ProtocolError('invalid_request', 'Request body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ProtocolError('invalid_request', 'Content-Length does not match the body');
    case 'FST_REQ_FILE_TOO_LARGE':
      return new ProtocolError('chunk_too_large', 'Audio file is too large');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new ProtocolError('invalid_request', 'Malformed multipart body');
  }
  if (e instanceof SyntaxError) return new ProtocolError('invalid_request', 'Request body is not valid JSON');
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) return new ProtocolError('invalid_request', 'Malformed request');
  return new ProtocolError('internal_error', 'Internal server error');
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const perr = toProtocolError(err);
    if (perr.status >= 500) request.log.error({ err }, 'request failed');
    // A body we stopped reading part-way cannot be drained: close the connection.
    if (perr.code === 'chunk_too_large' || perr.code === 'request_too_large') reply.header('connection', 'close');
    reply.status(perr.status).headers(perr.headers ?? {}).send(perr.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(new ProtocolError('not_found', `No route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`).toBody());
  });
}
