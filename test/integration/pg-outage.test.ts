import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPrivatePostgres } from '../helpers/private-postgres.js';
import { api, createKey, startServer, tempDataDir } from '../helpers/server.js';

// A database outage drill: PostgreSQL stops under a stream of uploads and comes back.
// The service answers 200 or 503 service_unavailable (never 500, never a hang), recovers
// by itself, and every chunk it answered 200 for is in the session when it ends.

const CLIENT_TIMEOUT_MS = 30_000;
const wavLike = () => Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), Buffer.alloc(2000)]);

interface Outcome {
  seq: number;
  status: number | 'hang' | 'network';
  code?: string;
  retryAfter?: string | null;
}

async function upload(base: string, key: string, id: string, seq: number): Promise<Outcome> {
  try {
    const res = await fetch(`${base}/voice/v1/sessions/${id}/audio/rec_${seq}.wav`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'audio/wav' },
      body: wavLike(),
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    const body = (await res.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
    return { seq, status: res.status, code: body?.error?.code, retryAfter: res.headers.get('retry-after') };
  } catch (err) {
    return { seq, status: (err as Error).name === 'TimeoutError' ? 'hang' : 'network' };
  }
}

test('PostgreSQL outage: 200 or 503 while it is down, recovery without a restart, no accepted chunk lost', { timeout: 420_000 }, async (t) => {
  const cluster = await startPrivatePostgres();
  t.after(() => cluster.destroy());
  const env = {
    OPENSCRIBE_DATABASE_URL: cluster.url,
    // Keys stay cached through the outage: the drill is about the session path.
    OPENSCRIBE_KEY_CACHE_TTL_MS: '600000',
    OPENSCRIBE_SWEEP_INTERVAL_MS: '500',
    OPENSCRIBE_JOB_POLL_MS: '200',
  };
  const dataDir = tempDataDir('pg-outage');
  const key = createKey(dataDir, 'outage', env);
  const server = await startServer({ dataDir, env, startTimeoutMs: 120_000 });
  t.after(() => server.stop());

  const created = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
  assert.equal(created.status, 201, created.text);
  const id = created.body.session_id as string;
  const outcomes: Outcome[] = [];
  let seq = 0;
  for (; seq < 3; seq++) outcomes.push(await upload(server.url, key, id, seq));
  assert.deepEqual(outcomes.map((o) => o.status), [200, 200, 200]);

  // Uploads keep coming, one after another, through the whole drill.
  let stopLoop = false;
  const loop = (async () => {
    while (!stopLoop) {
      outcomes.push(await upload(server.url, key, id, seq++));
      await sleep(50);
    }
  })();

  await sleep(1000);
  // A crash, not a clean shutdown: connections in use break mid-transaction.
  cluster.stop('immediate');
  const downFrom = outcomes.length;
  await sleep(10_000);
  const ready = await api(server.url, 'GET', '/readyz');
  assert.equal(ready.status, 503);
  assert.notEqual(ready.body.checks.database, 'ok');
  const duringOutage = outcomes.slice(downFrom);
  assert.ok(duringOutage.some((o) => o.status === 503), `no 503 while the database was down: ${JSON.stringify(duringOutage.slice(0, 5))}`);

  cluster.start();
  // Recovery is the service's own: the next uploads succeed again.
  const upFrom = outcomes.length;
  const deadline = Date.now() + 90_000;
  while (!outcomes.slice(upFrom).some((o) => o.status === 200)) {
    assert.ok(Date.now() < deadline, 'uploads did not succeed again within 90 s of the database coming back');
    await sleep(200);
  }
  stopLoop = true;
  await loop;

  const wrong = outcomes.filter((o) => !(o.status === 200 || (o.status === 503 && o.code === 'service_unavailable' && o.retryAfter)));
  assert.deepEqual(wrong, [], 'every answer is 200, or 503 service_unavailable with Retry-After');
  assert.equal(server.child.exitCode, null, 'the server survived the outage');

  const accepted = outcomes.filter((o) => o.status === 200).map((o) => `${o.seq}.wav`);
  let end = await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: accepted.length } });
  for (let i = 0; end.status === 503 && i < 50; i++) {
    await sleep(200);
    end = await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: accepted.length } });
  }
  assert.equal(end.status, 202, end.text);
  const committed = new Set<string>(end.body.audio_files);
  assert.deepEqual(accepted.filter((name) => !committed.has(name)), [], 'every chunk answered 200 is committed');
  const view = await api(server.url, 'GET', `/voice/v1/sessions/${id}`, { key });
  assert.ok([200, 202].includes(view.status), view.text);
  assert.deepEqual(accepted.filter((name) => !view.body.audio_files.includes(name)), []);
});
