import type { Config } from '../../config.js';
import type { BlobStore } from '../../core/ports/blob-store.js';
import { EncryptingBlobStore } from './encrypting-blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

/** A store that can enumerate every blob (the `blobs reencrypt` command walks it). */
export interface WalkableBlobStore extends BlobStore {
  listAll(): AsyncIterable<string>;
}

/** The configured store without encryption: files under `blobDir`, or the S3 bucket. */
export function openRawBlobStore(config: Pick<Config, 'blobDir' | 'blobStore'>): WalkableBlobStore {
  const c = config.blobStore;
  if (c.kind === 'fs') return new FsBlobStore(config.blobDir);
  // Credentials: the SDK's chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profile, role).
  return new S3BlobStore({
    bucket: c.bucket,
    prefix: c.prefix,
    endpoint: c.endpoint,
    region: c.region,
    forcePathStyle: c.forcePathStyle,
    serverSideEncryption: c.serverSideEncryption,
    kmsKeyId: c.kmsKeyId,
  });
}

/**
 * The blob store the app runs on. Always behind EncryptingBlobStore: with keys it encrypts
 * new blobs; without, it writes plaintext but still refuses (clearly) an encrypted blob
 * instead of returning ciphertext as audio.
 */
export async function openBlobStore(config: Pick<Config, 'blobDir' | 'blobStore' | 'encryptionKeys'>): Promise<EncryptingBlobStore> {
  return new EncryptingBlobStore(openRawBlobStore(config), config.encryptionKeys);
}
