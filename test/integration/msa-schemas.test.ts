/**
 * Real responses validated against the MedScribeAlliance v0.1 component schemas
 * (loaded at test time from ../shared/spec/msa-schemas, see test/helpers/msa.ts).
 *
 * One server with default models (lite, pro) and OPENSCRIBE_MAX_SESSION_SECONDS=3,
 * short enough to watch a session expire, long enough to end the others in time.
 * Where PROTOCOL.md deliberately differs from MSA (Eka's templates array is the
 * default; `recording` is a 202 status), the test says so and validates the MSA
 * form the server offers (`?templates_format=object`).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, createKey, startServer, tempDataDir, waitForFinished, type RunningServer } from '../helpers/server.js';
import { assertMsa, assertSchema, msaRef, msaSchema } from '../helpers/msa.js';

const V1 = '/voice/v1';
const MAX_SESSION_SECONDS = 3;
const SESSIONS = 'sessions.openapi.json' as const;

let server: RunningServer;
let key: string;
/** Created in `before`, checked (expired) in the last test, so the wait overlaps the others. */
let expiring: { id: string; createdAt: number };

const wav = (): Buffer => Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVE'), Buffer.from('fmt '), Buffer.alloc(48)]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createSession(extra: Record<string, unknown> = {}) {
  const r = await api(server.url, 'POST', `${V1}/sessions`, {
    key,
    json: { upload_type: 'chunked', communication_protocol: 'http', ...extra },
  });
  assert.equal(r.status, 201, r.text);
  return r;
}

async function uploadOk(id: string, name: string) {
  const r = await api(server.url, 'POST', `${V1}/sessions/${id}/audio/${name}`, { key, body: wav(), headers: { 'content-type': 'audio/wav' } });
  assert.equal(r.status, 200, r.text);
}

const pollFinished = (id: string, query = '') => waitForFinished(server.url, key, id, { query, ms: 10_000 });

before(async () => {
  const dataDir = tempDataDir('msa');
  key = createKey(dataDir, 'msa');
  server = await startServer({ dataDir, env: { OPENSCRIBE_MAX_SESSION_SECONDS: String(MAX_SESSION_SECONDS) } });
  const r = await createSession({ additional_data: { emr_encounter_id: 'enc_expiring' } });
  expiring = { id: r.body.session_id, createdAt: Date.parse(r.body.created_at) };
  await uploadOk(expiring.id, 'audio_0.wav');
});
after(() => server?.stop());

test('Create Session → CreateSessionResponse (generated id: ses_ + alphanumerics, at most 32 characters)', async () => {
  const plain = await createSession();
  assertMsa(SESSIONS, 'CreateSessionResponse', plain.body);
  assert.ok(plain.body.session_id.length <= 32);

  const full = await createSession({
    templates: ['soap', 'medications'],
    model: 'pro',
    language_hint: ['en'],
    transcript_language: ['en'],
    additional_data: { emr_encounter_id: 'enc_123' },
    patient_details: { oid: 'p1', name: 'Asha' },
  });
  assertMsa(SESSIONS, 'CreateSessionResponse', full.body);

  // A client-chosen id in the MSA form is accepted and stays valid.
  const msaStyle = `ses_${'a1B2'.repeat(7)}`; // 32 characters
  const custom = await createSession({ session_id: msaStyle });
  assert.equal(custom.body.session_id, msaStyle);
  assertMsa(SESSIONS, 'CreateSessionResponse', custom.body);
});

test('the MSA CreateSessionRequest example shape is accepted by the server', async () => {
  // MSA sends transcript_language / language_hint as arrays and requires templates.
  const request = { templates: ['soap'], model: 'lite', language_hint: ['en'], transcript_language: ['en'], upload_type: 'chunked', communication_protocol: 'http', additional_data: {} };
  assertSchema(msaRef(SESSIONS, 'CreateSessionRequest'), request, 'MSA CreateSessionRequest (test input)');
  const r = await api(server.url, 'POST', `${V1}/sessions`, { key, json: request, headers: { 'x-api-key': key, 'msa-version': '0.1' } });
  assert.equal(r.status, 201, r.text);
  assertMsa(SESSIONS, 'CreateSessionResponse', r.body);
});

test('Get Session while not finished (202) → SessionProcessingResponse', async () => {
  const { body } = await createSession({ additional_data: { k: 1 } });
  const created = await api(server.url, 'GET', `${V1}/sessions/${body.session_id}`, { key });
  assert.equal(created.status, 202, created.text);
  assert.equal(created.body.status, 'created');
  assertMsa(SESSIONS, 'SessionProcessingResponse', created.body);

  await uploadOk(body.session_id, 'audio_0.wav');
  const recording = await api(server.url, 'GET', `${V1}/sessions/${body.session_id}`, { key });
  assert.equal(recording.status, 202, recording.text);
  assert.equal(recording.body.status, 'recording');
  // PROTOCOL.md lists `recording` among the 202 states; MSA's enum does not have it.
  // Everything else about the body must still be MSA's.
  const schema = structuredClone(msaSchema(SESSIONS, 'SessionProcessingResponse'));
  schema.properties.status.enum.push('recording');
  assertSchema(schema, recording.body, 'SessionProcessingResponse (+ PROTOCOL.md status "recording")');
});

