/**
 * The session lifecycle over real HTTP, against `openscribe serve` child processes
 * on real SQLite files. Three servers, started once for the whole file:
 *
 *  - main:    OPENSCRIBE_MODELS=lite, OPENSCRIBE_MAX_SESSION_SECONDS=120 and a public
 *             URL that is not the listening address (discovery, upload_url and expiry
 *             must come from configuration); API + worker.
 *  - apiOnly: a data dir (database) of its own, started with --no-worker: no worker
 *             anywhere takes its jobs (on PostgreSQL another process's worker would be
 *             woken at once), so a session it ends stays `processing` (202) and uploads
 *             after End get `session_ended` rather than racing to `session_completed`.
 *  - limited: OPENSCRIBE_MAX_SESSION_SECONDS=1, OPENSCRIBE_SWEEP_INTERVAL_MS=200 and
 *             OPENSCRIBE_RATE_LIMIT_PER_MINUTE=5 — expiry and rate limiting, each on
 *             tenants of its own (the limit is per tenant).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, createKey, freePort, startServer, tempDataDir, waitForFinished, type RunningServer } from '../helpers/server.js';
import { assertMsa, loadMsaFile } from '../helpers/msa.js';

const PUBLIC_URL = 'https://scribe.example.test';
const V1 = '/voice/v1';
const STANDARD_TEMPLATE_IDS = [
  'transcript',
  'soap',
  'medications',
  'vitals',
  'hpi',
  'discharge_summary',
  'referral_letter',
  'eka_emr_template',
  'clinical_notes_template',
];

let main: RunningServer;
let apiOnly: RunningServer;
let limited: RunningServer;
/** Two keys of tenant "acme", one of tenant "globex" (main data dir). */
let acme: string;
/** Tenant "acme" of the `apiOnly` server's own data dir. */
let apiOnlyKey: string;
let acme2: string;
let globex: string;
/** Tenants of the `limited` server. */
let expiryKey: string;
let busyKey: string;
let calmKey: string;

before(async () => {
  const mainDir = tempDataDir('sessions-main');
  const limitedDir = tempDataDir('sessions-limited');
  const apiOnlyDir = tempDataDir('sessions-api-only');
  // The first key of each data dir also creates its database; the servers start after that.
  acme = createKey(mainDir, 'acme');
  apiOnlyKey = createKey(apiOnlyDir, 'acme');
  expiryKey = createKey(limitedDir, 'expiry');
  const mainEnv = {
    OPENSCRIBE_MODELS: 'lite',
    OPENSCRIBE_MAX_SESSION_SECONDS: '120',
    OPENSCRIBE_PUBLIC_URL: PUBLIC_URL,
    OPENSCRIBE_SUPPORT_EMAIL: 'support@scribe.example.test',
  };
  const [mainPort, limitedPort, apiOnlyPort] = await Promise.all([freePort(), freePort(), freePort()]);
  // With dataDir and port given, startServer spawns the child before its first await, so
  // the servers boot while the remaining keys are created (createKey blocks this process).
  const starting = Promise.all([
    startServer({ dataDir: mainDir, port: mainPort, env: { ...mainEnv, OPENSCRIBE_JOB_POLL_MS: '60000' } }),
    startServer({
      dataDir: limitedDir,
      port: limitedPort,
      env: { OPENSCRIBE_MAX_SESSION_SECONDS: '1', OPENSCRIBE_SWEEP_INTERVAL_MS: '200', OPENSCRIBE_RATE_LIMIT_PER_MINUTE: '5' },
    }),
    startServer({ dataDir: apiOnlyDir, port: apiOnlyPort, env: mainEnv, args: ['--no-worker'] }),
  ]);
  acme2 = createKey(mainDir, 'acme');
  globex = createKey(mainDir, 'globex');
  busyKey = createKey(limitedDir, 'busy');
  calmKey = createKey(limitedDir, 'calm');
  [main, limited, apiOnly] = await starting;
});

after(async () => {
  await Promise.all([apiOnly?.stop(), limited?.stop()]);
  await main?.stop();
});

// ---------------------------------------------------------------- helpers

/** A tiny WAV header: "RIFF" + size + "WAVE" + padding. The content does not matter here. */
const wav = (): Buffer => Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVE'), Buffer.from('fmt '), Buffer.alloc(48)]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function create(server: RunningServer, key: string, extra: Record<string, unknown> = {}) {
  return api(server.url, 'POST', `${V1}/sessions`, {
    key,
    json: { upload_type: 'chunked', communication_protocol: 'http', ...extra },
  });
}

async function createId(server: RunningServer, key: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await create(server, key, extra);
  assert.equal(r.status, 201, r.text);
  return r.body.session_id as string;
}

function upload(server: RunningServer, key: string, id: string, fileName: string) {
  return api(server.url, 'POST', `${V1}/sessions/${id}/audio/${fileName}`, {
    key,
    body: wav(),
    headers: { 'content-type': 'audio/wav' },
  });
}

async function uploadOk(server: RunningServer, key: string, id: string, fileName: string) {
  const r = await upload(server, key, id, fileName);
  assert.equal(r.status, 200, r.text);
  return r;
}

function end(server: RunningServer, key: string, id: string, json: unknown) {
  return api(server.url, 'POST', `${V1}/sessions/${id}/end`, { key, json });
}

