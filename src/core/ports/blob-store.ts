import type { Readable } from 'node:stream';

export interface PutResult {
  bytes: number;
}

/** Where audio lives. `put` resolves only once the bytes are durable. */
export interface BlobStore {
  /**
   * Streams `body` to `key`. `inspect` sees each piece first and may throw to
   * abort (size limits, format sniffing); on any failure nothing is left behind.
   */
  put(key: string, body: Readable, inspect?: (piece: Buffer, total: number) => void): Promise<PutResult>;
  get(key: string): Promise<Readable>;
  delete(key: string): Promise<void>;
  /** Deletes every blob under `prefix` (a session's folder). */
  deletePrefix(prefix: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  ping(): Promise<void>;
}
