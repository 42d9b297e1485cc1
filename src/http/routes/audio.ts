import multipart from '@fastify/multipart';
import contentDisposition from 'content-disposition';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Readable } from 'node:stream';
import { ProtocolError } from '../../core/errors.js';
import type { SessionService } from '../../core/sessions.js';
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
 * Audio upload: raw body at /audio/{file_name}, or at /audio with multipart
 * (field "file") or Content-Disposition. Bodies stream to storage; nothing is
 * buffered whole and the size limit is enforced while reading.
 */
export async function audioRoutes(base: FastifyInstance, sessions: SessionService, maxUploadBytes: number): Promise<void> {
  // Audio bodies are streams handed to the route, whatever their Content-Type.
  base.removeAllContentTypeParsers();
  base.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  await base.register(multipart, { limits: { files: 1, fields: 10, fileSize: maxUploadBytes + 1, parts: 20 } });
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { apiKey: [] }];
  const response = { 200: UploadResponse, '4xx': ErrorBody };

  const store = async (sessionId: string, tenantId: string, fileName: string, contentType: string | undefined, length: number | undefined, body: Readable | undefined) => {
    // No body at all reaches us as undefined: treat it as an empty file.
    const chunk = await sessions.addChunk(tenantId, sessionId, { fileName, contentType, declaredLength: length, body: body ?? Readable.from([]) });
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
        const part = await request.file();
        if (!part || part.fieldname !== 'file') {
          part?.file.resume();
          throw new ProtocolError('missing_required_field', 'Multipart upload needs a file in field "file"', { field: 'file' });
        }
        return store(session_id, tenantId, part.filename, part.mimetype, undefined, part.file);
      }
      const name = fileNameFromDisposition(request.headers['content-disposition']);
      return store(session_id, tenantId, name, request.headers['content-type'], declaredLength(request), request.body as Readable | undefined);
    },
  );
}