function get(server: RunningServer, key: string, id: string, query = '') {
  return api(server.url, 'GET', `${V1}/sessions/${id}${query}`, { key });
}

/** Polls Get Session until it stops answering 202; at most 10 s. */
const pollFinished = (server: RunningServer, key: string, id: string, query = '') =>
  waitForFinished(server.url, key, id, { query, ms: 10_000 });

function assertError(r: { status: number; body: any; text: string }, status: number, code: string) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body?.error?.code, code, r.text);
  assert.equal(typeof r.body.error.message, 'string');
  assert.ok(r.body.error.message.length > 0);
  assert.ok(!/\n\s+at /.test(r.text), `stack trace leaked: ${r.text}`);
}

// ---------------------------------------------------------------- discovery

describe('discovery', () => {
  test('served publicly at both paths, identical, cached 3 h, generated from configuration', async () => {
    const a = await api(main.url, 'GET', '/.well-known/medscribealliance');
    const b = await api(main.url, 'GET', `${V1}/.well-known/medscribealliance`);
    for (const r of [a, b]) {
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.match(r.headers.get('cache-control') ?? '', /(^|[\s,])max-age=10800($|[\s,])/);
    }
    assert.deepEqual(a.body, b.body);
    const d = a.body;
    assert.equal(d.protocol, 'medscribealliance');
    assert.equal(d.protocol_version, '0.1');
    assert.deepEqual(d.supported_versions, ['0.1']);
    // From OPENSCRIBE_PUBLIC_URL, not from the address the test connected to.
    assert.equal(d.endpoints.base_url, `${PUBLIC_URL}/voice/v1`);
    assert.equal(d.endpoints.templates_url, `${PUBLIC_URL}/voice/v1/templates`);
    // OPENSCRIBE_MODELS=lite, OPENSCRIBE_MAX_SESSION_SECONDS=120: one model, that limit.
    assert.deepEqual(
      d.models.map((m: any) => [m.id, m.max_session_duration_seconds]),
      [['lite', 120]],
    );
    assert.deepEqual(d.models[0].languages, ['en']);
    assert.deepEqual(d.languages, { supported: ['en'], auto_detection: false });
    // Only what this build implements: no OIDC configured.
    assert.deepEqual(d.capabilities.upload_methods, ['chunked', 'single', 'stream']);
    assert.deepEqual(d.authentication.supported_methods, ['api_key']);
    assert.equal(d.capabilities.max_chunk_duration_seconds, 20);
    assert.ok(d.capabilities.audio_formats.includes('audio/wav'));
    assert.equal(d.service.support_email, 'support@scribe.example.test');
  });

  test('the document matches the MSA DiscoveryResponse schema and the shape of the MSA example', async () => {
    const { body } = await api(main.url, 'GET', '/.well-known/medscribealliance');
    assertMsa('discovery.openapi.json', 'DiscoveryResponse', body);
    // Every section of the MSA example document is present, with the example's keys
    // (the example's OIDC endpoints and security_contact are optional and not configured here).
    const example = loadMsaFile('discovery-document.json');
    const keys = (o: object) => Object.keys(o).sort();
    assert.deepEqual(keys(body), keys(example));
    for (const k of Object.keys(example.capabilities)) assert.ok(k in body.capabilities, `capabilities.${k}`);
    for (const k of Object.keys(example.models[0])) assert.ok(k in body.models[0], `models[0].${k}`);
    assert.deepEqual(keys(body.models[0].features), keys(example.models[0].features));
    assert.deepEqual(keys(body.languages), keys(example.languages));
    for (const k of ['name', 'documentation_url', 'support_email']) assert.equal(typeof body.service[k], 'string', `service.${k}`);
  });

  test('the limited server advertises its own limit (max session 1 s, both models)', async () => {
    const { status, body } = await api(limited.url, 'GET', '/.well-known/medscribealliance');
    assert.equal(status, 200);
    assert.deepEqual(
      body.models.map((m: any) => [m.id, m.max_session_duration_seconds]),
      [['lite', 1], ['pro', 1]],
    );
    assert.equal(body.endpoints.base_url, `${limited.url}/voice/v1`);
  });
});

// ---------------------------------------------------------------- auth

