import type { OpenStreams } from '../../core/ports/open-streams.js';
import type { FrameScorer } from './segmenter.js';
import type { StreamConnection } from './connection.js';
import type { StreamTokens } from './token.js';

/**
 * The streams open on this process. A socket is pinned to the node that accepted
 * it: End Session flushes a stream only when it reaches that node (one API node,
 * or sticky routing by session id in front of several).
 */
export class StreamRegistry implements OpenStreams {
  private readonly open = new Map<string, StreamConnection>();

  constructor(
    private readonly publicUrl: string,
    readonly tokens: StreamTokens,
    /** Silero VAD frame scorer; undefined when VAD is unavailable (chunks are then cut at the maximum length). */
    readonly scorer: () => Promise<FrameScorer | undefined>,
  ) {}

  uploadUrl(tenantId: string, sessionId: string): string {
    const ws = this.publicUrl.replace(/^http/, 'ws');
    return `${ws}/voice/v1/stream/sessions/${sessionId}/audio?token=${this.tokens.sign(tenantId, sessionId)}`;
  }

  get(tenantId: string, sessionId: string): StreamConnection | undefined {
    return this.open.get(`${tenantId}/${sessionId}`);
  }

  add(conn: StreamConnection): void {
    this.open.set(conn.key, conn);
  }

  remove(conn: StreamConnection): void {
    if (this.open.get(conn.key) === conn) this.open.delete(conn.key);
  }

  get size(): number {
    return this.open.size;
  }

  async flush(tenantId: string, sessionId: string): Promise<void> {
    await this.get(tenantId, sessionId)?.finish(1000, 'session ended');
  }

  /** Shutdown: buffered audio is stored, then clients are told to reconnect (1012 service restart). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.open.values()].map((c) => {
      c.send({ type: 'error', code: 'server_restarting', message: 'the server is restarting; reconnect to resume this session' });
      return c.finish(1012, 'server restarting; reconnect');
    }));
  }
}
