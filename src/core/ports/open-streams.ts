/** Live audio sockets open on this process (a port: the stream sockets implement it). */
export interface OpenStreams {
  /** The ws(s) upload URL of a stream session, with a short-lived token. */
  uploadUrl(tenantId: string, sessionId: string): string;
  /** Stores the audio a socket of this session still buffers; resolves once it is stored. */
  flush(tenantId: string, sessionId: string): Promise<void>;
}