describe('authentication', () => {
  test('no key, unknown key and malformed credentials → 401 authentication_failed', async () => {
    const unknown = `sk_test_${'A'.repeat(40)}`;
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${unknown}` },
      { 'x-api-key': unknown },
      { authorization: 'Bearer not-a-key' },
      { authorization: 'Bearer' },
      { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
      { authorization: acme }, // the key without the Bearer scheme
      { 'x-api-key': `${acme}x` },
      { 'x-api-key': acme.slice(0, -1) },
      { 'x-api-key': '' },
    ];
    for (const headers of cases) {
      for (const [method, path, json] of [
        ['GET', `${V1}/templates`, undefined],
        ['POST', `${V1}/sessions`, { upload_type: 'chunked', communication_protocol: 'http' }],
        ['GET', `${V1}/sessions/ses_00000000000000000000`, undefined],
      ] as const) {
        const r = await api(main.url, method, path, { headers, json });
        assertError(r, 401, 'authentication_failed');
      }
    }
  });

  test('Bearer and X-API-Key both authenticate; a second key of the same tenant sees the same sessions', async () => {
    const bearer = await api(main.url, 'GET', `${V1}/templates`, { headers: { authorization: `Bearer ${acme}` } });
    assert.equal(bearer.status, 200, bearer.text);
    const lower = await api(main.url, 'GET', `${V1}/templates`, { headers: { authorization: `bearer ${acme}` } });
    assert.equal(lower.status, 200, lower.text);
    const xApiKey = await api(main.url, 'GET', `${V1}/templates`, { headers: { 'x-api-key': acme } });
    assert.equal(xApiKey.status, 200, xApiKey.text);
    assert.deepEqual(xApiKey.body, bearer.body);

    const id = await createId(main, acme);
    const viaSecondKey = await api(main.url, 'GET', `${V1}/sessions/${id}`, { headers: { 'x-api-key': acme2 } });
    assert.equal(viaSecondKey.status, 202, viaSecondKey.text);
    assert.equal(viaSecondKey.body.session_id, id);
    const created2 = await create(main, acme2);
    assert.equal(created2.status, 201, created2.text);
    assert.equal((await get(main, acme, created2.body.session_id)).status, 202);
  });
});

// ---------------------------------------------------------------- create

describe('create session', () => {
  test('defaults: 201, ses_ id, status created, expires_at = created + 120 s, absolute upload_url, echoes', async () => {
    const additional = { emr_encounter_id: 'enc_123', nested: { list: [1, 'two', null], flag: true } };
    const patient = { oid: 'pat-42', name: 'Asha Rao' };
    const before = Date.now();
    const r = await create(main, acme, { additional_data: additional, patient_details: patient });
    assert.equal(r.status, 201, r.text);
    const b = r.body;
    assert.match(b.session_id, /^ses_[A-Za-z0-9]+$/);
    assert.ok(b.session_id.length <= 32);
    assert.equal(b.status, 'created');
    const created = Date.parse(b.created_at);
    assert.ok(Math.abs(created - before) < 10_000, `created_at ${b.created_at}`);
    assert.equal(Date.parse(b.expires_at) - created, 120_000);
    assert.equal(b.upload_url, `${PUBLIC_URL}/voice/v1/sessions/${b.session_id}/audio`);
    assert.deepEqual(b.additional_data, additional);
    assert.deepEqual(b.patient_details, patient);
    assert.equal(b.session_mode, 'dictation');
    assert.equal(b.model, 'lite');
    assert.deepEqual(b.templates, []);

    const g = await get(main, acme, b.session_id);
    assert.equal(g.status, 202, g.text);
    assert.equal(g.headers.get('cache-control'), 'no-store');
    assert.equal(g.body.status, 'created');
    assert.equal(g.body.created_at, b.created_at);
    assert.equal(g.body.expires_at, b.expires_at);
    assert.equal(g.body.upload_url, b.upload_url);
    assert.deepEqual(g.body.additional_data, additional);
    assert.deepEqual(g.body.patient_details, patient);
    assert.equal(g.body.audio_files_received, 0);
    assert.deepEqual(g.body.audio_files, []);
    assert.equal(g.body.transcript, '');
  });

  test('generated ids are unique', async () => {
    const ids = await Promise.all(Array.from({ length: 10 }, () => createId(main, acme)));
    assert.equal(new Set(ids).size, 10);
  });

  test('client-supplied session_id (16–32 URL-safe) is used; a duplicate → 409; other tenants are independent', async () => {
    const id = `emr-visit_${Date.now()}`.padEnd(24, '0');
    const r = await create(main, acme, { session_id: id, session_mode: 'consultation' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.session_id, id);
    assert.equal(r.body.session_mode, 'consultation');
    assert.equal(r.body.upload_url, `${PUBLIC_URL}/voice/v1/sessions/${id}/audio`);

    const dup = await create(main, acme, { session_id: id });
    assert.equal(dup.status, 409, dup.text);
    assert.equal(dup.body.error.code, 'session_already_exists');
    const dupOtherKey = await create(main, acme2, { session_id: id });
    assert.equal(dupOtherKey.status, 409, dupOtherKey.text);

    // Session ids are per tenant: another tenant may use the same id, and gets its own session.
    const other = await create(main, globex, { session_id: id, additional_data: { owner: 'globex' } });
    assert.equal(other.status, 201, other.text);
    assert.deepEqual((await get(main, acme, id)).body.additional_data, {});
    assert.deepEqual((await get(main, globex, id)).body.additional_data, { owner: 'globex' });

    for (const bad of ['a'.repeat(15), 'a'.repeat(33), 'has.dot.in.it.0000', 'has/slash/0000000', 'spaces in id 00000', 'ünïcödé_000000000']) {
      assertError(await create(main, acme, { session_id: bad }), 400, 'invalid_request');
    }
    for (const ok of ['a'.repeat(16), 'Z'.repeat(32), `_-${'9'.repeat(14)}`]) {
      const c = await create(main, acme, { session_id: ok });
      assert.equal(c.status, 201, `${ok}: ${c.text}`);
    }
  });

  test('missing upload_type / communication_protocol → 400 missing_required_field', async () => {
    const noUpload = await api(main.url, 'POST', `${V1}/sessions`, { key: acme, json: { communication_protocol: 'http' } });
    assertError(noUpload, 400, 'missing_required_field');
    assert.equal(noUpload.body.error.details.field, 'upload_type');
    const noProtocol = await api(main.url, 'POST', `${V1}/sessions`, { key: acme, json: { upload_type: 'chunked' } });
    assertError(noProtocol, 400, 'missing_required_field');
    assert.equal(noProtocol.body.error.details.field, 'communication_protocol');
    assertError(await api(main.url, 'POST', `${V1}/sessions`, { key: acme, json: {} }), 400, 'missing_required_field');
  });

  test('wrong types and values → 400 invalid_request', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ templates: 'soap' }, 'templates'],
      [{ templates: [1] }, 'templates.0'],
      [{ additional_data: 'x' }, 'additional_data'],
      [{ additional_data: [1, 2] }, 'additional_data'],
      [{ patient_details: 'Asha' }, 'patient_details'],
      [{ upload_type: 5 }, 'upload_type'],
      [{ upload_type: 'carrier-pigeon' }, 'upload_type'],
      [{ communication_protocol: 'ftp' }, 'communication_protocol'],
      [{ session_mode: 'lecture' }, 'session_mode'],
      [{ language_hint: 'en' }, 'language_hint'],
      [{ model: 7 }, 'model'],
      [{ session_id: 1234567890123456 }, 'session_id'],
    ];
    for (const [extra, field] of cases) {
      const r = await create(main, acme, extra);
      assertError(r, 400, 'invalid_request');
      assert.equal(r.body.error.details?.field, field, `${JSON.stringify(extra)}: ${r.text}`);
    }
    // Bodies that are not a JSON object at all.
    const notJson = await api(main.url, 'POST', `${V1}/sessions`, { key: acme, body: '{"upload_type":', headers: { 'content-type': 'application/json' } });
    assertError(notJson, 400, 'invalid_request');
    const array = await api(main.url, 'POST', `${V1}/sessions`, { key: acme, json: [] });
    assertError(array, 400, 'invalid_request');
  });

  test('unknown model → 400 (only the configured model "lite" exists here)', async () => {
    for (const model of ['mega', 'pro']) {
      const r = await create(main, acme, { model });
      assertError(r, 400, 'invalid_request');
      assert.equal(r.body.error.details.field, 'model');
      assert.deepEqual(r.body.error.details.supported_models, ['lite']);
    }
    assert.equal((await create(main, acme, { model: 'lite' })).status, 201);
  });

  test('unsupported language → 400; supported ones in both transcript_language forms are accepted', async () => {
    const hint = await create(main, acme, { language_hint: ['en', 'fr'] });
    assertError(hint, 400, 'invalid_request');
    assert.equal(hint.body.error.details.field, 'language_hint');
    assert.deepEqual(hint.body.error.details.supported_languages, ['en']);
    const asString = await create(main, acme, { transcript_language: 'hi' });
    assertError(asString, 400, 'invalid_request');
    assert.equal(asString.body.error.details.field, 'transcript_language');
    assertError(await create(main, acme, { transcript_language: ['ta'] }), 400, 'invalid_request');
    assertError(await create(main, acme, { language_hint: ['english'] }), 400, 'invalid_request');

    for (const extra of [{ transcript_language: 'en' }, { transcript_language: ['en'] }, { language_hint: ['EN'] }]) {
      const r = await create(main, acme, extra);
      assert.equal(r.status, 201, `${JSON.stringify(extra)}: ${r.text}`);
    }
  });

  test('more than 2 templates → 400 invalid_template; 2 are fine', async () => {
    const r = await create(main, acme, { templates: ['soap', 'medications', 'vitals'] });
    assertError(r, 400, 'invalid_template');
    assert.equal(r.body.error.details.max_templates, 2);
    const ok = await create(main, acme, { templates: ['soap', 'medications'] });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.body.templates, ['soap', 'medications']);
  });

  test('additional_data over 4 KB → 400; just under is echoed unchanged', async () => {
    const big = { blob: 'x'.repeat(4097) };
    const r = await create(main, acme, { additional_data: big });
    assertError(r, 400, 'invalid_request');
    assert.equal(r.body.error.details.field, 'additional_data');
    const fits = { blob: 'y'.repeat(4000), 'ключ': 'значение', n: 1.5 };
    const ok = await create(main, acme, { additional_data: fits });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.body.additional_data, fits);
    assert.deepEqual((await get(main, acme, ok.body.session_id)).body.additional_data, fits);
  });

  test('upload_type "stream" gets a ws(s) upload_url with a short-lived token', async () => {
    const r = await create(main, acme, { upload_type: 'stream', communication_protocol: 'websocket' });
    assert.equal(r.status, 201, r.text);
    assert.match(r.body.upload_url, new RegExp(`^wss?://.+/voice/v1/stream/sessions/${r.body.session_id}/audio\\?token=\\d+\\.`));
    const single = await create(main, acme, { upload_type: 'single' });
    assert.equal(single.status, 201, single.text);
    assert.equal(single.body.upload_type, 'single');
  });

  test('an unknown template id is accepted at create and reported per template as template_not_found', async () => {
    const id = await createId(main, acme, { templates: ['soap', 'no_such_template'] });
    await uploadOk(main, acme, id, 'audio_0.wav');
    assert.equal((await end(main, acme, id, { audio_files_sent: 1 })).status, 202);
    const r = await pollFinished(main, acme, id);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'failed');
    assert.ok(Array.isArray(r.body.templates));
    assert.deepEqual(r.body.templates.map((t: object) => Object.keys(t)), [['soap'], ['no_such_template']]);
    const soap = r.body.templates[0].soap;
    const missing = r.body.templates[1].no_such_template;
    assert.equal(soap.status, 'failed');
    assert.equal(soap.error.code, 'extraction_failed');
    assert.equal(missing.status, 'failed');
    assert.equal(missing.error.code, 'template_not_found');
    assert.match(missing.error.message, /no_such_template/);
    assert.equal(soap.data, undefined);
    assert.equal(missing.data, undefined);
  });
});

