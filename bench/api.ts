/**
 * API benchmark: `npm run bench:api`.
 *
 * Starts the real server (a child process on 127.0.0.1 with a temporary data dir),
 * measures the machine's durable-write limit (dd oflag=dsync and parallel synced
 * writers), then drives the server with autocannon:
 *   1. chunk upload, 256 KB WAV per request, each a new durable chunk — 1/16/64 connections;
 *   2. End Session, each request ending a different pre-created session — 1/16/64;
 *   3. Get Session on an existing session — 16/64.
 * Writes bench/results/api.json (machine, disk limits, cases, targets) and prints a table.
 *
 * Flags: --quick (shorter runs), --keep-data (leave the temp data dir), --only=disk,upload,get,end
 *        --server-env=K=V[,K=V…] (extra environment for the server, e.g. UV_THREADPOOL_SIZE=16)
 *        --data-root=DIR (where the temp data dir goes; default the OS temp dir, e.g. /dev/shm to take the disk away)
 *        --api-only (serve --no-worker: the API node of a split deployment, no recognition on its
 *        cores; results to bench/results/api-no-worker.json)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { createKey, freePort, startServer, tempDataDir, TSX, type RunningServer } from '../test/helpers/server.js';
import { machineInfo } from './lib/machine.js';
import { measureDd, measureParallelWrites, round, type DdResult, type ParallelResult } from './lib/disk.js';
import { runCase, type CaseResult } from './lib/load.js';
import { createSessions, SessionIds, uploadChunks, waitForQueueDrain, wavBody } from './lib/prepare.js';
import { caseTable, targetTable, type Target } from './lib/report.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const API_ONLY = argv.includes('--api-only');
const RESULTS = path.join(HERE, 'results', API_ONLY ? 'api-no-worker.json' : 'api.json');
const QUICK = argv.includes('--quick');
const KEEP_DATA = argv.includes('--keep-data');
const DATA_ROOT = argv.find((a) => a.startsWith('--data-root='))?.slice(12);
const ONLY = new Set((argv.find((a) => a.startsWith('--only='))?.slice(7) ?? 'disk,upload,get,end').split(','));
const SERVER_ENV = Object.fromEntries(
  (argv.find((a) => a.startsWith('--server-env='))?.slice(13) ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);

const UPLOAD_S = QUICK ? 3 : 8;
const GET_S = QUICK ? 2 : 5;
const END_MAX_S = QUICK ? 3 : 6;
const WARMUP_S = QUICK ? 1 : 2;
const DD_COUNT = QUICK ? 500 : 2000;
const PAR_S = QUICK ? 1 : 2;
/**
 * Sessions pre-created per End Session case. The first case gets a fixed pool; later ones are
 * sized from the rate just measured (enough for END_MAX_S with head-room), so a slow or busy
 * machine does not spend minutes preparing sessions it cannot end anyway.
 */
const END_POOL_FIRST = QUICK ? 1500 : 4000;
const END_POOL_MAX = QUICK ? 3000 : 9000;
const END_POOL_MIN = 500;
/** The whole run is bounded: past this the server is killed and the bench fails. */
const WATCHDOG_MS = 6 * 60_000;
const MAX_SEQ = 99_999;

const CHUNK = wavBody(256 * 1024);
const SMALL_CHUNK = wavBody(4 * 1024);
const END_BODY = JSON.stringify({ audio_files_sent: 1 });

const log = (msg: string) => process.stdout.write(`[bench] ${msg}\n`);

let server: RunningServer | undefined;
let dataDir: string | undefined;

async function cleanup(): Promise<void> {
  const s = server;
  server = undefined;
  if (s) {
    const stopped = s.stop();
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref());
    if ((await Promise.race([stopped, timeout])) === 'timeout') await s.kill();
  }
  if (dataDir && !KEEP_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
  else if (dataDir) log(`data kept in ${dataDir}`);
  dataDir = undefined;
}

