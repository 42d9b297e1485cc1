/**
 * Scale-out as deployed: separate API and worker processes on one PostgreSQL
 * database, sharing one blob store. Sessions hop between API nodes; work is shared
 * by the workers; each job completes once and each event is delivered once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readWav, writeWav } from '../../src/speech/audio/wav.js';
import { completedJobs, startWorker, type RunningWorker } from '../helpers/cluster.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { api, createKey, SHARED, startServer, tempDataDir, type RunningServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.js';

const SESSIONS = 200;
const PARALLEL = 8;

let db: TestDatabase;
let dataDir: string;
let env: Record<string, string>;
let key: string;
let apis: RunningServer[] = [];
let workers: RunningWorker[] = [];
let receiver: Receiver;

// Two one-second chunks of real speech per session: enough for the recogniser to work, little CPU.
const speech = readWav(fs.readFileSync(path.join(SHARED, 'data/audio/consult-hypertension.wav'))).samples;
const chunk = (second: number) => writeWav(speech.subarray(second * 16_000, (second + 1) * 16_000));

before(async () => {
  db = await createTestDatabase('cluster');
  dataDir = tempDataDir('cluster');
  env = {
    OPENSCRIBE_DATABASE_URL: db.url,
    OPENSCRIBE_TRANSCRIBER: 'pocketsphinx',
    OPENSCRIBE_WEBHOOK_ALLOW_PRIVATE: '1',
    OPENSCRIBE_JOB_LEASE_MS: '5000',
  };
  key = createKey(dataDir, 'cluster', env);
  receiver = await startReceiver();
});

after(async () => {
  await Promise.all([...apis, ...workers].map((p) => p.stop()));
  await receiver?.close();
  await db?.drop();
});

async function poll<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function oneSession(i: number): Promise<string> {
  const [a, b] = [apis[i % 2]!, apis[(i + 1) % 2]!];
  const created = await api(a.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http', templates: ['soap'] } });
  assert.equal(created.status, 201, created.text);
  const id = created.body.session_id as string;
  // Chunks to either node, out of order; End on the node that did not create it.
  for (const [node, n] of [[b, 1], [a, 0]] as const) {
    const up = await api(node.url, 'POST', `/voice/v1/sessions/${id}/audio/${n}.wav`, { key, body: chunk(n + 2), headers: { 'content-type': 'audio/wav' } });
    assert.equal(up.status, 200, up.text);
  }
  const end = await api(b.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 2 } });
  assert.equal(end.status, 202, end.text);
  return id;
}

test('2 API nodes + 2 workers on one PostgreSQL: 200 sessions complete, each job and event once', { timeout: 20 * 60_000 }, async () => {
  apis = await Promise.all([0, 1].map(() => startServer({ dataDir, args: ['--no-worker'], env })));
  workers = await Promise.all([0, 1].map(() => startWorker(dataDir, env)));
  const hook = await api(apis[0]!.url, 'POST', '/voice/v1/webhooks', { key, json: { url: receiver.url, events: ['session.completed'] } });
  assert.equal(hook.status, 201, hook.text);

  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < SESSIONS) ids.push(await oneSession(next++));
    }),
  );
  assert.equal(ids.length, SESSIONS);

  for (const [i, id] of ids.entries()) {
    const r = await poll(`session ${id}`, async () => {
      const got = await api(apis[i % 2]!.url, 'GET', `/voice/v1/sessions/${id}`, { key });
      return got.status === 202 ? undefined : got;
    }, 10 * 60_000);
    assert.equal(r.status, 200, `session ${id}: ${r.text}`);
    assert.equal(r.body.status, 'completed');
  }

  await receiver.until((rs) => new Set(rs.map((r) => r.body?.session_id)).size === SESSIONS, 5 * 60_000);
  // Anything late would show up here as a duplicate.
  await new Promise((r) => setTimeout(r, 2000));
  const eventIds = receiver.received.map((r) => String(r.headers['x-msa-event-id']));
  assert.equal(new Set(eventIds).size, eventIds.length, 'no event delivered twice');
  assert.equal(eventIds.length, SESSIONS, 'one completed event per session');

  const outputs = workers.map((w) => w.output()).join('\n');
  const processed = completedJobs(outputs, 'process-session');
  assert.equal(processed.length, SESSIONS, 'one process-session job completed per session');
  assert.equal(new Set(processed).size, processed.length, 'no job completed twice');
  const transcribed = completedJobs(outputs, 'transcribe-chunk');
  assert.equal(new Set(transcribed).size, transcribed.length, 'no chunk job completed twice');
  for (const w of workers) assert.ok(completedJobs(w.output(), 'process-session').length > 0, 'both workers took work');
});

test('kill -9 a worker mid-job: the other worker retries it and the session completes', { timeout: 10 * 60_000 }, async () => {
  await Promise.all(workers.map((w) => w.stop()));
  const debugEnv = { ...env, LOG_LEVEL: 'debug' };
  const doomed = await startWorker(dataDir, debugEnv);
  const created = await api(apis[0]!.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'single', session_mode: 'consultation', communication_protocol: 'http', templates: ['soap', 'medications'] } });
  const id = created.body.session_id as string;
  // A minute of speech in one upload: its recognition runs for seconds, so the kill lands mid-job.
  const up = await api(apis[1]!.url, 'POST', `/voice/v1/sessions/${id}/audio/consultation.wav`, {
    key,
    body: fs.readFileSync(path.join(SHARED, 'data/audio/consult-hypertension.wav')),
    headers: { 'content-type': 'audio/wav' },
  });
  assert.equal(up.status, 200, up.text);
  const started = await poll('the chunk job to start', async () => {
    const m = doomed.output().match(/\{[^\n]*"msg":"job started"[^\n]*\}/);
    return m ? (JSON.parse(m[0]) as { jobId: string; kind: string }) : undefined;
  }, 60_000);
  assert.equal(started.kind, 'transcribe-chunk');
  await doomed.kill();
  assert.deepEqual(completedJobs(doomed.output(), 'transcribe-chunk'), [], 'killed before it finished');

  const survivor = await startWorker(dataDir, debugEnv);
  workers = [survivor];
  const end = await api(apis[0]!.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 1 } });
  assert.equal(end.status, 202, end.text);
  const r = await poll('the session to finish', async () => {
    const got = await api(apis[1]!.url, 'GET', `/voice/v1/sessions/${id}`, { key });
    return got.status === 202 ? undefined : got;
  }, 5 * 60_000);
  assert.equal(r.status, 200, r.text);
  assert.match(JSON.stringify(r.body), /amlodipine/i, 'the whole chunk was transcribed by the survivor');
  assert.deepEqual(completedJobs(survivor.output(), 'transcribe-chunk'), [started.jobId], 'the killed job, retried once');
});
