import { createCipheriv, createDecipheriv, randomBytes, type DecipherGCM } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobStore, PutResult } from '../../core/ports/blob-store.js';

/** One AES-256 key and the id stored in every blob it wrote. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const MAGIC = Buffer.from('OSE1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Blobs up to this size are decrypted and verified in memory before a byte is returned. */
const VERIFY_IN_MEMORY_BYTES = 16 * 1024 * 1024;

/** A blob that cannot be decrypted: unknown key id, tampered or truncated. Never bad bytes instead. */
export class BlobDecryptionError extends Error {
  override name = 'BlobDecryptionError';
}

/** What a stored blob says about itself. */
export type BlobEncryption = { encrypted: false } | { encrypted: true; keyId: string };

/**
 * AES-256-GCM at rest over any BlobStore. Layout: `OSE1`, key id length (1 byte), key id,
 * 12-byte random IV, ciphertext, 16-byte tag. The header and the blob key are authenticated
 * (AAD), so a blob moved to another key or given another key id fails to decrypt.
 *
 * Writes stream (inspect sees the plaintext). Reads never hand out unverified bytes: a blob up
 * to 16 MB (every chunk) is decrypted and verified in memory first; a larger one (a single
 * upload) is read twice: once to verify the tag, then decrypted as a stream (whose tag is
 * checked again at the end). Blobs without the magic (written before encryption was on) are
 * returned as they are. With no keys, writes stay plaintext and encrypted blobs are refused.
 */
export class EncryptingBlobStore implements BlobStore {
  private readonly byId: Map<string, Buffer>;

