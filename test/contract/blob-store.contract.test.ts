import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { EncryptingBlobStore } from '../../src/adapters/blob/encrypting-blob-store.js';
import { FsBlobStore } from '../../src/adapters/blob/fs-blob-store.js';
import { S3BlobStore } from '../../src/adapters/blob/s3-blob-store.js';
import type { BlobStore } from '../../src/core/ports/blob-store.js';
import { startS3Server, type RunningS3 } from '../helpers/s3-server.js';

// One suite, every BlobStore the app can run on: files, S3 (s3rver), and encryption over each.
let s3: RunningS3;
const dirs: string[] = [];
before(async () => {
  s3 = await startS3Server();
});
after(async () => {
  await s3?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

let n = 0;
const fsStore = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openscribe-blob-contract-'));
  dirs.push(dir);
  return new FsBlobStore(path.join(dir, 'blobs'));
};
// A prefix of its own per store: the suites share one bucket.
const s3Store = () =>
  new S3BlobStore({ bucket: s3.bucket, prefix: `contract-${process.pid}-${++n}/`, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
const key = { id: 'k1', key: randomBytes(32) };

const backends: Array<[string, () => BlobStore]> = [
  ['FsBlobStore', fsStore],
  ['S3BlobStore', s3Store],
  ['EncryptingBlobStore over FsBlobStore', () => new EncryptingBlobStore(fsStore(), [key])],
  ['EncryptingBlobStore over S3BlobStore', () => new EncryptingBlobStore(s3Store(), [key])],
];

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const piece of stream) parts.push(Buffer.from(piece as Uint8Array));
  return Buffer.concat(parts);
}

/** `bytes` as a stream of pieces of at most 64 KB, like an HTTP body. */
function body(bytes: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 65_536) parts.push(bytes.subarray(i, i + 65_536));
  return Readable.from(parts);
}

// The shapes SessionService uses: `<tenant>/<session>/<seq>.<nonce>.<ext>`.
const chunkKey = (session: string, seq: number, ext = 'wav') => `ten_01HZX/${session}/${seq}.${randomBytes(4).toString('hex')}.${ext}`;

