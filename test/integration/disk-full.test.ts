import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { api, createKey, startServer, tempDataDir } from '../helpers/server.js';
import { fill, mountTmpfs, unmount } from '../helpers/tmpfs.js';

// The embedded default (SQLite + files) on a 20 MB tmpfs, whatever backend the suite runs.
const EMBEDDED = { OPENSCRIBE_DATABASE_URL: '', OPENSCRIBE_S3_ENDPOINT: '', OPENSCRIBE_S3_BUCKET: '' };
const wav = (n: number) => Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), randomBytes(n)]);

function blobFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath ?? e.path, e.name));
}

test('a full disk answers 507/503 (never 500), keeps nothing half-written, and recovers without a restart', async (t) => {
  const dataDir = tempDataDir('diskfull');
  const why = mountTmpfs(dataDir);
  if (why) {
    t.skip(`cannot mount a tmpfs (needs root / CAP_SYS_ADMIN): ${why}`);
    return;
  }
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const key = createKey(dataDir, 'diskfull', EMBEDDED);
    server = await startServer({ dataDir, env: EMBEDDED });
    const created = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
    assert.equal(created.status, 201);
    const id = created.body.session_id as string;

    // Leave about 3 MB free, then upload 512 KB chunks until refused.
    const filler = path.join(dataDir, 'filler');
    const free = () => {
      const s = fs.statfsSync(dataDir);
      return s.bavail * s.bsize;
    };
    fill(filler, Math.max(0, free() - 3 * 1024 * 1024));
    let accepted = 0;
    let refusal: Awaited<ReturnType<typeof api>> | undefined;
    for (let seq = 0; seq < 40 && !refusal; seq++) {
      const up = await api(server.url, 'POST', `/voice/v1/sessions/${id}/audio/audio_${seq}.wav`, { key, body: wav(512 * 1024), headers: { 'content-type': 'audio/wav' } });
      if (up.status === 200) accepted++;
      else refusal = up;
    }
    assert.ok(refusal, 'the disk never filled up');
    assert.ok([503, 507].includes(refusal.status), `refused with ${refusal.status}: ${refusal.text}\n${server.output().slice(-3000)}`);
    assert.ok(['insufficient_storage', 'service_unavailable'].includes(refusal.body?.error?.code), refusal.text);

    // Nothing half-written: no temp files, and the session lists only the accepted chunks.
    const blobs = blobFiles(path.join(dataDir, 'blobs'));
    assert.deepEqual(blobs.filter((f) => f.includes('.tmp-')), []);
    assert.equal(blobs.length, accepted);

    // Completely full: writes that reach SQLite must be refused cleanly too (or succeed), never 500.
    fill(path.join(dataDir, 'filler2'));
    const c2 = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
    assert.ok([201, 503, 507].includes(c2.status), `create on a full disk: ${c2.status} ${c2.text}`);
    const up2 = await api(server.url, 'POST', `/voice/v1/sessions/${id}/audio/audio_99.wav`, { key, body: wav(4096), headers: { 'content-type': 'audio/wav' } });
    assert.ok([503, 507].includes(up2.status), `upload on a full disk: ${up2.status} ${up2.text}`);
    assert.equal(server.child.exitCode, null, 'the server died on a full disk');

    // Space returns: the same process accepts uploads again.
    fs.rmSync(filler);
    fs.rmSync(path.join(dataDir, 'filler2'));
    const again = await api(server.url, 'POST', `/voice/v1/sessions/${id}/audio/audio_${accepted}.wav`, { key, body: wav(4096), headers: { 'content-type': 'audio/wav' } });
    assert.equal(again.status, 200, again.text);
    const view = await api(server.url, 'GET', `/voice/v1/sessions/${id}`, { key });
    assert.equal(view.body.audio_files.length, accepted + 1);
    const end = await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: accepted + 1 } });
    assert.equal(end.status, 202, end.text);
    assert.deepEqual(blobFiles(path.join(dataDir, 'blobs')).filter((f) => f.includes('.tmp-')), []);
  } finally {
    await server?.stop();
    unmount(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