  constructor(
    readonly inner: BlobStore,
    private readonly keys: readonly EncryptionKey[],
  ) {
    for (const k of keys) {
      if (!KEY_ID.test(k.id)) throw new Error(`encryption key id ${JSON.stringify(k.id)} must match ${KEY_ID}`);
      if (k.key.length !== 32) throw new Error(`encryption key ${k.id} must be 32 bytes`);
    }
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The key new blobs are written under; undefined = writes are plaintext. */
  get activeKeyId(): string | undefined {
    return this.keys[0]?.id;
  }

  async put(key: string, body: Readable, inspect?: (piece: Buffer, total: number) => void): Promise<PutResult> {
    const active = this.keys[0];
    if (!active) return this.inner.put(key, body, inspect);
    const iv = randomBytes(IV_BYTES);
    const header = headerFor(active.id, iv);
    const cipher = createCipheriv('aes-256-gcm', active.key, iv);
    cipher.setAAD(aad(header, key));
    let total = 0;
    async function* encrypted() {
      yield header;
      // The caller owns `body`: on a refusal it may still read the rest.
      for await (const piece of body.iterator({ destroyOnReturn: false })) {
        const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
        total += buf.length;
        inspect?.(buf, total);
        const out = cipher.update(buf);
        if (out.length) yield out;
      }
      const last = cipher.final();
      if (last.length) yield last;
      yield cipher.getAuthTag();
    }
    const source = Readable.from(encrypted(), { objectMode: false });
    try {
      await this.inner.put(key, source);
    } finally {
      source.destroy();
    }
    return { bytes: total };
  }

  async get(key: string): Promise<Readable> {
    const stream = await this.inner.get(key);
    const reader = new HeadReader(stream);
    const magic = await reader.read(MAGIC.length);
    if (!magic.equals(MAGIC)) {
      reader.unread(magic);
      return reader.rest(); // plaintext from before encryption
    }
    const idLength = (await reader.read(1))[0] ?? 0;
    const keyId = (await reader.read(idLength)).toString('utf8');
    const iv = await reader.read(IV_BYTES);
    if (keyId.length !== idLength || iv.length !== IV_BYTES) throw this.fail(reader, key, 'truncated header');
    const secret = this.byId.get(keyId);
    if (!secret) {
      throw this.fail(reader, key, `encrypted with key id ${JSON.stringify(keyId)}, which is not configured in OPENSCRIBE_ENCRYPTION_KEYS`);
    }
    const header = headerFor(keyId, iv);
    const decipher = () => {
      const d = createDecipheriv('aes-256-gcm', secret, iv);
      d.setAAD(aad(header, key));
      return d;
    };

    // Small blob: decrypt and verify in memory, then hand out the plaintext.
    const plain: Buffer[] = [];
    let size = 0;
    for await (const out of decryptStream(reader.rest(), decipher(), key)) {
      size += out.length;
      if (size > VERIFY_IN_MEMORY_BYTES) plain.length = 0; // too large to keep: only verify
      else plain.push(out);
    }
    if (size <= VERIFY_IN_MEMORY_BYTES) return Readable.from(plain.length ? plain : [], { objectMode: false });

    // Large blob, now known good: decrypt it again as a stream.
    const again = new HeadReader(await this.inner.get(key));
    await again.read(MAGIC.length + 1 + idLength + IV_BYTES);
    return Readable.from(decryptStream(again.rest(), decipher(), key), { objectMode: false });
  }

  /** How `key` is stored: plaintext, or encrypted under which key id. */
  async describe(key: string): Promise<BlobEncryption> {
    const reader = new HeadReader(await this.inner.get(key));
    try {
      const magic = await reader.read(MAGIC.length);
      if (!magic.equals(MAGIC)) return { encrypted: false };
      const idLength = (await reader.read(1))[0] ?? 0;
      return { encrypted: true, keyId: (await reader.read(idLength)).toString('utf8') };
    } finally {
      reader.destroy();
    }
  }

  private fail(reader: HeadReader, key: string, why: string): BlobDecryptionError {
    reader.destroy();
    return new BlobDecryptionError(`blob ${key} cannot be decrypted: ${why}`);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  deletePrefix(prefix: string): Promise<void> {
    return this.inner.deletePrefix(prefix);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }
}

function headerFor(keyId: string, iv: Buffer): Buffer {
  const id = Buffer.from(keyId, 'utf8');
  return Buffer.concat([MAGIC, Buffer.from([id.length]), id, iv]);
}

function aad(header: Buffer, key: string): Buffer {
  return Buffer.concat([header, Buffer.from(key, 'utf8')]);
}

/** Decrypts; the last 16 bytes are the tag, checked at the end (a BlobDecryptionError if it does not verify). */
async function* decryptStream(source: AsyncIterable<Buffer>, d: DecipherGCM, key: string): AsyncGenerator<Buffer> {
  let tail: Buffer = Buffer.alloc(0);
  for await (const piece of source) {
    const buf: Buffer = tail.length ? Buffer.concat([tail, piece]) : piece;
    if (buf.length <= TAG_BYTES) {
      tail = buf;
      continue;
    }
    tail = buf.subarray(buf.length - TAG_BYTES);
    const out = d.update(buf.subarray(0, buf.length - TAG_BYTES));
    if (out.length) yield out;
  }
  if (tail.length !== TAG_BYTES) throw new BlobDecryptionError(`blob ${key} is truncated`);
  d.setAuthTag(tail);
  let last: Buffer;
  try {
    last = d.final();
  } catch {
    throw new BlobDecryptionError(`blob ${key} failed authentication (tampered or truncated)`);
  }
  if (last.length) yield last;
}

/** Reads exact byte counts off the front of a stream, then hands out the rest. */
class HeadReader {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<unknown>;
  private done = false;

  constructor(private readonly stream: Readable) {
    this.it = stream[Symbol.asyncIterator]();
  }

  /** Up to `n` bytes (fewer only at the end of the stream). */
  async read(n: number): Promise<Buffer> {
    while (this.buffered.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buffered = Buffer.concat([this.buffered, toBuffer(r.value)]);
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(out.length);
    return out;
  }

  /** Puts bytes back in front. */
  unread(bytes: Buffer): void {
    this.buffered = Buffer.concat([bytes, this.buffered]);
  }

  /** The remaining bytes, as a stream. */
  rest(): Readable {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- a generator function cannot be an arrow; it reads the reader's state lazily
    const self = this;
    async function* remaining() {
      try {
        if (self.buffered.length) yield self.buffered;
        self.buffered = Buffer.alloc(0);
        if (self.done) return;
        for (;;) {
          const r = await self.it.next();
          if (r.done) return;
          yield toBuffer(r.value);
        }
      } finally {
        self.destroy();
      }
    }
    return Readable.from(remaining(), { objectMode: false });
  }

  destroy(): void {
    this.stream.destroy();
  }
}

const toBuffer = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array));
