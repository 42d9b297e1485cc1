import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobStore, PutResult } from '../../core/ports/blob-store.js';
import { StorageFullError, isStorageFullCode } from '../../core/ports/storage-full.js';

/**
 * Blobs as files under one root. A put writes a temp file, fsyncs it, renames it
 * into place and fsyncs the directory: once it resolves, the bytes are on disk.
 */
export class FsBlobStore implements BlobStore {
  private readonly root: string;
  /** Directories known to exist: skips a mkdir round trip through the I/O pool per put. */
  private readonly dirs = new Set<string>();

  constructor(root: string) {
    this.root = path.resolve(root);
    fs.mkdirSync(this.root, { recursive: true });
  }

  private resolve(key: string): string {
    const full = path.resolve(this.root, key);
    if (!full.startsWith(this.root + path.sep) || key.includes('\0')) throw new Error('blob key escapes the store');
    return full;
  }

  async put(key: string, body: Readable, inspect?: (piece: Buffer, total: number) => void): Promise<PutResult> {
    return this.write(key, body, inspect).catch((err: unknown) => {
      // A full disk is not the client's fault nor a bug: a typed error the HTTP layer answers 507.
      throw isStorageFullCode(err) ? new StorageFullError('No space left for audio', { cause: err }) : err;
    });
  }

  private async write(key: string, body: Readable, inspect?: (piece: Buffer, total: number) => void): Promise<PutResult> {
    const final = this.resolve(key);
    const dir = path.dirname(final);
    if (!this.dirs.has(dir)) {
      await fsp.mkdir(dir, { recursive: true });
      if (this.dirs.size > 10_000) this.dirs.clear();
      this.dirs.add(dir);
    }
    const temp = `${final}.tmp-${randomBytes(6).toString('hex')}`;
    const fh = await fsp.open(temp, 'wx').catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      // The directory went away (purged); make it again.
      await fsp.mkdir(dir, { recursive: true });
      return fsp.open(temp, 'wx');
    });
    let total = 0;
    // Pieces are gathered and written with one writev per ~1 MB: fewer trips through the I/O pool.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const bufs = pending;
      pending = [];
      pendingBytes = 0;
      await fh.writev(bufs);
    };
    try {
      // The caller owns `body`: on a refusal it may still read the rest (so the client gets the answer).
      for await (const piece of body.iterator({ destroyOnReturn: false })) {
        const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
        total += buf.length;
        inspect?.(buf, total);
        pending.push(buf);
        pendingBytes += buf.length;
        if (pendingBytes >= FLUSH_BYTES) await flush();
      }
      await flush();
      await fh.datasync();
      await fh.close();
      await fsp.rename(temp, final);
      await syncDir(dir);
      return { bytes: total };
    } catch (err) {
      await fh.close().catch(() => undefined);
      await fsp.rm(temp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    const file = this.resolve(key);
    await fsp.access(file);
    return fs.createReadStream(file);
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.resolve(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    const dir = this.resolve(prefix);
    for (const known of this.dirs) if (known === dir || known.startsWith(dir + path.sep)) this.dirs.delete(known);
    await fsp.rm(dir, { recursive: true, force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.resolve(prefix);
    const names = await fsp.readdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    return names.filter((n) => !n.includes('.tmp-')).map((n) => path.posix.join(prefix, n)).sort();
  }

  /** Every blob key in the store, at any depth, without temp files (for `openscribe blobs reencrypt`). */
  async *listAll(): AsyncIterable<string> {
    const entries = await fsp.readdir(this.root, { recursive: true, withFileTypes: true });
    for (const e of entries) {
      if (!e.isFile() || e.name.includes('.tmp-')) continue;
      yield path.relative(this.root, path.join(e.parentPath, e.name)).split(path.sep).join('/');
    }
  }

  async ping(): Promise<void> {
    await fsp.access(this.root, fs.constants.W_OK);
  }
}

const FLUSH_BYTES = 1024 * 1024;

async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
