import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, createKey, startServer, tempDataDir, waitForFinished } from '../helpers/server.js';

const BROKEN = { OPENSCRIBE_POCKETSPHINX_MODEL_DIR: '/nonexistent/pocketsphinx-model' };

test('auto: without a usable recogniser the service still starts and sessions end honestly failed', async () => {
  const dataDir = tempDataDir('asr-auto');
  const key = createKey(dataDir, 'asr');
  const server = await startServer({ dataDir, env: { OPENSCRIBE_TRANSCRIBER: 'auto', ...BROKEN } });
  try {
    assert.match(server.output(), /no speech recogniser available/);
    const c = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
    const wav = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), Buffer.alloc(64)]);
    await api(server.url, 'POST', `/voice/v1/sessions/${c.body.session_id}/audio/a_0.wav`, { key, body: wav, headers: { 'content-type': 'audio/wav' } });
    await api(server.url, 'POST', `/voice/v1/sessions/${c.body.session_id}/end`, { key, json: { audio_files_sent: 1 } });
    const r = await waitForFinished(server.url, key, c.body.session_id, { ms: 10_000 });
    assert.equal(r.body.status, 'failed');
    assert.deepEqual(r.body.error, { code: 'processing_failed', message: 'no transcriber configured' });
    assert.equal(r.body.transcript, '');
  } finally {
    await server.stop();
  }
});

test('pocketsphinx required but unusable: start-up fails with the reason', async () => {
  await assert.rejects(
    startServer({ env: { OPENSCRIBE_TRANSCRIBER: 'pocketsphinx', ...BROKEN } }),
    (err: Error) => /server exited early/.test(err.message) && /pocketsphinx|model/i.test(err.message),
  );
});
