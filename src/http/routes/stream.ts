import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { credentialFrom, type ApiKeyAuthenticator } from '../../core/auth.js';
import { ProtocolError } from '../../core/errors.js';
import type { SessionService } from '../../core/sessions.js';
import { StreamConnection } from '../stream/connection.js';
import type { StreamRegistry } from '../stream/registry.js';
import { Segmenter } from '../stream/segmenter.js';
import { MAX_AUDIO_FRAME_BYTES, parseSampleRate, StreamFrameError, WireDecoder } from '../stream/wire-format.js';

/**
 * Frames up to this size are read whole so the client can be told (`frame_too_large`, close 1009);
 * larger ones are cut off by the WebSocket layer itself.
 */
export const MAX_STREAM_FRAME_BYTES = 16 * 1024 * 1024 + 64 * 1024;

interface Deps {
  sessions: SessionService;
  authenticator: ApiKeyAuthenticator;
  streams: StreamRegistry;
}

/**
 * Stream Audio: `GET /voice/v1/stream/sessions/:id/audio` upgraded to a WebSocket.
 * Auth: API key header, or the `?token=` of the session's upload_url; else close 1008.
 * A second socket for the same session takes over: the first is flushed and closed (1008, `stream_replaced`),
 * so a client whose network dropped can reconnect before the server notices the old socket is dead.
 */
export function streamRoutes(app: FastifyInstance, deps: Deps): void {
  app.route<{ Params: { session_id: string }; Querystring: Record<string, string | undefined> }>({
    method: 'GET',
    url: '/stream/sessions/:session_id/audio',
    schema: { hide: true },
    // A plain GET (no upgrade) gets a protocol error, not the plugin's empty 404.
    handler: async () => {
      throw new ProtocolError('invalid_request', 'This endpoint takes a WebSocket upgrade (Upgrade: websocket)');
    },
    wsHandler: (socket: WebSocket, request) => {
      const sessionId = request.params.session_id;
      const early: Array<[Buffer, boolean]> = [];
      let earlyBytes = 0;
      let conn: StreamConnection | undefined;
      let gone = false;
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        if (conn) conn.onFrame(data, isBinary);
        else if ((earlyBytes += data.length) <= MAX_AUDIO_FRAME_BYTES * 4) early.push([data, isBinary]);
        else refuse('frame_too_large', 'too much audio before the stream was ready', 1009);
      });
      socket.on('ping', () => conn?.touch());
      socket.on('close', () => {
        gone = true;
        conn?.onClose();
      });
      socket.on('error', () => {});
      const refuse = (code: string, message: string, closeCode: number) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'error', code, message }));
        socket.close(closeCode, code);
      };

      void (async () => {
        let tenantId: string | undefined;
        const key = credentialFrom(request.headers);
        if (key) tenantId = (await deps.authenticator.authenticate(key).catch(() => undefined))?.tenantId;
        else if (typeof request.query.token === 'string') tenantId = deps.streams.tokens.verify(request.query.token, sessionId);
        if (!tenantId) return refuse('authentication_failed', 'Missing or invalid API key or stream token', 1008);
        const rate = parseSampleRate(request.query.sample_rate);
        const { session, chunks } = await deps.sessions.streamProgress(tenantId, sessionId);
        if (session.uploadType !== 'stream') return refuse('invalid_request', 'This session was not created with upload_type "stream"', 1008);
        if (session.status !== 'created' && session.status !== 'recording') {
          return refuse(session.status === 'expired' ? 'session_expired' : 'session_ended', 'Session has ended; streaming is closed', 1008);
        }
        const previous = deps.streams.get(tenantId, sessionId);
        if (previous) {
          previous.send({ type: 'error', code: 'stream_replaced', message: 'another connection took over this session' });
          await previous.finish(1008, 'stream_replaced');
        }
        // Resume after what is stored (the previous socket's audio included).
        const stored = previous ? (await deps.sessions.streamProgress(tenantId, sessionId)).chunks : chunks;
        const nextSeq = stored.reduce((m, c) => Math.max(m, c.seq + 1), 0);
        const scorer = await deps.streams.scorer();
        if (gone) return;
        const tenant = tenantId;
        conn = new StreamConnection(socket, {
          sessions: deps.sessions,
          tenantId: tenant,
          sessionId,
          nextSeq,
          decoder: new WireDecoder(rate),
          segmenter: new Segmenter(scorer),
          log: request.log,
          onGone: () => deps.streams.remove(conn!),
        });
        deps.streams.add(conn);
        conn.send({ type: 'connected', session_id: sessionId, next_file: `${nextSeq}.wav` });
        for (const [data, isBinary] of early.splice(0)) conn.onFrame(data, isBinary);
      })().catch((err: unknown) => {
        if (err instanceof StreamFrameError) return refuse(err.code, err.message, 1008);
        if (err instanceof ProtocolError) return refuse(err.code, err.message, 1008);
        request.log.warn({ err: { message: (err as Error).message } }, 'stream setup failed');
        refuse('internal_error', 'the stream could not be opened', 1011);
      });
    },
  });
}