// ---------------------------------------------------------------- versioning

describe('MSA-Version', () => {
  test('0.1 is accepted and echoed; 9.9 → 400 unsupported_version with details', async () => {
    const ok = await api(main.url, 'GET', `${V1}/templates`, { key: acme, headers: { 'msa-version': '0.1' } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers.get('msa-version'), '0.1');
    const created = await api(main.url, 'POST', `${V1}/sessions`, {
      key: acme,
      headers: { 'msa-version': '0.1' },
      json: { upload_type: 'chunked', communication_protocol: 'http' },
    });
    assert.equal(created.status, 201, created.text);

    for (const [method, path] of [
      ['GET', `${V1}/templates`],
      ['POST', `${V1}/sessions`],
      ['GET', `${V1}/sessions/${created.body.session_id}`],
      ['GET', `${V1}/.well-known/medscribealliance`],
    ] as const) {
      const r = await api(main.url, method, path, {
        key: acme,
        headers: { 'msa-version': '9.9' },
        ...(method === 'POST' ? { json: { upload_type: 'chunked', communication_protocol: 'http' } } : {}),
      });
      assertError(r, 400, 'unsupported_version');
      assert.equal(r.body.error.details.requested_version, '9.9');
      assert.deepEqual(r.body.error.details.supported_versions, ['0.1']);
    }
    // The refused GET did not touch the session.
    assert.equal((await get(main, acme, created.body.session_id)).body.status, 'created');
  });
});

// ---------------------------------------------------------------- end

describe('end session', () => {
  test('audio_files_sent missing, negative, string, float, null → 400, and the session stays open', async () => {
    const id = await createId(main, acme);
    const missing = await end(main, acme, id, {});
    assertError(missing, 400, 'missing_required_field');
    assert.equal(missing.body.error.details.field, 'audio_files_sent');
    for (const value of [-1, '3', 1.5, null, true, [1]]) {
      const r = await end(main, acme, id, { audio_files_sent: value });
      assertError(r, 400, 'invalid_request');
      assert.equal(r.body.error.details.field, 'audio_files_sent', `${JSON.stringify(value)}: ${r.text}`);
    }
    assertError(await api(main.url, 'POST', `${V1}/sessions/${id}/end`, { key: acme }), 400, 'invalid_request');
    assertError(
      await api(main.url, 'POST', `${V1}/sessions/${id}/end`, { key: acme, body: 'audio_files_sent=1', headers: { 'content-type': 'application/json' } }),
      400,
      'invalid_request',
    );
    const g = await get(main, acme, id);
    assert.equal(g.status, 202);
    assert.equal(g.body.status, 'created');
    // Uploads still work after the refused End calls.
    await uploadOk(main, acme, id, 'audio_0.wav');
  });

  test('orders chunks numerically (10, 2, 0, 1 → 0, 1, 2, 10); 202 body exactly as the seed page', async () => {
    const id = await createId(main, acme, { templates: ['soap'] });
    for (const seq of [10, 2, 0, 1]) {
      const r = await uploadOk(main, acme, id, `audio_${seq}.wav`);
      assert.equal(r.body.session_id, id);
      assert.equal(r.body.success, true);
      assert.equal(r.body.original_filename, `audio_${seq}.wav`);
      assert.equal(r.body.stored_filename, `${seq}.wav`);
      assert.equal(r.body.bytes, wav().length);
    }
    // Re-sending a sequence number replaces that chunk (a client retry).
    await uploadOk(main, acme, id, 'audio_2.wav');
    const recording = await get(main, acme, id);
    assert.equal(recording.status, 202);
    assert.equal(recording.body.status, 'recording');
    assert.equal(recording.body.audio_files_received, 4);
    assert.deepEqual(recording.body.audio_files, ['0.wav', '1.wav', '2.wav', '10.wav']);

    const r = await end(main, acme, id, { audio_files_sent: 4 });
    assert.equal(r.status, 202, r.text);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(r.body, {
      session_id: id,
      status: 'processing',
      message: 'Session ended. Processing started.',
      audio_files_received: 4,
      audio_files: ['0.wav', '1.wav', '2.wav', '10.wav'],
    });
    assert.deepEqual(Object.keys(r.body), ['session_id', 'status', 'message', 'audio_files_received', 'audio_files']);

    const done = await pollFinished(main, acme, id);
    assert.deepEqual(done.body.audio_files, ['0.wav', '1.wav', '2.wav', '10.wav']);
    assert.equal(done.body.audio_files_received, 4);
  });

  test('after End: GET 202 processing, upload → 400 session_ended, second End → 409 (API-only server, no worker)', async () => {
    const id = await createId(apiOnly, apiOnlyKey, { additional_data: { k: 'v' } });
    await uploadOk(apiOnly, apiOnlyKey, id, 'audio_1.wav');
    await uploadOk(apiOnly, apiOnlyKey, id, 'audio_0.wav');
    const ended = await end(apiOnly, apiOnlyKey, id, { audio_files_sent: 2 });
    assert.equal(ended.status, 202, ended.text);
    assert.deepEqual(ended.body.audio_files, ['0.wav', '1.wav']);

    const g = await get(apiOnly, apiOnlyKey, id);
    assert.equal(g.status, 202, g.text);
    assert.equal(g.body.status, 'processing');
    assert.equal(g.body.audio_files_received, 2);
    assert.deepEqual(g.body.audio_files, ['0.wav', '1.wav']);
    assert.deepEqual(g.body.additional_data, { k: 'v' });
    assert.equal(g.body.transcript, '');
    assert.equal(g.body.templates, undefined);
    assert.equal(g.body.error, undefined);
    assertMsa('sessions.openapi.json', 'SessionProcessingResponse', g.body);

    const late = await upload(apiOnly, apiOnlyKey, id, 'audio_2.wav');
    assertError(late, 400, 'session_ended');
    const replace = await upload(apiOnly, apiOnlyKey, id, 'audio_0.wav');
    assertError(replace, 400, 'session_ended');
    const again = await end(apiOnly, apiOnlyKey, id, { audio_files_sent: 2 });
    assertError(again, 409, 'session_already_ended');
    // Nothing changed: still the two committed files.
    const after = await get(apiOnly, apiOnlyKey, id);
    assert.equal(after.body.status, 'processing');
    assert.deepEqual(after.body.audio_files, ['0.wav', '1.wav']);
  });

  test('a second End after processing finished → 409; uploads → 400 session_completed', async () => {
    const id = await createId(main, acme);
    await uploadOk(main, acme, id, 'audio_0.wav');
    assert.equal((await end(main, acme, id, { audio_files_sent: 1 })).status, 202);
    await pollFinished(main, acme, id);
    assertError(await end(main, acme, id, { audio_files_sent: 1 }), 409, 'session_already_ended');
    assertError(await upload(main, acme, id, 'audio_1.wav'), 400, 'session_completed');
  });

  test('20 parallel End Session calls on one session → exactly one 202 and 19 × 409', async () => {
    const id = await createId(main, acme);
    await uploadOk(main, acme, id, 'audio_0.wav');
    const results = await Promise.all(Array.from({ length: 20 }, () => end(main, acme, id, { audio_files_sent: 1 })));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [202, ...Array(19).fill(409)], JSON.stringify(results.map((r) => r.text)));
    const accepted = results.find((r) => r.status === 202)!;
    assert.deepEqual(accepted.body.audio_files, ['0.wav']);
    for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.error.code, 'session_already_ended');
    const done = await pollFinished(main, acme, id);
    assert.equal(done.status, 200);
    assert.equal(done.body.status, 'failed');
  });

  test('zero files: 202 with no files, then failed with audio_too_short and an empty transcript', async () => {
    const id = await createId(main, acme, { templates: ['soap'], additional_data: { visit: 7 } });
    const r = await end(main, acme, id, { audio_files_sent: 0 });
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(r.body, {
      session_id: id,
      status: 'processing',
      message: 'Session ended. Processing started.',
      audio_files_received: 0,
      audio_files: [],
    });
    const done = await pollFinished(main, acme, id);
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.status, 'failed');
    assert.equal(done.body.error.code, 'audio_too_short');
    assert.equal(typeof done.body.error.message, 'string');
    assert.equal(done.body.transcript, '');
    assert.deepEqual(done.body.additional_data, { visit: 7 });
    assert.equal(done.body.templates[0].soap.status, 'failed');
    assert.equal(done.body.templates[0].soap.error.code, 'insufficient_audio');
    assert.ok(!Number.isNaN(Date.parse(done.body.completed_at)));
  });

  test('audio_files_sent ≠ received: processing goes on; result reports the missing count (failed: no recogniser yet)', async () => {
    const id = await createId(main, acme, { templates: ['medications'] });
    await uploadOk(main, acme, id, 'audio_0.wav');
    const r = await end(main, acme, id, { audio_files_sent: 3 });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.audio_files_received, 1);
    assert.deepEqual(r.body.audio_files, ['0.wav']);

    const done = await pollFinished(main, acme, id);
    // The honest outcome of this build: no speech recogniser is configured, so nothing is
    // transcribed — `failed` with processing_failed, and never an invented transcript.
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.status, 'failed');
    assert.deepEqual(done.body.error, { code: 'processing_failed', message: 'no transcriber configured' });
    assert.equal(done.body.transcript, '');
    assert.equal(done.body.model_used, 'lite');
    assert.equal(done.body.audio_files_received, 1);
    assert.equal(done.body.audio_files_processed, 0);
    assert.ok(Array.isArray(done.body.processing_errors));
    const mismatch = done.body.processing_errors.find((e: any) => /missing/.test(e.message));
    assert.ok(mismatch, JSON.stringify(done.body.processing_errors));
    assert.match(mismatch.message, /\b2 missing\b/);
    assert.match(mismatch.message, /\b3\b/);
    assert.equal(typeof mismatch.type, 'string');
    assert.equal(done.body.templates[0].medications.status, 'failed');
    assert.equal(done.body.templates[0].medications.data, undefined);
  });
});

