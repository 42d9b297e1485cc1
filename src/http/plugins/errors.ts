import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ProtocolError } from '../../core/errors.js';
import { DISCARD_MAX_BYTES, DISCARD_MAX_MS, discardRest } from '../discard-body.js';
import { StoreUnavailableError } from '../../core/ports/store-unavailable.js';
import { StorageFullError, isStorageFullCode } from '../../core/ports/storage-full.js';

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
  // The database is down: the client should retry, and nothing is wrong with its request.
  if (err instanceof StoreUnavailableError) {
    return new ProtocolError('service_unavailable', 'The service is temporarily unavailable; retry later', { retry_after_seconds: err.retryAfterSeconds }, {
      'retry-after': String(err.retryAfterSeconds),
    });
  }
  // Disk full (blob store, or SQLite's own SQLITE_FULL): nothing was stored; retry when space returns.
  if (err instanceof StorageFullError || isStorageFullCode(err)) {
    return new ProtocolError('insufficient_storage', 'The server has no storage space left; retry later', { retry_after_seconds: 30 }, { 'retry-after': '30' });
  }
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
  app.setErrorHandler(async (err, request, reply) => {
    const perr = toProtocolError(err);
    if (perr.code === 'service_unavailable' || perr.code === 'insufficient_storage') request.log.warn({ reason: (err as Error).message }, 'request refused: dependency unavailable');
    else if (perr.status >= 500) request.log.error({ err }, 'request failed');
    // A JSON body refused part-way (over the size or depth limit): the rest is read and
    // dropped first, bounded (a lingering close), so that the answer arrives instead of a
    // connection reset. Past the bound the connection is closed.
    if (!request.raw.complete && !request.raw.destroyed && (perr.code === 'request_too_large' || perr.code === 'invalid_request')) {
      await discardRest(request.raw, DISCARD_MAX_BYTES, DISCARD_MAX_MS);
      if (!request.raw.complete) reply.header('connection', 'close');
    }
    return reply.status(perr.status).headers(perr.headers ?? {}).send(perr.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(new ProtocolError('not_found', `No route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`).toBody());
  });
  // HTTP/1.1 needs a Host header (RFC 9112 §3.2). Node checks it itself with an empty 400
  // unless the server is created with `http: { requireHostHeader: false }`; then it is checked here.
  app.addHook('onRequest', async (request) => {
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      throw new ProtocolError('invalid_request', 'An HTTP/1.1 request needs a Host header', { field: 'host' });
    }
  });
  // Node answers an unknown `Expect` itself (417, empty body) unless someone listens.
  app.server.on('checkExpectation', (request, response) => {
    const body = JSON.stringify(
      new ProtocolError('invalid_request', 'Unsupported Expect header; only 100-continue is supported', {
        expect: String(request.headers.expect ?? '').slice(0, 100),
      }).toBody(),
    );
    response.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    response.end(body);
  });
}

/**
 * For Fastify's `frameworkErrors` option: failures the router meets before any hook
 * or route runs (malformed %-encoding in the path, a path parameter longer than
 * maxParamLength). Fastify's own bodies for these are not the protocol shape.
 */
export function frameworkErrorHandler(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const perr =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new ProtocolError('invalid_request', 'A path segment is too long')
      : new ProtocolError('invalid_request', 'Malformed URL');
  reply.status(perr.status).send(perr.toBody());
}

/**
 * For Fastify's `clientErrorHandler` option: bytes Node's HTTP parser rejects (garbage
 * request lines, invalid headers, broken framing, oversized headers) get the protocol
 * error body too. Mirrors Fastify's default handler otherwise.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, perr] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, new ProtocolError('invalid_request', 'Request timed out')]
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, new ProtocolError('request_too_large', 'Request headers are too large')]
        : [400, new ProtocolError('invalid_request', 'Malformed HTTP request')];
  const body = JSON.stringify(perr.toBody());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
