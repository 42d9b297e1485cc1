/**
 * Scale-out benchmark → bench/results/scale.json.
 *
 * 1. Session throughput with 1 vs 2 worker processes on one PostgreSQL database:
 *    sessions (real speech, two 5 s chunks each) are created, uploaded and ended with
 *    no worker running; then the workers start and the clock runs until every session
 *    is completed. Each worker runs one job at a time, so one worker uses one core.
 * 2. API throughput on PostgreSQL vs SQLite: Get Session and create session at 16
 *    connections against an API-only process.
 *
 *   npm run bench:scale [-- --quick]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { readWav, writeWav } from '../src/speech/audio/wav.js';
import { startWorker, type RunningWorker } from '../test/helpers/cluster.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/postgres.js';
import { api, createKey, SHARED, startServer, tempDataDir, type RunningServer } from '../test/helpers/server.js';
import { machineCpuSeconds, runCase, type CaseResult } from './lib/load.js';
import { machineInfo } from './lib/machine.js';
import { createBody, createSessions, SessionIds } from './lib/prepare.js';
import { caseTable } from './lib/report.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const QUICK = process.argv.includes('--quick');
const SESSIONS = QUICK ? 12 : 60;
const LOAD_S = QUICK ? 3 : 8;
const log = (msg: string) => process.stdout.write(`[scale] ${msg}\n`);

const speech = readWav(fs.readFileSync(path.join(SHARED, 'data/audio/consult-hypertension.wav'))).samples;
const chunk = (i: number) => {
  const start = ((i * 5) % 55) * 16_000;
  return writeWav(speech.subarray(start, start + 5 * 16_000));
};

interface Stack {
  db: TestDatabase;
  dataDir: string;
  env: Record<string, string>;
  key: string;
  api: RunningServer;
  workers: RunningWorker[];
  stop(): Promise<void>;
}

async function stack(label: string, extraEnv: Record<string, string> = {}): Promise<Stack> {
  const db = await createTestDatabase(label);
  const dataDir = tempDataDir(label);
  const env = {
    OPENSCRIBE_DATABASE_URL: db.url,
    OPENSCRIBE_TRANSCRIBER: 'pocketsphinx',
    OPENSCRIBE_WORKER_CONCURRENCY: '1',
    OPENSCRIBE_RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const key = createKey(dataDir, 'bench', env);
  const server = await startServer({ dataDir, args: ['--no-worker'], env });
  const s: Stack = {
    db,
    dataDir,
    env,
    key,
    api: server,
    workers: [],
    async stop() {
      await Promise.all([server, ...s.workers].map((p) => p.stop()));
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return s;
}

/** Sessions ready to process (uploaded and ended) before any worker runs. */
async function prepareSessions(s: Stack, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const created = await api(s.api.url, 'POST', '/voice/v1/sessions', { key: s.key, json: { upload_type: 'chunked', communication_protocol: 'http', templates: ['soap'] } });
    if (created.status !== 201) throw new Error(`create: ${created.text}`);
    const id = created.body.session_id as string;
    for (const c of [0, 1]) {
      const up = await api(s.api.url, 'POST', `/voice/v1/sessions/${id}/audio/${c}.wav`, { key: s.key, body: chunk(i * 2 + c), headers: { 'content-type': 'audio/wav' } });
      if (up.status !== 200) throw new Error(`upload: ${up.text}`);
    }
    const end = await api(s.api.url, 'POST', `/voice/v1/sessions/${id}/end`, { key: s.key, json: { audio_files_sent: 2 } });
    if (end.status !== 202) throw new Error(`end: ${end.text}`);
    ids.push(id);
  }
  return ids;
}