// ---------------------------------------------------------------- get

describe('get session', () => {
  test('202 while created and recording; 200 failed with error once processed', async () => {
    const id = await createId(main, acme);
    const created = await get(main, acme, id);
    assert.equal(created.status, 202);
    assert.equal(created.body.status, 'created');
    await uploadOk(main, acme, id, 'audio_0.wav');
    const recording = await get(main, acme, id);
    assert.equal(recording.status, 202);
    assert.equal(recording.body.status, 'recording');
    assert.deepEqual(recording.body.audio_files, ['0.wav']);
    assert.equal(recording.body.completed_at, undefined);
    assert.equal(recording.body.templates, undefined);

    await end(main, acme, id, { audio_files_sent: 1 });
    const done = await pollFinished(main, acme, id);
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.status, 'failed');
    assert.equal(done.body.error.code, 'processing_failed');
    assert.equal(typeof done.body.error.message, 'string');
    assert.equal(done.body.transcript, '');
    assert.deepEqual(done.body.templates, []);
    for (const k of ['session_id', 'status', 'created_at', 'expires_at', 'upload_url', 'audio_files_received', 'audio_files', 'additional_data', 'patient_details', 'transcript', 'completed_at', 'model_used', 'templates']) {
      assert.ok(k in done.body, `finished body lacks ${k}`);
    }
    // No processing errors → no processing_errors list on a failed result.
    assert.equal(done.body.processing_errors, undefined);
  });

  test('?template_id filters the templates; ?templates_format=object keys them by template id', async () => {
    const id = await createId(main, acme, { templates: ['soap', 'medications'] });
    await uploadOk(main, acme, id, 'audio_0.wav');
    await end(main, acme, id, { audio_files_sent: 1 });
    const all = await pollFinished(main, acme, id);
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.templates.map((t: object) => Object.keys(t)[0]), ['soap', 'medications']);
    const entry = all.body.templates[1].medications;
    assert.deepEqual(Object.keys(entry).sort(), ['document_id', 'document_type', 'error', 'publish', 'status']);
    assert.equal(entry.document_type, 'medication_list');
    assert.deepEqual(entry.publish, {});

    const one = await get(main, acme, id, '?template_id=medications');
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.templates, [{ medications: entry }]);

    const asObject = await get(main, acme, id, '?templates_format=object');
    assert.equal(asObject.status, 200);
    assert.ok(!Array.isArray(asObject.body.templates));
    assert.deepEqual(Object.keys(asObject.body.templates), ['soap', 'medications']);
    assert.deepEqual(asObject.body.templates.medications, entry);
    assert.deepEqual(asObject.body.templates.soap, all.body.templates[0].soap);

    const both = await get(main, acme, id, '?templates_format=object&template_id=soap');
    assert.deepEqual(both.body.templates, { soap: all.body.templates[0].soap });
    const explicitArray = await get(main, acme, id, '?templates_format=array');
    assert.deepEqual(explicitArray.body.templates, all.body.templates);

    assertError(await get(main, acme, id, '?templates_format=xml'), 400, 'invalid_request');
  });

  test('unknown session → 404 session_not_found on get, upload and end', async () => {
    for (const unknown of ['ses_doesNotExist0000000', 'x', 'ses_' + 'a'.repeat(60)]) {
      assertError(await get(main, acme, unknown), 404, 'session_not_found');
      assertError(await upload(main, acme, unknown, 'audio_0.wav'), 404, 'session_not_found');
      assertError(await end(main, acme, unknown, { audio_files_sent: 0 }), 404, 'session_not_found');
    }
  });

  test("another tenant's session → 404 exactly like an unknown id (get, upload, end), and it is left untouched", async () => {
    const id = await createId(main, acme, { patient_details: { name: 'Secret' } });
    await uploadOk(main, acme, id, 'audio_0.wav');
    const unknown = `ses_${'Q'.repeat(id.length - 4)}`;
    const normalise = (r: { status: number; body: any; headers: Headers }, sid: string) => ({
      status: r.status,
      body: JSON.parse(JSON.stringify(r.body).split(sid).join('<id>')),
      contentType: r.headers.get('content-type'),
    });
    const pairs: Array<[string, (sid: string) => Promise<{ status: number; body: any; headers: Headers; text: string }>]> = [
      ['get', (sid) => get(main, globex, sid)],
      ['get ?templates_format=object', (sid) => get(main, globex, sid, '?templates_format=object')],
      ['upload', (sid) => upload(main, globex, sid, 'audio_1.wav')],
      ['end', (sid) => end(main, globex, sid, { audio_files_sent: 1 })],
    ];
    for (const [label, call] of pairs) {
      const foreign = await call(id);
      const missing = await call(unknown);
      assertError(foreign, 404, 'session_not_found');
      assert.deepEqual(normalise(foreign, id), normalise(missing, unknown), label);
      assert.ok(!foreign.text.includes('Secret'));
    }
    const mine = await get(main, acme, id);
    assert.equal(mine.status, 202);
    assert.equal(mine.body.status, 'recording');
    assert.deepEqual(mine.body.audio_files, ['0.wav']);
  });
});