test('End Session (202) → EndSessionResponse, with files and with none', async () => {
  const { body } = await createSession();
  for (const seq of [1, 0]) await uploadOk(body.session_id, `audio_${seq}.wav`);
  const ended = await api(server.url, 'POST', `${V1}/sessions/${body.session_id}/end`, { key, json: { audio_files_sent: 2 } });
  assert.equal(ended.status, 202, ended.text);
  assertMsa(SESSIONS, 'EndSessionResponse', ended.body);

  const empty = await createSession();
  const endedEmpty = await api(server.url, 'POST', `${V1}/sessions/${empty.body.session_id}/end`, { key, json: { audio_files_sent: 0 } });
  assert.equal(endedEmpty.status, 202, endedEmpty.text);
  assertMsa(SESSIONS, 'EndSessionResponse', endedEmpty.body);
});

test('finished (failed, 200) with ?templates_format=object → SessionCompletedResponse; its parts → TemplateResult, ProcessingError', async () => {
  const { body } = await createSession({ templates: ['soap', 'not_a_template'], additional_data: { emr_encounter_id: 'enc_9' } });
  const id = body.session_id as string;
  await uploadOk(id, 'audio_0.wav');
  const ended = await api(server.url, 'POST', `${V1}/sessions/${id}/end`, { key, json: { audio_files_sent: 2 } });
  assert.equal(ended.status, 202, ended.text);

  const done = await pollFinished(id, '?templates_format=object');
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.status, 'failed');
  assertMsa(SESSIONS, 'SessionCompletedResponse', done.body);
  assert.deepEqual(Object.keys(done.body.templates), ['soap', 'not_a_template']);
  for (const t of Object.values(done.body.templates)) assertMsa(SESSIONS, 'TemplateResult', t);
  assert.equal(done.body.templates.not_a_template.error.code, 'template_not_found');
  assert.ok(done.body.processing_errors.length > 0);
  for (const e of done.body.processing_errors) assertMsa(SESSIONS, 'ProcessingError', e);
  assert.equal(done.body.transcript, '');

  // The default (Eka) form differs from MSA only in `templates`: an array of single-key objects.
  const eka = await api(server.url, 'GET', `${V1}/sessions/${id}`, { key });
  assert.equal(eka.status, 200);
  assert.ok(Array.isArray(eka.body.templates));
  const { templates: _t, ...rest } = eka.body;
  assertMsa(SESSIONS, 'SessionCompletedResponse', rest);
  for (const item of eka.body.templates) {
    assert.equal(Object.keys(item).length, 1);
    assertMsa(SESSIONS, 'TemplateResult', Object.values(item)[0]);
  }
});

test('error bodies → MSA ErrorResponse', async () => {
  const responses = [
    await api(server.url, 'GET', `${V1}/sessions/ses_unknown0000000000000`, { key }),
    await api(server.url, 'GET', `${V1}/templates`),
    await api(server.url, 'POST', `${V1}/sessions`, { key, json: { upload_type: 'chunked' } }),
    await api(server.url, 'GET', `${V1}/templates`, { key, headers: { 'msa-version': '2.0' } }),
  ];
  assert.deepEqual(responses.map((r) => r.status), [404, 401, 400, 400]);
  for (const r of responses) assertMsa('discovery.openapi.json', 'ErrorResponse', r.body);
});

test('expired session (410) → ExpiredSessionResponse', async () => {
  const wait = expiring.createdAt + MAX_SESSION_SECONDS * 1000 + 500 - Date.now();
  if (wait > 0) await sleep(wait);
  const msa = await api(server.url, 'GET', `${V1}/sessions/${expiring.id}?templates_format=object`, { key });
  assert.equal(msa.status, 410, msa.text);
  assert.equal(msa.body.status, 'expired');
  assertMsa(SESSIONS, 'ExpiredSessionResponse', msa.body);
  assert.deepEqual(msa.body.templates, {});
  assert.deepEqual(msa.body.audio_files, ['0.wav']);
  assert.deepEqual(msa.body.additional_data, { emr_encounter_id: 'enc_expiring' });

  // Default (Eka) form: the same body except templates as an (empty) array.
  const eka = await api(server.url, 'GET', `${V1}/sessions/${expiring.id}`, { key });
  assert.equal(eka.status, 410);
  assert.deepEqual(eka.body.templates, []);
  const { templates: _t, ...rest } = eka.body;
  assertMsa(SESSIONS, 'ExpiredSessionResponse', rest);
  const { templates: _m, ...msaRest } = msa.body;
  assert.deepEqual(rest, msaRest);
});

test('discovery (default configuration) → MSA DiscoveryResponse', async () => {
  for (const path of ['/.well-known/medscribealliance', `${V1}/.well-known/medscribealliance`]) {
    const r = await api(server.url, 'GET', path);
    assert.equal(r.status, 200);
    assertMsa('discovery.openapi.json', 'DiscoveryResponse', r.body);
  }
});
