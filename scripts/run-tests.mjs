#!/usr/bin/env node
// Runs the tests with node's test runner (TypeScript through tsx) in two passes:
// every file on the embedded default (SQLite, files on disk), then the HTTP suites
// again on the scale-out stack (PostgreSQL, S3, pg-boss). Then it scans every test
// server's log for secrets, runs the linter (`npm run lint`, one test: its errors fail
// the run), and ends with the summary line CI reads: "N passed, M failed".
//
//   node scripts/run-tests.mjs                 both passes, log scan, lint
//   node scripts/run-tests.mjs sessions        embedded pass, files whose path contains "sessions"
//   node scripts/run-tests.mjs lint            the lint, and the test files whose path contains "lint"
//   node scripts/run-tests.mjs --scale-out sessions   scale-out pass only, same filter
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const scaleOutOnly = args.includes('--scale-out');
const only = args.filter((a) => !a.startsWith('--'));

// The suites that speak to the service only over HTTP and the CLI, so they must pass
// unchanged on either stack (the others open the SQLite file or the blob folder).
const SCALE_OUT_SUITES = [
  'test/integration/sessions.test.ts',
  'test/integration/smoke.test.ts',
  'test/integration/msa-schemas.test.ts',
  'test/integration/fuzz.test.ts',
  'test/integration/incremental.test.ts',
  'test/integration/pipeline.test.ts',
  'test/integration/webhooks.test.ts',
  'test/integration/security.test.ts',
  'test/integration/client.test.ts',
  'test/integration/stream.test.ts',
  'test/integration/stream-fuzz.test.ts',
];

const files = [];
const walk = (dir) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.test.ts')) files.push(path.relative(root, p));
  }
};
walk(path.join(root, 'test'));
files.sort();
const match = (f) => !only.length || only.some((o) => f.includes(o));

const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'openscribe-test-logs-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
let ok = true;

function runPass(label, selected, env) {
  if (!selected.length) return Promise.resolve();
  console.log(`\n== ${label}: ${selected.length} test files ==\n`);
  const tap = path.join(os.tmpdir(), `openscribe-tests-${process.pid}-${label}.tap`);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...selected],
    { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test', OPENSCRIBE_TEST_LOG_DIR: logDir, ...env } },
  );
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      const text = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
      const count = (k) => Number((text.match(new RegExp(`^# ${k} (\\d+)$`, 'm')) ?? [])[1] ?? 0);
      const passed = count('pass');
      const failed = count('fail') + count('cancelled');
      totals.passed += passed;
      totals.failed += failed;
      totals.skipped += count('skipped') + count('todo');
      if (code !== 0 || failed > 0 || passed === 0) ok = false;
      fs.rmSync(tap, { force: true });
      resolve();
    });
  });
}

/** An S3-protocol server (s3rver) for the scale-out pass, in a child process of its own. */
async function startS3() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/s3-server-process.ts'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const endpoint = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^READY (\S+) (\S+)$/m);
      if (m) resolve({ url: m[1], bucket: m[2] });
    });
    child.once('exit', (c) => reject(new Error(`S3 server exited (${c}) before it was ready`)));
  });
  let stopping = false;
  // Every upload of the pass goes through it: if it dies, say so, or the pass reads as a wall of 503s.
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`\nS3 test server exited mid-pass (code ${code}, signal ${signal}): later uploads will fail with 503\n`);
  });
  return {
    ...endpoint,
    stop: () => {
      stopping = true;
      child.kill('SIGTERM');
    },
  };
}

/** Drops the databases the scale-out test servers created. */
function dropScaleOutDatabases() {
  const admin = process.env.OPENSCRIBE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const list = spawnSync('psql', [admin, '-tAc', "SELECT datname FROM pg_database WHERE datname LIKE 'openscribe\\_so\\_%'"], { encoding: 'utf8' });
  for (const name of (list.stdout ?? '').split('\n').filter(Boolean)) {
    spawnSync('psql', [admin, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { stdio: 'ignore' });
  }
}

if (!scaleOutOnly) await runPass('embedded', files.filter(match), {});
const scaleOut = SCALE_OUT_SUITES.filter((f) => files.includes(f) && match(f));
if (scaleOutOnly || !only.length) {
  let s3;
  try {
    s3 = await startS3();
    await runPass('scale-out', scaleOut, {
      OPENSCRIBE_TEST_BACKEND: 'scale-out',
      OPENSCRIBE_TEST_S3_ENDPOINT: s3.url,
      OPENSCRIBE_TEST_S3_BUCKET: s3.bucket,
    });
  } catch (err) {
    console.error(`scale-out pass could not run: ${err.message}`);
    totals.failed += 1;
    ok = false;
  } finally {
    s3?.stop();
    dropScaleOutDatabases();
  }
}

// No API key, webhook secret or Authorization header may reach a log.
const scanner = path.join(root, 'scripts/scan-logs.mjs');
const scan = fs.existsSync(scanner) ? spawnSync(process.execPath, [scanner, logDir], { stdio: 'inherit' }) : { status: 0, skipped: true };
if (scan.skipped) {
  // not written yet
} else if (scan.error || scan.status !== 0) {
  totals.failed += 1;
  ok = false;
  console.error('log scan: secrets found in test server logs (see above)');
} else {
  totals.passed += 1;
}
fs.rmSync(logDir, { recursive: true, force: true });

/** One npm script as one test: it passes when it exits 0; what it printed is the report. */
function step(label, script) {
  console.log(`\n== ${label} ==\n`);
  const started = performance.now();
  const r = spawnSync('npm', ['run', '--silent', script], { cwd: root, stdio: 'inherit' });
  const took = `${((performance.now() - started) / 1000).toFixed(1)} s`;
  if (r.error || r.status !== 0) {
    totals.failed += 1;
    ok = false;
    console.error(`${label}: failed after ${took} (${r.error ? r.error.message : `exit ${r.status}`}, see above)`);
  } else {
    totals.passed += 1;
    console.log(`${label}: clean (${took})`);
  }
}

// Whole-tree checks: on a full run, or when asked for by name.
const wanted = (name) => (!only.length && !scaleOutOnly) || only.includes(name);
if (wanted('lint')) step('lint', 'lint');

const { passed, failed, skipped } = totals;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(ok && failed === 0 && passed > 0 ? 0 : 1);
