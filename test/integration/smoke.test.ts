import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, createKey, startServer, tempDataDir, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
let key: string;

before(async () => {
  const dataDir = tempDataDir();
  key = createKey(dataDir, 'smoke');
  server = await startServer({ dataDir });
});
after(() => server?.stop());

test('create → upload out of order → end → poll', async () => {
  const created = await api(server.url, 'POST', '/voice/v1/sessions', {
    key,
    json: { upload_type: 'chunked', communication_protocol: 'http', templates: ['soap'] },
  });
  assert.equal(created.status, 201);
  const id = created.body.session_id as string;
  for (const seq of [2, 0, 1]) {
    const wav = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEfmt '), Buffer.alloc(64)]);
    const up = await api(server.url, 'POST', `/voice/v1/sessions/${id}/audio/audio_${seq}.wav`, {
      key,
      body: wav,
      headers: { 'content-type': 'audio/wav' },
    });
    assert.equal(up.status, 200, up.text);
  }
  const end = await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 3 } });
  assert.equal(end.status, 202);
  assert.deepEqual(end.body.audio_files, ['0.wav', '1.wav', '2.wav']);
});

test('a template asked twice is produced once; regional language tags match their language', async () => {
  const created = await api(server.url, 'POST', '/voice/v1/sessions', {
    key,
    json: { upload_type: 'chunked', communication_protocol: 'http', templates: ['soap', 'soap'], language_hint: ['en-IN'], transcript_language: 'en-GB' },
  });
  assert.equal(created.status, 201, created.text);
  assert.deepEqual(created.body.templates, ['soap']);
  const refused = await api(server.url, 'POST', '/voice/v1/sessions', {
    key,
    json: { upload_type: 'chunked', communication_protocol: 'http', language_hint: ['hi-IN'] },
  });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error.details.field, 'language_hint');
});