function machine() {
  return { hostname: os.hostname(), ...machineInfo(), autocannon: autocannonVersion(), date: new Date().toISOString() };
}

function autocannonVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(HERE, '..', 'node_modules', 'autocannon', 'package.json'), 'utf8'));
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
}

/** Each connection is one recording client: its own session, sequence numbers 0, 1, 2, … */
const FLOOR_CASE = 'floor: node:http + blob put';

/** bench/lib/floor-server.ts in a process of its own, like the real server. */
async function startFloorServer(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...TSX, path.join(HERE, 'lib/floor-server.ts'), dir, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`floor server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

function perClientSessions(pool: string[]): (client: autocannon.Client) => void {
  let next = 0;
  const take = () => {
    const id = pool[next++];
    if (!id) throw new Error('upload session pool exhausted');
    return id;
  };
  return (client) => {
    let session = take();
    let seq = 0;
    client.setRequests([
      {
        method: 'POST',
        setupRequest: (req) => {
          if (seq > MAX_SEQ) {
            session = take();
            seq = 0;
          }
          return { ...req, path: `/voice/v1/sessions/${session}/audio/audio_${seq++}.wav` };
        },
      },
    ]);
  };
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    process.stderr.write(`[bench] watchdog: still running after ${WATCHDOG_MS / 1000}s, aborting\n`);
    void cleanup().finally(() => process.exit(2));
  }, WATCHDOG_MS);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`[bench] ${sig}: stopping the server\n`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const started = Date.now();
  const info = machine();
  log(`${info.cpus} × ${info.cpu_model}, node ${info.node}, autocannon ${info.autocannon}`);

  // --data-root puts the data dir elsewhere (e.g. /dev/shm to take the disk out of the picture).
  dataDir = DATA_ROOT ? fs.mkdtempSync(path.join(DATA_ROOT, 'openscribe-bench-')) : tempDataDir('openscribe-bench');
  const key = createKey(dataDir, 'bench');
  const serverEnv = { OPENSCRIBE_RATE_LIMIT_PER_MINUTE: '100000000', LOG_LEVEL: 'warn', ...SERVER_ENV };
  server = await startServer({ dataDir, env: serverEnv, ...(API_ONLY ? { args: ['--no-worker'] } : {}) });
  const url = server.url;
  const pid = server.child.pid;
  log(`server ${url} (pid ${pid}), data dir ${dataDir}`);
  const auth = { authorization: `Bearer ${key}` };
  const ids = new SessionIds();

  const cases: CaseResult[] = [];
  const setup: Record<string, unknown> = {};
  let dd: DdResult | undefined;
  let ddAfter: DdResult | undefined;
  const parallel: ParallelResult[] = [];

  const record = (r: CaseResult) => {
    cases.push(r);
    log(
      `${r.name} @${r.connections}: ${r.requests_per_sec} req/s, p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms, ` +
        `errors ${r.errors}, codes ${JSON.stringify(r.status_codes)}, cpu server ${r.server_cpu_pct}% (${r.server_cpu_us_per_req} µs/req) client ${r.client_cpu_pct}% other ${r.other_cpu_pct}%`,
    );
    return r;
  };

  try {
    // ── 0. The disk's own durable-write limit, same filesystem as the data dir ──
    if (ONLY.has('disk') || ONLY.has('upload')) {
      dd = measureDd(dataDir, DD_COUNT);
      log(`dd oflag=dsync: ${dd.writes_per_sec} writes/s (${dd.raw})`);
      for (const [pattern, writers] of [
        ['append-dsync', 16],
        ['blob-put', 1],
        ['blob-put', 4],
        ['blob-put', 16],
      ] as const) {
        const p = await measureParallelWrites(dataDir, writers, PAR_S, pattern);
        parallel.push(p);
        log(`${pattern} × ${writers} writers: ${p.writes_per_sec} writes/s`);
      }
    }

    // ── 1. Chunk upload: 256 KB, every request a new durable chunk ──
    if (ONLY.has('upload')) {
      const conns = [1, 16, 64];
      const pool = ids.many('up', 16 + conns.reduce((a, c) => a + 2 * c, 0));
      setup.upload_sessions = await createSessions(url, key, pool);
      let offset = 0;
      const slice = (n: number) => pool.slice(offset, (offset += n));
      const upload = (connections: number, durationS: number, sessions: string[], name = 'upload 256KB') =>
        runCase({
          name,
          endpoint: 'POST /voice/v1/sessions/{id}/audio/audio_{seq}.wav',
          url,
          connections,
          durationS,
          expectStatus: 200,
          method: 'POST',
          headers: { ...auth, 'content-type': 'audio/wav' },
          body: CHUNK,
          setupClient: perClientSessions(sessions),
          serverPid: pid,
        });
      setup.upload_warmup = await upload(16, WARMUP_S, slice(16), 'warm-up');
      for (const c of conns) record(await upload(c, UPLOAD_S, slice(2 * c)));
      // The floor: the same requests against bare node:http + the same FsBlobStore, same disk.
      const floor = await startFloorServer(path.join(dataDir, 'floor-blobs'));
      try {
        const floorCase = (connections: number, durationS: number, name: string) =>
          runCase({
            name,
            endpoint: 'POST (bare node:http + FsBlobStore.put, no framework, auth, database or worker)',
            url: floor.url,
            connections,
            durationS,
            expectStatus: 200,
            method: 'POST',
            headers: { 'content-type': 'audio/wav' },
            body: CHUNK,
            setupClient: perClientSessions(ids.many('fl', 2 * connections)),
            serverPid: floor.child.pid,
          });
        await floorCase(16, WARMUP_S, 'warm-up');
        record(await floorCase(16, UPLOAD_S, FLOOR_CASE));
      } finally {
        floor.child.kill();
      }
      // The disk is shared with whatever else runs on the machine: measure its limit again.
      ddAfter = measureDd(dataDir, DD_COUNT);
      log(`dd oflag=dsync after the uploads: ${ddAfter.writes_per_sec} writes/s`);
    }

    // ── 2. Get Session on an existing session ──
    if (ONLY.has('get')) {
      // The worker yields to requests in flight: the upload cases' chunk jobs are still queued. Drain
      // them first, so that this case measures Get Session rather than a backlog left behind.
      setup.get_queue_drain = await waitForQueueDrain(url, 300_000);
      const [ended, recording] = ids.many('get', 2) as [string, string];
      await createSessions(url, key, [ended, recording]);
      await uploadChunks(url, key, [ended], SMALL_CHUNK, 0);
      for (let seq = 0; seq < 20; seq++) await uploadChunks(url, key, [recording], SMALL_CHUNK, seq);
      const end = await fetch(`${url}/voice/v1/sessions/${ended}/end`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: END_BODY,
      });
      if (end.status !== 202) throw new Error(`ending the Get Session fixture answered ${end.status}`);
      // Poll like a client until processing has finished (the worker runs in the server).
      let finalStatus = 202;
      for (let i = 0; i < 100 && finalStatus === 202; i++) {
        await new Promise((r) => setTimeout(r, 100));
        finalStatus = (await fetch(`${url}/voice/v1/sessions/${ended}`, { headers: auth })).status;
      }
      setup.get_fixture = { ended_session_status: finalStatus, recording_session_chunks: 20 };
      const get = (connections: number, id: string, name: string, durationS = GET_S) =>
        runCase({
          name,
          endpoint: 'GET /voice/v1/sessions/{id}',
          url,
          connections,
          durationS,
          expectStatus: '2xx',
          method: 'GET',
          headers: auth,
          requests: [{ method: 'GET', path: `/voice/v1/sessions/${id}` }],
          serverPid: pid,
        });
      setup.get_warmup = await get(16, ended, 'warm-up', WARMUP_S);
      for (const c of [16, 64]) record(await get(c, ended, 'get (ended)'));
      for (const c of [16, 64]) record(await get(c, recording, 'get (recording, 20 chunks)'));
    }

    // ── 3. End Session: every request ends a different session (one small chunk each) ──
    if (ONLY.has('end')) {
      const prep: Record<string, unknown> = {};
      let poolSize = END_POOL_FIRST;
      for (const c of [1, 16, 64]) {
        const pool = ids.many(`e${c}`, Math.max(poolSize, c));
        const created = await createSessions(url, key, pool);
        const uploaded = await uploadChunks(url, key, pool, SMALL_CHUNK, 0);
        const drainBefore = await waitForQueueDrain(url, 15_000);
        let i = 0;
        const r = record(
          await runCase({
            name: 'end session',
            endpoint: 'POST /voice/v1/sessions/{id}/end',
            url,
            connections: c,
            durationS: END_MAX_S,
            amount: pool.length,
            expectStatus: 202,
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: END_BODY,
            requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, path: `/voice/v1/sessions/${pool[i++]}/end` }) }],
            serverPid: pid,
          }),
        );
        // Next case: more connections, so allow for up to 2.5× this rate.
        poolSize = Math.min(END_POOL_MAX, Math.max(END_POOL_MIN, Math.ceil(r.requests_per_sec * 2.5 * END_MAX_S)));
        prep[`c${c}`] = {
          sessions: pool.length,
          create_per_sec: created.per_sec,
          small_upload_per_sec: uploaded.per_sec,
          queue_drain_before: drainBefore,
          pool_exhausted: r.requests >= pool.length,
        };
      }
      setup.end = prep;
    }
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }

  // ── Targets ──
  // The limit the uploads are held to: dd right before and right after them, averaged.
  const dsyncLimit = dd ? round(ddAfter ? (dd.writes_per_sec + ddAfter.writes_per_sec) / 2 : dd.writes_per_sec, 1) : undefined;
  const find = (name: string, connections: number) => cases.find((c) => c.name === name && c.connections === connections);
  const targets: Target[] = [];
  const up16 = find('upload 256KB', 16);
  const floor16 = find(FLOOR_CASE, 16);
  if (up16 && dsyncLimit) {
    const ratio = up16.requests_per_sec / dsyncLimit;
    targets.push({
      name: 'durable uploads',
      requirement: '≥ 70% of the dd oflag=dsync limit with p99 < 25 ms at 16 connections (and no errors)',
      measured: {
        requests_per_sec: up16.requests_per_sec,
        dsync_limit_per_sec: dsyncLimit,
        ratio_pct: round(ratio * 100, 1),
        p99_ms: up16.latency_ms.p99,
        errors: up16.errors,
        ...(floor16
          ? {
              floor_requests_per_sec: floor16.requests_per_sec,
              floor_ratio_pct: round((floor16.requests_per_sec / dsyncLimit) * 100, 1),
              floor_p99_ms: floor16.latency_ms.p99,
              of_floor_pct: round((up16.requests_per_sec / floor16.requests_per_sec) * 100, 1),
            }
          : {}),
      },
      pass: ratio >= 0.7 && up16.latency_ms.p99 < 25 && up16.errors === 0,
    });
  }
  const ends = [1, 16, 64].map((c) => find('end session', c)).filter((c): c is CaseResult => !!c);
  if (ends.length) {
    const worst = Math.max(...ends.filter((e) => e.connections <= 16).map((e) => e.latency_ms.p99));
    targets.push({
      name: 'end session latency',
      requirement:
        'p99 < 15 ms at 1 and 16 connections, no non-202 (64 is reported, not gated: with 64 requests always in flight, ' +
        'p99 < 15 ms would need > 64/0.015 ≈ 4,300 req/s by Little\'s law)',
      measured: {
        ...Object.fromEntries(ends.map((e) => [`p99_ms_c${e.connections}`, e.latency_ms.p99])),
        ...Object.fromEntries(ends.map((e) => [`req_per_sec_c${e.connections}`, e.requests_per_sec])),
        errors: ends.reduce((a, e) => a + e.errors, 0),
      },
      pass: worst < 15 && ends.every((e) => e.errors === 0),
    });
  }
  const gets = [16, 64].map((c) => find('get (ended)', c)).filter((c): c is CaseResult => !!c);
  if (gets.length) {
    const worst = Math.min(...gets.map((g) => g.requests_per_sec));
    targets.push({
      name: 'get session throughput',
      requirement: '≥ 5,000 req/s at 16 and 64 connections (polling an ended session)',
      measured: {
        ...Object.fromEntries(gets.map((g) => [`req_per_sec_c${g.connections}`, g.requests_per_sec])),
        errors: gets.reduce((a, g) => a + g.errors, 0),
      },
      pass: worst >= 5000 && gets.every((g) => g.errors === 0),
    });
  }

  const report = {
    benchmark: 'api',
    machine: info,
    server: { url: '127.0.0.1 (ephemeral port)', env: serverEnv },
    options: { quick: QUICK, only: [...ONLY], data_root: DATA_ROOT ?? os.tmpdir(), api_only: API_ONLY },
    dsync_limit: dd
      ? {
          writes_per_sec: dsyncLimit,
          how: 'dd bs=256k oflag=dsync on the data dir filesystem; mean of the runs before and after the upload cases',
          dd_before: dd,
          dd_after: ddAfter ?? null,
          parallel_writers: parallel,
        }
      : null,
    cases,
    targets,
    notes: [
      'Latency percentiles are computed from every answered request (autocannon response events, sub-ms precision).',
      'server_cpu_us_per_req = server process CPU (user+system, from /proc) / answered requests: robust to a busy machine. ' +
        'For End Session it includes the in-process worker processing the queued jobs.',
      'other_cpu_pct = machine CPU used by processes other than the server and this load generator during the case (100 = one core); ' +
        'high values mean the numbers are depressed by other load on a shared machine.',
      'Each upload request stores a new chunk (per connection: its own session, seq 0, 1, 2, …); each End Session request ends a ' +
        'different pre-created session holding one 4 KB chunk; the job queue is drained before the Get Session cases and before each ' +
        'End Session case (the in-process worker claims only when no request is in flight, or 20 ms later: jobs queued by a case ' +
        'are mostly run after it).',
      `"${FLOOR_CASE}" is the upload path's floor on this machine: the same requests, client and disk against bare node:http ` +
        'storing each body with the server\'s own FsBlobStore.put (temp file, fdatasync, rename, directory fsync) and nothing else. ' +
        'The upload target is only reachable where the floor reaches it.',
    ],
    setup,
    total_seconds: round((Date.now() - started) / 1000, 1),
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);

  process.stdout.write('\n');
  if (dd) {
    process.stdout.write(`Durable-write limit (same filesystem as the data dir):\n`);
    process.stdout.write(`  dd bs=256k oflag=dsync: ${dd.writes_per_sec} writes/s before the uploads`);
    process.stdout.write(ddAfter ? `, ${ddAfter.writes_per_sec} after → limit ${dsyncLimit}/s\n` : '\n');
    for (const p of parallel) process.stdout.write(`  ${p.pattern} × ${p.writers} threads: ${p.writes_per_sec} writes/s\n`);
    process.stdout.write('\n');
  }
  process.stdout.write(`${caseTable(cases)}\n\n${targetTable(targets)}\n\n`);
  process.stdout.write(`Results written to ${path.relative(process.cwd(), RESULTS)} (${report.total_seconds} s)\n`);
}

main().then(
  () => process.exit(0),
  async (err) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await cleanup().catch(() => undefined);
    process.exit(1);
  },
);
