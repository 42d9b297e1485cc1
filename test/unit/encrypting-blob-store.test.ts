import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { BlobDecryptionError, EncryptingBlobStore } from '../../src/adapters/blob/encrypting-blob-store.js';
import { FsBlobStore } from '../../src/adapters/blob/fs-blob-store.js';
import { reencryptBlobs } from '../../src/cli/blobs.js';
import { ConfigError, loadConfig } from '../../src/config.js';

let base: string;
let root: string;
let raw: FsBlobStore;
const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'openscribe-enc-'));
  root = path.join(base, 'blobs');
  raw = new FsBlobStore(root);
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const piece of stream) parts.push(Buffer.from(piece as Uint8Array));
  return Buffer.concat(parts);
}
const body = (b: Buffer) => Readable.from([b]);
const onDisk = (key: string) => fs.readFileSync(path.join(root, key));
const KEY = 'ten_a/ses_1/0.abcd1234.wav';
// Recognisable plaintext: a WAV header and a repeated phrase.
const plaintext = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEfmt '), Buffer.from('patient reports chest pain. '.repeat(2000))]);

describe('EncryptingBlobStore', () => {
  test('the bytes at rest are ciphertext: header, no plaintext, not RIFF', async () => {
    const store = new EncryptingBlobStore(raw, [k1]);
    assert.deepEqual(await store.put(KEY, body(plaintext)), { bytes: plaintext.length });
    const stored = onDisk(KEY);
    assert.equal(stored.subarray(0, 4).toString(), 'OSE1');
    assert.equal(stored.length, 4 + 1 + 2 + 12 + plaintext.length + 16);
    assert.equal(stored.indexOf('RIFF'), -1);
    assert.equal(stored.indexOf('chest pain'), -1);
    assert.ok((await readAll(await store.get(KEY))).equals(plaintext));
    assert.deepEqual(await store.describe(KEY), { encrypted: true, keyId: 'k1' });
  });

  test('a blob larger than the in-memory limit (verified first, then streamed) round-trips', async () => {
    const store = new EncryptingBlobStore(raw, [k1]);
    const big = randomBytes(17 * 1024 * 1024);
    await store.put(KEY, Readable.from([big.subarray(0, 9_000_000), big.subarray(9_000_000)]));
    assert.ok((await readAll(await store.get(KEY))).equals(big));
  });

  for (const [what, offset] of [
    ['a ciphertext byte', 100],
    ['the last byte (tag)', -1],
    ['the key id', 5],
    ['the IV', 8],
  ] as const) {
    test(`a tampered blob (${what} flipped) fails with BlobDecryptionError and hands out no bytes`, async () => {
      const store = new EncryptingBlobStore(raw, [k1, { id: 'k0', key: k1.key }]);
      await store.put(KEY, body(plaintext));
      const stored = onDisk(KEY);
      const at = offset < 0 ? stored.length + offset : offset;
      stored[at]! ^= 0x01;
      fs.writeFileSync(path.join(root, KEY), stored);
      await assert.rejects(store.get(KEY), BlobDecryptionError);
    });
  }

  test('a truncated blob fails', async () => {
    const store = new EncryptingBlobStore(raw, [k1]);
    await store.put(KEY, body(plaintext));
    fs.writeFileSync(path.join(root, KEY), onDisk(KEY).subarray(0, 200));
    await assert.rejects(store.get(KEY), BlobDecryptionError);
  });

  test('a blob copied to another key fails (the key is authenticated)', async () => {
    const store = new EncryptingBlobStore(raw, [k1]);
    await store.put(KEY, body(plaintext));
    fs.mkdirSync(path.join(root, 'ten_b/ses_2'), { recursive: true });
    fs.copyFileSync(path.join(root, KEY), path.join(root, 'ten_b/ses_2/0.abcd1234.wav'));
    await assert.rejects(store.get('ten_b/ses_2/0.abcd1234.wav'), BlobDecryptionError);
  });

  test('legacy plaintext blobs are returned as they are', async () => {
    await raw.put(KEY, body(plaintext));
    await raw.put('ten_a/ses_1/1.x.wav', body(Buffer.from('RI')));
    await raw.put('ten_a/ses_1/2.x.wav', body(Buffer.alloc(0)));
    const store = new EncryptingBlobStore(raw, [k1]);
    assert.ok((await readAll(await store.get(KEY))).equals(plaintext));
    assert.equal((await readAll(await store.get('ten_a/ses_1/1.x.wav'))).toString(), 'RI');
    assert.equal((await readAll(await store.get('ten_a/ses_1/2.x.wav'))).length, 0);
    assert.deepEqual(await store.describe(KEY), { encrypted: false });
  });

  test('an unknown key id, or no keys at all, is a clear error, never ciphertext as audio', async () => {
    await new EncryptingBlobStore(raw, [k1]).put(KEY, body(plaintext));
    await assert.rejects(new EncryptingBlobStore(raw, [k2]).get(KEY), (err: Error) => {
      assert.ok(err instanceof BlobDecryptionError);
      assert.match(err.message, /key id "k1".*not configured/);
      return true;
    });
    await assert.rejects(new EncryptingBlobStore(raw, []).get(KEY), /key id "k1".*not configured/);
  });

  test('with no keys, writes stay plaintext', async () => {
    const store = new EncryptingBlobStore(raw, []);
    await store.put(KEY, body(plaintext));
    assert.ok(onDisk(KEY).equals(plaintext));
  });

  test('rotation: a k1 blob is readable once k2 is active; reencrypt moves it (and plaintext) to k2, idempotently', async () => {
    await new EncryptingBlobStore(raw, [k1]).put(KEY, body(plaintext));
    await raw.put('ten_a/ses_2/0.legacy.wav', body(Buffer.from('RIFF legacy plaintext')));
    const rotated = new EncryptingBlobStore(raw, [k2, k1]);
    assert.ok((await readAll(await rotated.get(KEY))).equals(plaintext));
    await rotated.put('ten_a/ses_3/0.new.wav', body(Buffer.from('written under k2')));
    assert.deepEqual(await rotated.describe('ten_a/ses_3/0.new.wav'), { encrypted: true, keyId: 'k2' });

    const first = await reencryptBlobs(raw, rotated);
    assert.deepEqual(first, { scanned: 3, current: 1, fromPlaintext: 1, fromOlderKey: 1, failed: 0 });
    assert.deepEqual(await rotated.describe(KEY), { encrypted: true, keyId: 'k2' });
    assert.deepEqual(await rotated.describe('ten_a/ses_2/0.legacy.wav'), { encrypted: true, keyId: 'k2' });
    const again = await reencryptBlobs(raw, rotated);
    assert.deepEqual(again, { scanned: 3, current: 3, fromPlaintext: 0, fromOlderKey: 0, failed: 0 });

    // k1 can now be retired: everything reads with k2 alone.
    const onlyK2 = new EncryptingBlobStore(raw, [k2]);
    assert.ok((await readAll(await onlyK2.get(KEY))).equals(plaintext));
    assert.equal((await readAll(await onlyK2.get('ten_a/ses_2/0.legacy.wav'))).toString(), 'RIFF legacy plaintext');
  });
});

