import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { writeWav } from '../../src/speech/audio/wav.js';
import { backendEnv } from '../helpers/backend.js';
import { api, ROOT, startServer, tempDataDir, waitForFinished } from '../helpers/server.js';

const V1 = '/voice/v1';

function cli(dataDir: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, OPENSCRIBE_DATA_DIR: dataDir, NODE_ENV: 'test', ...backendEnv(dataDir) },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

interface Entry {
  at: string;
  tenant_id: string;
  key_id: string | null;
  action: string;
  session_id: string | null;
  method: string | null;
  route: string | null;
  status: number | null;
}

const audit = (dataDir: string, ...args: string[]) => {
  const text = cli(dataDir, 'audit', '--json', '--limit', '1000', ...args);
  return { text, entries: JSON.parse(text) as Entry[] };
};

/** The entries are written just after each answer; poll until `ready` holds (bounded). */
async function auditUntil(dataDir: string, args: string[], ready: (e: Entry[]) => boolean) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = audit(dataDir, ...args);
    if (ready(r.entries) || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 250));
  }
}

test('audit log: who, what, when, which session — never keys or content; CLI filters', async () => {
  const dataDir = tempDataDir('audit');
  const createdA = cli(dataDir, 'keys', 'create', '--tenant', 'audit-a');
  const keyA = createdA.trim().split('\n').pop()!.trim();
  const keyIdA = /Created key (key_\S+)/.exec(createdA)![1]!;
  const keyB = cli(dataDir, 'keys', 'create', '--tenant', 'audit-b').trim().split('\n').pop()!.trim();
  const spare = /Created key (key_\S+)/.exec(cli(dataDir, 'keys', 'create', '--tenant', 'audit-a'))![1]!;
  cli(dataDir, 'keys', 'revoke', spare);

  const patient = { name: 'Zebulon Quixotic', oid: 'pat-778899-zz' };
  const server = await startServer({ dataDir });
  let sessionId: string;
  try {
    const created = await api(server.url, 'POST', `${V1}/sessions`, {
      key: keyA,
      json: { upload_type: 'chunked', communication_protocol: 'http', patient_details: patient, additional_data: { note: 'confidential-note-4455' } },
    });
    assert.equal(created.status, 201, created.text);
    sessionId = created.body.session_id;
    const up = await api(server.url, 'POST', `${V1}/sessions/${sessionId}/audio/consult_1.wav`, {
      key: keyA,
      body: writeWav(new Int16Array(16_000)),
      headers: { 'content-type': 'audio/wav' },
    });
    assert.equal(up.status, 200, up.text);
    const end = await api(server.url, 'POST', `${V1}/sessions/${sessionId}/end`, { key: keyA, json: { audio_files_sent: 1 } });
    assert.equal(end.status, 202, end.text);
    const done = await waitForFinished(server.url, keyA, sessionId, { ms: 120_000 });
    assert.equal(done.status, 200, done.text);
    const wh = await api(server.url, 'POST', `${V1}/webhooks`, { key: keyA, json: { url: 'http://1.1.1.1/hook', events: ['session.expired'] } });
    assert.equal(wh.status, 201, wh.text);
    // Tenant B tries A's session: 404, recorded under B.
    const foreign = await api(server.url, 'GET', `${V1}/sessions/${sessionId}`, { key: keyB });
    assert.equal(foreign.status, 404);
    // A refused key is not attributable to anyone: not recorded.
    assert.equal((await api(server.url, 'GET', `${V1}/templates`, { key: `sk_test_${'Q'.repeat(40)}` })).status, 401);
    const secret = wh.body.secret as string;

    const a = await auditUntil(dataDir, ['--tenant', 'audit-a'], (e) => e.some((x) => x.action === 'webhook.create'));
    const b = await auditUntil(dataDir, ['--tenant', 'audit-b'], (e) => e.some((x) => x.action === 'session.read'));
    const find = (entries: Entry[], action: string) => entries.filter((x) => x.action === action);

    const tenantA = find(a.entries, 'session.create')[0]?.tenant_id;
    assert.ok(tenantA, `session.create recorded: ${a.text}`);
    assert.ok(a.entries.every((x) => x.tenant_id === tenantA), '--tenant filters');
    const create = find(a.entries, 'session.create')[0]!;
    assert.deepEqual(
      { session: create.session_id, status: create.status, method: create.method, route: create.route, key: create.key_id },
      { session: sessionId, status: 201, method: 'POST', route: `${V1}/sessions`, key: keyIdA },
    );
    const upload = find(a.entries, 'audio.upload')[0]!;
    assert.deepEqual([upload.session_id, upload.status, upload.route], [sessionId, 200, `${V1}/sessions/:session_id/audio/:file_name`]);
    const ended = find(a.entries, 'session.end')[0]!;
    assert.deepEqual([ended.session_id, ended.status], [sessionId, 202]);
    assert.ok(find(a.entries, 'session.read').some((x) => x.session_id === sessionId && x.status === 200));
    assert.equal(find(a.entries, 'webhook.create')[0]!.status, 201);
    assert.equal(find(a.entries, 'key.create').length, 2, 'both keys of A were created by the CLI');
    assert.deepEqual(find(a.entries, 'key.revoke').map((x) => x.key_id), [spare]);
    assert.ok(!Number.isNaN(Date.parse(create.at)));

    const attempt = find(b.entries, 'session.read');
    assert.equal(attempt.length, 1, b.text);
    assert.deepEqual([attempt[0]!.session_id, attempt[0]!.status], [sessionId, 404]);
    assert.notEqual(attempt[0]!.tenant_id, tenantA);
    assert.ok(b.entries.every((x) => x.tenant_id !== tenantA));

    // The session filter: only this session, from both tenants.
    const bySession = audit(dataDir, '--session', sessionId);
    assert.ok(bySession.entries.length >= 5 && bySession.entries.every((x) => x.session_id === sessionId));
    assert.ok(bySession.entries.some((x) => x.status === 404));
    assert.equal(audit(dataDir, '--tenant', 'audit-a', '--limit', '2').entries.length, 2);
    assert.deepEqual(audit(dataDir, '--since', new Date(Date.now() + 86_400_000).toISOString()).entries, []);
    // The plain text form works too.
    assert.ok(cli(dataDir, 'audit', '--session', sessionId).includes('session.end'));

    for (const text of [a.text, b.text, bySession.text, cli(dataDir, 'audit', '--limit', '1000')]) {
      for (const never of [keyA, keyB, keyA.slice(16), secret, patient.name, patient.oid, 'confidential-note-4455', 'RIFF', 'consult_1.wav']) {
        assert.ok(!text.includes(never), `audit output must not contain ${never.slice(0, 12)}…`);
      }
    }
  } finally {
    await server.stop();
  }
});
