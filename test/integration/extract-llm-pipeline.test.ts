import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { api, createKey, SHARED, startServer, tempDataDir, waitForFinished, type RunningServer } from '../helpers/server.js';

// The real service with OPENSCRIBE_EXTRACTOR=llm: real speech → PocketSphinx → the fake chat endpoint → session data.
const AUDIO = path.join(SHARED, 'data/audio');

const answer = {
  medications: [
    {
      name: 'paracetamol', generic_name: 'paracetamol', brand_name: null, drug_class: 'analgesic', dosage: '650 milligrams',
      dose_value: 650, dose_unit: 'mg', route: 'oral', frequency: 'one zero one', frequency_per_day: 2, duration: 'five days',
      duration_days: 5, instructions: 'after food', action: 'start', assertion: 'planned', assertion_cue: null, evidence: [{ line: 0, start: 0, end: 5, text: 'fever' }],
    },
  ],
};

let fake: FakeLlm;
let server: RunningServer;
let key: string;

before(async () => {
  fake = await startFakeLlm();
  fake.fallback = { content: JSON.stringify(answer) };
  const dataDir = tempDataDir('extract-llm');
  key = createKey(dataDir, 'llm');
  server = await startServer({
    dataDir,
    env: {
      OPENSCRIBE_TRANSCRIBER: 'pocketsphinx',
      OPENSCRIBE_EXTRACTOR: 'llm',
      OPENSCRIBE_LLM_BASE_URL: fake.baseUrl,
      OPENSCRIBE_LLM_MODEL: 'fake-clinical-model',
      OPENSCRIBE_LLM_API_KEY: 'sk-llm-secret-4242',
    },
  });
});
after(async () => {
  await server?.stop();
  await fake?.close();
});

test('a dictation uploaded whole: the fake LLM gets the real transcript and its answer becomes the template data', async () => {
  const created = await api(server.url, 'POST', '/voice/v1/sessions', {
    key,
    json: { upload_type: 'single', communication_protocol: 'http', session_mode: 'dictation', templates: ['medications'] },
  });
  assert.equal(created.status, 201, created.text);
  const id = created.body.session_id as string;
  const up = await api(server.url, 'POST', `/voice/v1/sessions/${id}/audio/dictation.wav`, {
    key,
    body: fs.readFileSync(path.join(AUDIO, 'dictation-fever.wav')),
    headers: { 'content-type': 'audio/wav' },
  });
  assert.equal(up.status, 200, up.text);
  assert.equal((await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 1 } })).status, 202);

  const r = await waitForFinished(server.url, key, id, { ms: 180_000 });
  assert.equal(r.status, 200, r.text.slice(0, 500));
  assert.equal(r.body.status, 'completed');

  assert.equal(fake.requests.length, 1);
  const request = fake.requests[0]!;
  assert.equal(request.url, '/v1/chat/completions');
  assert.equal(request.headers.authorization, 'Bearer sk-llm-secret-4242');
  assert.equal(request.body.model, 'fake-clinical-model');
  const user = (request.body.messages as Array<{ role: string; content: string }>).find((m) => m.role === 'user')!.content;
  // Words of the dictation script (dictation-fever.txt) the recogniser gets right.
  const script = fs.readFileSync(path.join(AUDIO, 'dictation-fever.txt'), 'utf8').toLowerCase();
  for (const word of ['fever', 'temperature', 'paracetamol', 'cetirizine', 'bedtime']) {
    assert.ok(script.includes(word), `the script says ${word}`);
    assert.ok(user.toLowerCase().includes(word), `the LLM saw "${word}"`);
  }
  assert.match(user, /^\[0\] Doctor: /m);
  // The model saw exactly the session's transcript (a dictation's is its lines joined), numbered in order.
  const numbered = user.split('\n').filter((l) => l.startsWith('['));
  numbered.forEach((l, i) => assert.ok(l.startsWith(`[${i}] Doctor: `), l));
  assert.equal(numbered.map((l) => l.replace(/^\[\d+\] Doctor: /, '')).join(' '), r.body.transcript);

  const medications = (r.body.templates as Array<Record<string, { status: string; data: unknown }>>).find((t) => 'medications' in t)!;
  assert.equal(medications.medications!.status, 'success');
  assert.deepEqual(medications.medications!.data, answer);
  assert.doesNotMatch(server.output(), /sk-llm-secret-4242|paracetamol|cetirizine/, 'no key or clinical text in the logs');
});
