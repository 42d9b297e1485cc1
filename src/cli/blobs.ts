import { Readable } from 'node:stream';
import { openBlobsForReencryption, type ReencryptionTarget } from '../app.js';
import type { Config } from '../config.js';

export interface ReencryptCounts {
  scanned: number;
  current: number;
  fromPlaintext: number;
  fromOlderKey: number;
  failed: number;
}

/**
 * Rewrites every blob not under the active key (plaintext from before encryption, or an older
 * key id) under the active key. Idempotent: a second run rewrites nothing. A blob that cannot
 * be read (its key id no longer configured) is counted as failed and left as it is.
 */
export async function reencryptBlobs(raw: ReencryptionTarget['raw'], store: ReencryptionTarget['store'], log: (line: string) => void = () => undefined): Promise<ReencryptCounts> {
  const active = store.activeKeyId;
  if (!active) throw new Error('OPENSCRIBE_ENCRYPTION_KEYS is not set: there is no key to encrypt under');
  const counts: ReencryptCounts = { scanned: 0, current: 0, fromPlaintext: 0, fromOlderKey: 0, failed: 0 };
  for await (const key of raw.listAll()) {
    counts.scanned++;
    try {
      const how = await store.describe(key);
      if (how.encrypted && how.keyId === active) {
        counts.current++;
        continue;
      }
      // Read whole (verified) before the same key is overwritten.
      const parts: Buffer[] = [];
      for await (const piece of await store.get(key)) parts.push(Buffer.from(piece as Uint8Array));
      await store.put(key, Readable.from(parts.length ? parts : []));
      if (how.encrypted) counts.fromOlderKey++;
      else counts.fromPlaintext++;
    } catch (err) {
      counts.failed++;
      log(`${key}: ${(err as Error).message}`);
    }
  }
  return counts;
}

/** `openscribe blobs reencrypt`. */
export async function runBlobsReencrypt(config: Config): Promise<void> {
  const { raw, store } = openBlobsForReencryption(config);
  const c = await reencryptBlobs(raw, store, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(
    `Scanned ${c.scanned} blobs: ${c.current} already under key ${store.activeKeyId}, ` +
      `${c.fromPlaintext} encrypted from plaintext, ${c.fromOlderKey} moved from older keys, ${c.failed} failed\n`,
  );
  if (c.failed) process.exitCode = 1;
}
