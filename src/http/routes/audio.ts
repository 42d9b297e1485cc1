import multipart from '@fastify/multipart';
import contentDisposition from 'content-disposition';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Readable } from 'node:stream';
import { ProtocolError } from '../../core/errors.js';
import type { SessionService } from '../../core/sessions.js';
import { DISCARD_MAX_BYTES, DISCARD_MAX_MS, discardRest } from '../discard-body.js';
import { AudioParams, ErrorBody, SessionParams, UploadResponse } from '../schemas.js';

function declaredLength(request: FastifyRequest): number | undefined {
  const raw = request.headers['content-length'];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

function fileNameFromDisposition(header: string | undefined): string {
  if (!header) {
    throw new ProtocolError('missing_required_field', 'Send the file name in the path (/audio/{file_name}), as multipart field "file", or in Content-Disposition', {
      field: 'file_name',
    });
  }
  try {
    const name = contentDisposition.parse(header).parameters.filename;
    if (name) return name;
  } catch {
    // fall through to the error below
  }
  throw new ProtocolError('invalid_request', 'Content-Disposition has no usable filename', { field: 'content-disposition' });
}

/**
 * A failure of the upload body itself (the client closed the connection mid-body,
 * or sent multipart that busboy cannot parse) is the client's mistake: 400, not 500.
 * Fastify's own errors keep their code so errors.ts maps them (e.g. FST_REQ_FILE_TOO_LARGE → 413).
 */
function bodyError(err: unknown): unknown {
  if (err instanceof ProtocolError) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('FST_')) return err;
  const reason = err instanceof Error ? err.message.slice(0, 200) : 'unreadable body';
  return new ProtocolError('invalid_request', 'The upload body is malformed or ended early', { reason });
}

/**
 * Audio upload: raw body at /audio/{file_name}, or at /audio with multipart
 * (field "file") or Content-Disposition. Bodies stream to storage; nothing is
 * buffered whole and the size limit is enforced while reading.
 */
export async function audioRoutes(base: FastifyInstance, sessions: SessionService, maxUploadBytes: number): Promise<void> {
  // Audio bodies are streams handed to the route, whatever their Content-Type.
  base.removeAllContentTypeParsers();
  base.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  await base.register(multipart, { limits: { files: 1, fields: 10, fileSize: maxUploadBytes + 1, parts: 20 } });
  // Node drains a raw body nobody started reading, but not one we stopped reading part-way (a body
  // destroyed after refused first bytes) nor a multipart body busboy is stuck in (a part left
  // unread or destroyed): those bytes stay on the socket, which destroying the stream does not
  // close, and a keep-alive client's next request hangs behind them. Close such connections;
  // a multipart part refused before it was read is drained instead (`draining`).
  const draining = new WeakSet<FastifyRequest>();
  base.addHook('onSend', async (request, reply) => {
    const stuck = request.raw.destroyed || (request.isMultipart() && !draining.has(request));
    if (!request.raw.complete && stuck) reply.header('connection', 'close');
  });
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { apiKey: [] }];
  const response = { 200: UploadResponse, '4xx': ErrorBody };

  const store = async (sessionId: string, tenantId: string, fileName: string, contentType: string | undefined, length: number | undefined, body: Readable | undefined) => {
    // No body at all reaches us as undefined: treat it as an empty file.
    const stream = body ?? Readable.from([]);
    // Busboy emits 'error' on a part stream without destroying it, so `stream.errored` is not enough.
    let streamFailed = false;
    stream.on('error', () => (streamFailed = true));
    const chunk = await sessions
      .addChunk(tenantId, sessionId, { fileName, contentType, declaredLength: length, body: stream })
      .catch(async (err: unknown) => {
        // Answer now and read what is left of the refused body in the background (bounded):
        // closing with bytes in flight would reset the socket and lose the answer.
        // A stream destroyed with an error reports it on the next tick: `errored` is set at once.
        const failed = streamFailed || stream.errored !== null;
        if (!failed) void discardRest(stream, DISCARD_MAX_BYTES, DISCARD_MAX_MS);
        throw failed ? bodyError(err) : err;
      });
    return { session_id: sessionId, success: true, original_filename: chunk.originalName, stored_filename: chunk.name, bytes: chunk.bytes };
  };

  app.post(
    '/sessions/:session_id/audio/:file_name',
    {
      schema: {
        tags: ['audio'],
        summary: 'Upload one audio chunk (raw body; Content-Type is the audio MIME type)',
        security,
        params: AudioParams,
        consumes: ['audio/webm', 'audio/wav', 'audio/ogg', 'audio/mp4', 'audio/mpeg', 'application/octet-stream'],
        response,
      },
    },
    async (request) =>
      store(
        request.params.session_id,
        request.principal.tenantId,
        request.params.file_name,
        request.headers['content-type'],
        declaredLength(request),
        request.body as Readable | undefined,
      ),
  );

  app.post(
    '/sessions/:session_id/audio',
    {
      schema: {
        tags: ['audio'],
        summary: 'Upload one audio chunk (multipart field "file", or raw body with Content-Disposition filename)',
        security,
        params: SessionParams,
        consumes: ['multipart/form-data', 'audio/webm', 'application/octet-stream'],
        response,
      },
    },
    async (request) => {
      const { session_id } = request.params;
      const tenantId = request.principal.tenantId;
      if (request.isMultipart()) {
        // Everything request.file() can fail on is the client's body (no boundary, truncated parts, aborts).
        const part = await request.file().catch((err: unknown) => {
          throw bodyError(err);
        });
        if (!part || part.fieldname !== 'file') {
          part?.file.resume();
          draining.add(request);
          throw new ProtocolError('missing_required_field', 'Multipart upload needs a file in field "file"', { field: 'file' });
        }
        // A part busboy takes for a file (e.g. Content-Type application/octet-stream) may have no filename.
        if (!part.filename) {
          part.file.resume();
          draining.add(request);
          throw new ProtocolError('missing_required_field', 'The multipart file needs a filename, e.g. audio_0.webm', { field: 'filename' });
        }
        return await store(session_id, tenantId, part.filename, part.mimetype, undefined, part.file).catch((err: unknown) => {
          // Refused before the part was read (unknown session, bad name or type): let busboy read
          // the rest so the connection stays usable. A part storage gave up on is destroyed.
          if (!part.file.destroyed || part.file.readableEnded) {
            part.file.resume();
            draining.add(request);
          }
          throw err;
        });
      }
      const name = fileNameFromDisposition(request.headers['content-disposition']);
      return store(session_id, tenantId, name, request.headers['content-type'], declaredLength(request), request.body as Readable | undefined);
    },
  );
}
