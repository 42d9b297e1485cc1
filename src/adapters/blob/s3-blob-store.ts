import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import type { BlobStore, PutResult } from '../../core/ports/blob-store.js';
import { StoreUnavailableError } from '../../core/ports/store-unavailable.js';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Folder inside the bucket; keys are relative to it. */
  prefix?: string;
  /** S3-compatible servers (MinIO, Ceph, R2); absent = AWS. */
  endpoint?: string;
  region?: string;
  /** Path-style URLs (`endpoint/bucket/key`): MinIO, Ceph, s3rver. */
  forcePathStyle?: boolean;
  /** Absent: the SDK's chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  serverSideEncryption?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  client?: S3Client;
}

/**
 * Blobs as objects in one S3 bucket. `put` streams a multipart upload (parts of 5 MB) and
 * resolves once S3 acknowledged the object; a failed put aborts the upload, so no object and
 * (as far as the server lets us) no parts are left. Keys are validated like file paths.
 */
export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly sse: Pick<PutObjectCommandInput, 'ServerSideEncryption' | 'SSEKMSKeyId'>;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.client =
      options.client ??
      new S3Client({
        region: options.region ?? 'us-east-1',
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        forcePathStyle: options.forcePathStyle ?? false,
        ...(options.credentials ? { credentials: options.credentials } : {}),
        // Checksums only where S3 requires them: many S3-compatible servers reject the newer headers.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
    this.sse = options.serverSideEncryption
      ? { ServerSideEncryption: options.serverSideEncryption, ...(options.kmsKeyId ? { SSEKMSKeyId: options.kmsKeyId } : {}) }
      : {};
  }

  /** The object name of a blob key; refuses what a file path would refuse. */
  private full(key: string): string {
    const parts = key.split('/');
    // eslint-disable-next-line no-control-regex -- control characters are what is refused
    if (!key || key.startsWith('/') || /[\0-\x1f]/.test(key) || parts.some((p) => p === '' || p === '.' || p === '..')) {
      throw new Error('blob key escapes the store');
    }
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private relative(name: string): string {
    return this.prefix ? name.slice(this.prefix.length + 1) : name;
  }

  async put(key: string, body: Readable, inspect?: (piece: Buffer, total: number) => void): Promise<PutResult> {
    const Key = this.full(key);
    let total = 0;
    // The caller's error (inspect refused, body failed) is the one to report, not what S3 said after.
    let own: { err: unknown } | undefined;
    async function* pieces() {
      try {
        // The caller owns `body`: on a refusal it may still read the rest.
        for await (const piece of body.iterator({ destroyOnReturn: false })) {
          const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
          total += buf.length;
          inspect?.(buf, total);
          yield buf;
        }
      } catch (err) {
        own = { err };
        throw err;
      }
    }
    const source = Readable.from(pieces(), { objectMode: false });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: source, ...this.sse },
      queueSize: 2,
      // We abort ourselves, so an abort the server refuses cannot hide the real error.
      leavePartsOnError: true,
    });
    try {
      await upload.done();
      return { bytes: total };
    } catch (err) {
      source.destroy();
      if (upload.uploadId) {
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: upload.uploadId }))
          .catch(() => undefined); // a bucket lifecycle rule cleans up what is left (docs/operations.md)
      }
      if (own) throw own.err;
      throw new StoreUnavailableError('Object storage is unavailable', 5, { cause: err });
    }
  }

  async get(key: string): Promise<Readable> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      return out.Body as Readable;
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') {
        throw Object.assign(new Error(`blob not found: ${key}`), { code: 'ENOENT', cause: err });
      }
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
  }

  async deletePrefix(prefix: string): Promise<void> {
    const names: string[] = [];
    for await (const name of this.objects(`${this.full(prefix)}/`)) names.push(name);
    for (let i = 0; i < names.length; i += 1000) {
      const batch = names.slice(i, i + 1000);
      const out = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      if (out.Errors?.length) throw new Error(`could not delete ${out.Errors.length} object(s) under ${prefix}: ${out.Errors[0]?.Code ?? ''}`);
    }
  }

  /** One level under `prefix`, like a directory listing: blobs and sub-folders, sorted. */
  async list(prefix: string): Promise<string[]> {
    const Prefix = `${this.full(prefix)}/`;
    const found: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const out = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, Delimiter: '/', ContinuationToken }));
      for (const o of out.Contents ?? []) if (o.Key) found.push(this.relative(o.Key));
      for (const p of out.CommonPrefixes ?? []) if (p.Prefix) found.push(this.relative(p.Prefix.replace(/\/$/, '')));
      ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return found.sort();
  }

  /** Every blob key in the store, at any depth (for `openscribe blobs reencrypt`). */
  async *listAll(): AsyncIterable<string> {
    for await (const name of this.objects(this.prefix ? `${this.prefix}/` : '')) yield this.relative(name);
  }

  private async *objects(Prefix: string): AsyncIterable<string> {
    let ContinuationToken: string | undefined;
    do {
      const out = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken }));
      for (const o of out.Contents ?? []) if (o.Key) yield o.Key;
      ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }
}