for (const [name, make] of backends) {
  describe(`BlobStore contract: ${name}`, { timeout: 120_000 }, () => {
    let store: BlobStore;
    before(() => {
      store = make();
    });

    for (const size of [0, 1, 5 * 1024 * 1024 + 123]) {
      test(`put/get round trip of ${size} random bytes`, async () => {
        const bytes = randomBytes(size);
        const k = chunkKey('ses_rt', size);
        assert.deepEqual(await store.put(k, body(bytes)), { bytes: size });
        const back = await readAll(await store.get(k));
        assert.equal(back.length, size);
        assert.ok(back.equals(bytes), 'byte for byte');
      });
    }

    test('inspect sees the plaintext pieces with the running total', async () => {
      const bytes = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), randomBytes(200_000)]);
      const seen: Buffer[] = [];
      let last = 0;
      await store.put(chunkKey('ses_in', 0), body(bytes), (piece, total) => {
        seen.push(Buffer.from(piece));
        last = total;
      });
      assert.ok(Buffer.concat(seen).equals(bytes));
      assert.equal(last, bytes.length);
      assert.equal(seen[0]!.subarray(0, 4).toString(), 'RIFF', 'the magic number is visible to inspect');
    });

    test('an inspect that throws aborts the put: the error is the caller’s and nothing is listed', async () => {
      const boom = new Error('too large');
      const k = chunkKey('ses_ab', 1);
      const src = body(randomBytes(7 * 1024 * 1024));
      await assert.rejects(
        store.put(k, src, (_p, total) => {
          if (total > 6 * 1024 * 1024) throw boom;
        }),
        (err) => err === boom,
      );
      assert.ok(!src.destroyed, 'the body is left to its owner');
      assert.deepEqual(await store.list('ten_01HZX/ses_ab'), []);
      await assert.rejects(store.get(k));
    });

    test('an inspect that throws on the first piece leaves nothing', async () => {
      await assert.rejects(
        store.put(chunkKey('ses_ab1', 0), body(Buffer.from('<html>')), () => {
          throw new Error('not audio');
        }),
        /not audio/,
      );
      assert.deepEqual(await store.list('ten_01HZX/ses_ab1'), []);
    });

    test('a body that errors midway leaves nothing', async () => {
      async function* failing() {
        yield randomBytes(3 * 1024 * 1024);
        yield randomBytes(3 * 1024 * 1024);
        throw new Error('ECONNRESET');
      }
      await assert.rejects(store.put(chunkKey('ses_err', 2), Readable.from(failing())), /ECONNRESET/);
      assert.deepEqual(await store.list('ten_01HZX/ses_err'), []);
    });

    test('a put over an existing key replaces it whole', async () => {
      const k = chunkKey('ses_re', 3);
      await store.put(k, body(Buffer.from('old old old old')));
      await store.put(k, body(Buffer.from('new')));
      assert.equal((await readAll(await store.get(k))).toString(), 'new');
      assert.deepEqual(await store.list('ten_01HZX/ses_re'), [k]);
    });

    test('list: one level under a prefix, sorted, siblings apart', async () => {
      const keys = ['ten_a/ses_1/2.b.wav', 'ten_a/ses_1/10.a.wav', 'ten_a/ses_1/0.c.webm', 'ten_a/ses_1/1.d.ogg', 'ten_a/ses_10/0.x.wav'];
      for (const k of keys) await store.put(k, body(Buffer.from(k)));
      assert.deepEqual(await store.list('ten_a/ses_1'), ['ten_a/ses_1/0.c.webm', 'ten_a/ses_1/1.d.ogg', 'ten_a/ses_1/10.a.wav', 'ten_a/ses_1/2.b.wav']);
      assert.deepEqual(await store.list('ten_a/ses_10'), ['ten_a/ses_10/0.x.wav']);
      assert.deepEqual(await store.list('ten_a'), ['ten_a/ses_1', 'ten_a/ses_10']);
      assert.deepEqual(await store.list('ten_a/nope'), []);
    });

    test('delete removes one blob and is idempotent', async () => {
      await store.put('ten_d/ses_1/0.a.wav', body(Buffer.from('a')));
      await store.put('ten_d/ses_1/1.b.wav', body(Buffer.from('b')));
      await store.delete('ten_d/ses_1/0.a.wav');
      await store.delete('ten_d/ses_1/0.a.wav');
      await store.delete('ten_d/ses_1/never.wav');
      assert.deepEqual(await store.list('ten_d/ses_1'), ['ten_d/ses_1/1.b.wav']);
      await assert.rejects(store.get('ten_d/ses_1/0.a.wav'), { code: 'ENOENT' });
    });

    test('deletePrefix removes one session folder and leaves its siblings', async () => {
      await store.put('ten_p/ses_1/0.a.wav', body(Buffer.from('a')));
      await store.put('ten_p/ses_1/1.b.wav', body(Buffer.from('b')));
      await store.put('ten_p/ses_10/0.c.wav', body(Buffer.from('c')));
      await store.put('ten_q/ses_1/0.d.wav', body(Buffer.from('d')));
      await store.deletePrefix('ten_p/ses_1');
      await store.deletePrefix('ten_p/ses_1');
      assert.deepEqual(await store.list('ten_p/ses_1'), []);
      assert.deepEqual(await store.list('ten_p/ses_10'), ['ten_p/ses_10/0.c.wav']);
      assert.deepEqual(await store.list('ten_q/ses_1'), ['ten_q/ses_1/0.d.wav']);
    });

    test('keys that escape the store are refused', async () => {
      for (const bad of ['', '.', '../x.wav', 't/..', '/etc/passwd', 't/s/x\0.wav']) {
        await assert.rejects(store.put(bad, body(Buffer.from('evil'))), /escapes/, JSON.stringify(bad));
        await assert.rejects(store.deletePrefix(bad), /escapes/, JSON.stringify(bad));
      }
    });

    test('ping succeeds', async () => {
      await store.ping();
    });
  });
}