describe('OPENSCRIBE_ENCRYPTION_KEYS', () => {
  const b64 = randomBytes(32).toString('base64');
  test('parses id:base64 pairs; the first is active', () => {
    const c = loadConfig({ OPENSCRIBE_ENCRYPTION_KEYS: `new:${b64}, old:${randomBytes(32).toString('base64')}` });
    assert.deepEqual(c.encryptionKeys.map((k) => k.id), ['new', 'old']);
    assert.ok(c.encryptionKeys[0]!.key.equals(Buffer.from(b64, 'base64')));
    assert.deepEqual(loadConfig({}).encryptionKeys, []);
  });

  for (const [what, value] of [
    ['a short key', `k:${randomBytes(16).toString('base64')}`],
    ['not base64', `k:${'!'.repeat(44)}`],
    ['no key id', b64],
    ['a bad key id', `a b:${b64}`],
    ['a duplicate id', `k:${b64},k:${b64}`],
  ]) {
    test(`${what} is a startup error that does not echo the key`, () => {
      assert.throws(() => loadConfig({ OPENSCRIBE_ENCRYPTION_KEYS: value }), (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /OPENSCRIBE_ENCRYPTION_KEYS/);
        assert.ok(!err.message.includes(b64));
        return true;
      });
    });
  }

  test('S3 is chosen by OPENSCRIBE_S3_BUCKET or OPENSCRIBE_BLOB_STORE=s3', () => {
    assert.deepEqual(loadConfig({}).blobStore, { kind: 'fs' });
    const c = loadConfig({ OPENSCRIBE_S3_BUCKET: 'b', OPENSCRIBE_S3_FORCE_PATH_STYLE: '1', OPENSCRIBE_S3_SSE: 'aws:kms', OPENSCRIBE_S3_ENDPOINT: 'http://127.0.0.1:9000' });
    assert.equal(c.blobStore.kind, 's3');
    if (c.blobStore.kind === 's3') {
      assert.equal(c.blobStore.region, 'us-east-1');
      assert.equal(c.blobStore.forcePathStyle, true);
      assert.equal(c.blobStore.serverSideEncryption, 'aws:kms');
    }
    assert.throws(() => loadConfig({ OPENSCRIBE_BLOB_STORE: 's3' }), /OPENSCRIBE_S3_BUCKET is required/);
    assert.throws(() => loadConfig({ OPENSCRIBE_S3_BUCKET: 'b', OPENSCRIBE_S3_SSE: 'rot13' }), /OPENSCRIBE_S3_SSE/);
  });
});