async function sessionThroughput(workers: number) {
  const s = await stack(`scale_w${workers}`);
  try {
    await prepareSessions(s, SESSIONS);
    s.workers = await Promise.all(Array.from({ length: workers }, () => startWorker(s.dataDir, { ...s.env, LOG_LEVEL: 'info' })));
    // From the moment the workers run: process start-up is not throughput. Progress is
    // read with one count query a second, so that watching costs the workers no CPU.
    const started = performance.now();
    const cpu0 = machineCpuSeconds();
    const watch = new pg.Client({ connectionString: s.db.url });
    await watch.connect();
    try {
      for (;;) {
        const r = await watch.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM sessions GROUP BY status');
        const bad = r.rows.find((x) => x.status !== 'completed' && x.status !== 'processing');
        if (bad) throw new Error(`${bad.n} session(s) ended ${bad.status}`);
        if (!r.rows.some((x) => x.status === 'processing')) break;
        await new Promise((res) => setTimeout(res, 1000));
      }
    } finally {
      await watch.end();
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpu0 === null ? null : machineCpuSeconds()! - cpu0;
    const result = {
      workers,
      sessions: SESSIONS,
      audio_seconds: SESSIONS * 10,
      seconds: round(seconds),
      sessions_per_min: round((SESSIONS / seconds) * 60),
      // How much of the machine the run kept busy (100 % = both cores), and what a session cost.
      machine_busy_pct: cpu === null ? null : Math.round((cpu / seconds / os.cpus().length) * 100),
      cpu_seconds_per_session: cpu === null ? null : round(cpu / SESSIONS),
    };
    log(`${workers} worker(s): ${result.sessions_per_min} sessions/min (${result.seconds} s for ${SESSIONS}), machine ${result.machine_busy_pct}% busy, ${result.cpu_seconds_per_session} CPU s/session`);
    return result;
  } finally {
    await s.stop();
  }
}

async function apiThroughput(backend: 'sqlite' | 'postgres'): Promise<CaseResult[]> {
  let s: Stack | undefined;
  let server: RunningServer;
  let key: string;
  let dataDir: string | undefined;
  if (backend === 'postgres') {
    s = await stack('scale_api');
    ({ api: server, key } = s);
  } else {
    dataDir = tempDataDir('scale-api');
    const env = { OPENSCRIBE_RATE_LIMIT_PER_MINUTE: '100000000', LOG_LEVEL: 'warn', OPENSCRIBE_TRANSCRIBER: 'none' };
    key = createKey(dataDir, 'bench', env);
    server = await startServer({ dataDir, args: ['--no-worker'], env });
  }
  try {
    const ids = new SessionIds();
    const pool = ids.many('get', 64);
    await createSessions(server.url, key, pool);
    const auth = { authorization: `Bearer ${key}` };
    const cases: CaseResult[] = [];
    let i = 0;
    cases.push(
      await runCase({
        name: `get session (${backend})`,
        endpoint: 'GET /voice/v1/sessions/{id}',
        url: server.url,
        connections: 16,
        durationS: LOAD_S,
        expectStatus: '2xx',
        headers: auth,
        requests: [{ setupRequest: (req) => ({ ...req, path: `/voice/v1/sessions/${pool[i++ % pool.length]}` }) }],
        serverPid: server.child.pid,
      }),
    );
    cases.push(
      await runCase({
        name: `create session (${backend})`,
        endpoint: 'POST /voice/v1/sessions',
        url: server.url,
        connections: 16,
        durationS: LOAD_S,
        expectStatus: 201,
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        requests: [{ setupRequest: (req) => ({ ...req, method: 'POST', path: '/voice/v1/sessions', body: createBody(ids.next('new')) }) }],
        serverPid: server.child.pid,
      }),
    );
    return cases;
  } finally {
    if (s) await s.stop();
    else {
      await server.stop();
      fs.rmSync(dataDir!, { recursive: true, force: true });
    }
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

async function main() {
  const machine = machineInfo();
  log(`${machine.cpus} × ${machine.cpu_model}; ${SESSIONS} sessions per worker run`);
  const one = await sessionThroughput(1);
  const two = await sessionThroughput(2);
  const cases = [...(await apiThroughput('sqlite')), ...(await apiThroughput('postgres'))];
  log(`\n${caseTable(cases)}`);
  const speedup = round(two.sessions_per_min / one.sessions_per_min);
  const out = {
    generated_at: new Date().toISOString(),
    machine,
    quick: QUICK,
    note:
      'Workers run one job at a time (OPENSCRIBE_WORKER_CONCURRENCY=1), so on this 2-core machine 2 workers can at most double 1; the API process and PostgreSQL share the cores. ' +
      'Progress is watched with one count query a second (polling Get Session for every session cost the workers a third of a core). ' +
      'A chunk is recognised once across workers: a session job waits while another worker recognises one of its chunks (JobQueue.running).',
    session_throughput: { one_worker: one, two_workers: two, speedup },
    api_throughput: cases,
  };
  fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
  fs.writeFileSync(path.join(HERE, 'results/scale.json'), JSON.stringify(out, null, 2) + '\n');
  log(`speedup 2 vs 1 worker: ×${speedup}; written bench/results/scale.json`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
