import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { api, createKey, SHARED, startServer, tempDataDir, waitForFinished } from '../helpers/server.js';

const wav = (n: number) => Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), randomBytes(n)]);

function blobFiles(dataDir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else out.push(path.join(d, e.name));
    }
  };
  walk(path.join(dataDir, 'blobs'));
  return out;
}

test('an upload answered 200 and a queued job survive kill -9; the job runs after restart', async () => {
  const dataDir = tempDataDir('durable');
  const key = createKey(dataDir, 'durable');
  // API only: the job stays queued, then the process is killed without a chance to clean up.
  const api1 = await startServer({ dataDir, args: ['--no-worker'] });
  const created = await api(api1.url, 'POST', '/voice/v1/sessions', {
    key,
    json: { upload_type: 'chunked', communication_protocol: 'http', templates: ['soap'] },
  });
  const id = created.body.session_id as string;
  const sent = [wav(4096), wav(70_000)];
  for (const [seq, body] of sent.entries()) {
    const up = await api(api1.url, 'POST', `/voice/v1/sessions/${id}/audio/audio_${seq}.wav`, {
      key,
      body,
      headers: { 'content-type': 'audio/wav' },
    });
    assert.equal(up.status, 200);
  }
  const end = await api(api1.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 2 } });
  assert.equal(end.status, 202);
  await api1.kill();

  // The bytes answered 200 are on disk, byte for byte.
  const files = blobFiles(dataDir).filter((f) => f.includes(id));
  assert.equal(files.length, 2);
  const stored = files.map((f) => fs.readFileSync(f)).sort((a, b) => a.length - b.length);
  assert.ok(stored[0]!.equals(sent[0]!) && stored[1]!.equals(sent[1]!));

  const s2 = await startServer({ dataDir });
  try {
    const still = await api(s2.url, 'GET', `/voice/v1/sessions/${id}`, { key });
    assert.deepEqual(still.body.audio_files, ['0.wav', '1.wav']);
    const done = await waitForFinished(s2.url, key, id);
    assert.equal(done.status, 200);
    assert.equal(done.body.status, 'failed');
    assert.equal(done.body.error.code, 'processing_failed');
  } finally {
    await s2.stop();
  }
});

test('every job queued before a crash runs after restart', async () => {
  const dataDir = tempDataDir('lease');
  const key = createKey(dataDir, 'lease');
  const s1 = await startServer({ dataDir, args: ['--no-worker'] });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const c = await api(s1.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
    ids.push(c.body.session_id);
    assert.equal((await api(s1.url, 'POST', `/voice/v1/sessions/${c.body.session_id}/end`, { key, json: { audio_files_sent: 0 } })).status, 202);
  }
  await s1.kill();
  const s2 = await startServer({ dataDir });
  try {
    for (const id of ids) {
      const r = await waitForFinished(s2.url, key, id);
      assert.equal(r.body.status, 'failed');
      assert.equal(r.body.error.code, 'audio_too_short');
    }
  } finally {
    await s2.stop();
  }
});

test('a job running when the process is killed is taken up again after restart within its short lease, not minutes later', { timeout: 10 * 60_000 }, async () => {
  const dataDir = tempDataDir('running-job');
  const key = createKey(dataDir, 'running-job');
  const env = { OPENSCRIBE_TRANSCRIBER: 'pocketsphinx' };
  const s1 = await startServer({ dataDir, env });
  const c = await api(s1.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'single', communication_protocol: 'http', templates: ['soap'] } });
  const id = c.body.session_id as string;
  const speech = fs.readFileSync(path.join(SHARED, 'data/audio/consult-hypertension.wav'));
  assert.equal((await api(s1.url, 'POST', `/voice/v1/sessions/${id}/audio/consult.wav`, { key, body: speech, headers: { 'content-type': 'audio/wav' } })).status, 200);
  assert.equal((await api(s1.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 1 } })).status, 202);
  // Killed while its job holds a lease (a minute of speech takes seconds to recognise).
  const running = async () => /openscribe_jobs\{state="running"\} [1-9]/.test(await fetch(`${s1.url}/metrics`).then((r) => r.text()));
  const deadline = Date.now() + 60_000;
  while (!(await running())) {
    assert.ok(Date.now() < deadline, 'the job never ran');
    await new Promise((r) => setTimeout(r, 50));
  }
  await s1.kill();
  const s2 = await startServer({ dataDir, env });
  try {
    // The default lease is 30 s: the job comes back then and runs again (a 5-minute lease
    // left sessions processing past the crash drill's wait).
    const r = await waitForFinished(s2.url, key, id, { ms: 150_000 });
    assert.equal(r.body.status, 'completed', r.text);
    assert.match(r.body.transcript, /\w+ \w+ \w+/);
  } finally {
    await s2.stop();
  }
});