// ---------------------------------------------------------------- templates

describe('templates', () => {
  test('GET /templates lists the 9 standard templates with names and descriptions', async () => {
    const r = await api(main.url, 'GET', `${V1}/templates`, { key: globex });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.body), ['templates']);
    assert.deepEqual(
      r.body.templates.map((t: any) => t.id),
      STANDARD_TEMPLATE_IDS,
    );
    for (const t of r.body.templates) {
      assert.deepEqual(Object.keys(t).sort(), ['description', 'id', 'name']);
      assert.ok(t.name.length > 0 && t.description.length > 0, JSON.stringify(t));
    }
  });
});

// ---------------------------------------------------------------- health

describe('operations', () => {
  test('/healthz, /readyz, /metrics', async () => {
    const health = await api(main.url, 'GET', '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const ready = await api(main.url, 'GET', '/readyz');
    assert.equal(ready.status, 200, ready.text);
    assert.equal(ready.body.status, 'ready');
    assert.deepEqual(ready.body.checks, { database: 'ok', storage: 'ok' });
    const metrics = await api(main.url, 'GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(metrics.text, /^openscribe_http_requests_total\{[^}]*route="\/voice\/v1\/sessions"[^}]*\} \d+/m);
    assert.match(metrics.text, /openscribe_jobs\{state="queued"\}/);
  });

  test('/voice/v1/openapi.json is OpenAPI 3.1 with the session paths; /voice/v1/docs/ serves HTML', async () => {
    const r = await api(main.url, 'GET', `${V1}/openapi.json`);
    assert.equal(r.status, 200, r.text);
    assert.match(r.body.openapi, /^3\.1\./);
    const paths = Object.keys(r.body.paths);
    for (const p of [
      '/voice/v1/sessions',
      '/voice/v1/sessions/{session_id}',
      '/voice/v1/sessions/{session_id}/end',
      '/voice/v1/sessions/{session_id}/audio/{file_name}',
      '/voice/v1/sessions/{session_id}/audio',
      '/voice/v1/templates',
      '/voice/v1/.well-known/medscribealliance',
    ]) {
      assert.ok(paths.includes(p), `openapi.json lacks ${p}: ${paths.join(', ')}`);
    }
    assert.ok(r.body.paths['/voice/v1/sessions'].post);
    assert.ok(r.body.paths['/voice/v1/sessions/{session_id}'].get);
    assert.ok(r.body.components.securitySchemes.apiKey);
    const docs = await fetch(`${main.url}${V1}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await docs.text(), /<html/i);
  });
});

// ---------------------------------------------------------------- limited server: expiry, rate limit

describe('expiry (max session 1 s, sweep every 200 ms)', () => {
  // The limited server allows 5 requests per minute per tenant: this test makes exactly 5.
  test('after 1.5 s: GET → 410 expired; upload → 410 session_expired; End → 410', async () => {
    const r = await create(limited, expiryKey, { additional_data: { enc: 'e-1' } });
    assert.equal(r.status, 201, r.text);
    const id = r.body.session_id as string;
    assert.equal(Date.parse(r.body.expires_at) - Date.parse(r.body.created_at), 1000);
    await uploadOk(limited, expiryKey, id, 'audio_0.wav');
    await sleep(1500);

    const g = await get(limited, expiryKey, id);
    assert.equal(g.status, 410, g.text);
    assert.equal(g.body.status, 'expired');
    assert.equal(g.body.session_id, id);
    assert.equal(typeof g.body.message, 'string');
    assert.ok(g.body.message.length > 0);
    const expiredAt = Date.parse(g.body.expired_at);
    assert.ok(!Number.isNaN(expiredAt), `expired_at ${g.body.expired_at}`);
    assert.ok(expiredAt >= Date.parse(g.body.expires_at), 'expired before its deadline');
    assert.ok(expiredAt <= Date.now() + 1000);
    assert.deepEqual(g.body.audio_files, ['0.wav']);
    assert.equal(g.body.audio_files_received, 1);
    assert.deepEqual(g.body.additional_data, { enc: 'e-1' });

    assertError(await upload(limited, expiryKey, id, 'audio_1.wav'), 410, 'session_expired');
    assertError(await end(limited, expiryKey, id, { audio_files_sent: 1 }), 410, 'session_expired');
  });
});

describe('rate limit (5 per minute per tenant)', () => {
  test('X-RateLimit-* headers; the 6th request → 429 rate_limit_exceeded with Retry-After; another tenant is unaffected', async () => {
    for (let i = 1; i <= 5; i++) {
      const r = await api(limited.url, 'GET', `${V1}/templates`, { key: busyKey });
      assert.equal(r.status, 200, `request ${i}: ${r.text}`);
      assert.equal(r.headers.get('x-ratelimit-limit'), '5');
      assert.equal(r.headers.get('x-ratelimit-remaining'), String(5 - i));
      const reset = Number(r.headers.get('x-ratelimit-reset'));
      assert.ok(Number.isInteger(reset) && reset > 0 && reset <= 60, `x-ratelimit-reset ${reset}`);
    }
    const sixth = await api(limited.url, 'GET', `${V1}/templates`, { key: busyKey });
    assertError(sixth, 429, 'rate_limit_exceeded');
    const retryAfter = Number(sixth.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60, `retry-after ${sixth.headers.get('retry-after')}`);
    assert.equal(sixth.headers.get('x-ratelimit-limit'), '5');
    assert.equal(sixth.headers.get('x-ratelimit-remaining'), '0');
    // Every route of the tenant shares the budget.
    assertError(await create(limited, busyKey), 429, 'rate_limit_exceeded');

    const calm = await api(limited.url, 'GET', `${V1}/templates`, { key: calmKey });
    assert.equal(calm.status, 200, calm.text);
    assert.equal(calm.headers.get('x-ratelimit-remaining'), '4');
    // Public endpoints are not charged to anyone.
    assert.equal((await api(limited.url, 'GET', '/.well-known/medscribealliance')).status, 200);
  });
});
