import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { EncryptingBlobStore } from '../../src/adapters/blob/encrypting-blob-store.js';
import { S3BlobStore } from '../../src/adapters/blob/s3-blob-store.js';
import { startS3Server, type RunningS3 } from '../helpers/s3-server.js';
import { api, createKey, startServer, tempDataDir, waitForFinished, type RunningServer } from '../helpers/server.js';

// A real `openscribe serve` on S3 (s3rver, its own process) with encryption at rest.
const V1 = '/voice/v1';
const secret = randomBytes(32);
let s3: RunningS3;
let server: RunningServer;
let key: string;
const prefix = `it-${process.pid}`;

const wav = (seq: number) => Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEfmt '), Buffer.alloc(4000, seq + 1)]);

before(async () => {
  s3 = await startS3Server();
  const env = {
    OPENSCRIBE_S3_BUCKET: s3.bucket,
    OPENSCRIBE_S3_ENDPOINT: s3.endpoint,
    OPENSCRIBE_S3_PREFIX: `${prefix}/`,
    OPENSCRIBE_S3_FORCE_PATH_STYLE: '1',
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    OPENSCRIBE_ENCRYPTION_KEYS: `k1:${secret.toString('base64')}`,
  };
  const dataDir = tempDataDir('s3-server');
  key = createKey(dataDir, 's3-server', env);
  server = await startServer({ dataDir, env });
});
after(async () => {
  await server?.stop();
  await s3?.stop();
});

describe('openscribe serve on S3 with encryption at rest', { timeout: 180_000 }, () => {
  test('uploaded chunks are listed by Get Session and stored encrypted under the prefix', async () => {
    const created = await api(server.url, 'POST', `${V1}/sessions`, { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
    assert.equal(created.status, 201, created.text);
    const id = created.body.session_id as string;
    for (const seq of [0, 1, 2]) {
      const up = await api(server.url, 'POST', `${V1}/sessions/${id}/audio/audio_${seq}.wav`, { key, body: wav(seq), headers: { 'content-type': 'audio/wav' } });
      assert.equal(up.status, 200, up.text);
      assert.equal(up.body.bytes, wav(seq).length, 'bytes counted on the plaintext');
    }
    const ready = await api(server.url, 'GET', '/readyz', {});
    if (ready.status !== 404) assert.equal(ready.status, 200, ready.text);

    const end = await api(server.url, 'POST', `${V1}/sessions/${id}/end`, { key, json: { audio_files_sent: 3 } });
    assert.equal(end.status, 202, end.text);
    const got = await waitForFinished(server.url, key, id, { ms: 120_000 });
    assert.deepEqual(got.body.audio_files, ['0.wav', '1.wav', '2.wav'], got.text);

    // The objects, straight from the bucket.
    const raw = new S3BlobStore({ bucket: s3.bucket, prefix, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
    const all: string[] = [];
    for await (const k of raw.listAll()) all.push(k);
    const mine = all.filter((k) => k.includes(`/${id}/`)).sort();
    assert.equal(mine.length, 3, JSON.stringify(all));
    const decrypting = new EncryptingBlobStore(raw, [{ id: 'k1', key: secret }]);
    for (const [i, k] of mine.entries()) {
      assert.match(k, new RegExp(`^[^/]+/${id}/${i}\\.[A-Za-z0-9]+\\.wav$`));
      const stored = await readAll(await raw.get(k));
      assert.equal(stored.subarray(0, 4).toString(), 'OSE1');
      assert.equal(stored.indexOf('RIFF'), -1, 'not stored as plain WAV');
      assert.ok((await readAll(await decrypting.get(k))).equals(wav(i)));
    }
  });
});

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const piece of stream) parts.push(Buffer.from(piece as Uint8Array));
  return Buffer.concat(parts);
}
