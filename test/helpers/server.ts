import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendEnv } from './backend.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(ROOT, '../shared');
const CLI = path.join(ROOT, 'src/cli/main.ts');
/** Node flags that run the TypeScript sources directly. */
export const TSX = ['--import', 'tsx'];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function tempDataDir(label = 'openscribe'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
}

/** Runs `openscribe keys create --tenant NAME` against a data dir; returns the key (last stdout line). */
export function createKey(dataDir: string, tenant: string, extraEnv: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [...TSX, CLI, 'keys', 'create', '--tenant', tenant], {
    cwd: ROOT,
    env: { ...process.env, OPENSCRIBE_DATA_DIR: dataDir, NODE_ENV: 'test', ...backendEnv(dataDir), ...extraEnv },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`keys create failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return lines[lines.length - 1]!.trim();
}

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  /** Output the process wrote so far (stdout + stderr), for log assertions. */
  output(): string;
  stop(): Promise<void>;
  /** SIGKILL: a crash, no graceful shutdown. */
  kill(): Promise<void>;
}

export interface ServerOptions {
  dataDir?: string;
  port?: number;
  env?: Record<string, string>;
  args?: string[];
  /** How long start-up may take (default 30 s). */
  startTimeoutMs?: number;
}

/** Starts `openscribe serve` as a real child process and waits for /healthz. */
export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  // OPENSCRIBE_SERVER_NODE_ARGS: node flags for the server (e.g. --cpu-prof, which NODE_OPTIONS refuses).
  const nodeArgs = process.env.OPENSCRIBE_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, ...TSX, CLI, 'serve', ...(opts.args ?? [])], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      OPENSCRIBE_DATA_DIR: dataDir,
      OPENSCRIBE_PUBLIC_URL: url,
      LOG_LEVEL: 'info',
      // Protocol tests run without a recogniser; the pipeline tests turn it on.
      OPENSCRIBE_TRANSCRIBER: 'none',
      ...backendEnv(dataDir),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // The runner scans these for secrets after the suite (scripts/scan-logs.mjs).
  const logDir = process.env.OPENSCRIBE_TEST_LOG_DIR;
  if (logDir && child.pid) {
    const log = fs.createWriteStream(path.join(logDir, `${path.basename(dataDir)}-${child.pid}.log`));
    log.on('error', () => undefined);
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.once('close', () => log.end());
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${out}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become healthy:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    dataDir,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      // A shutdown that hangs must fail loudly in the test that caused it, not wedge the run.
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A fresh data dir with a tenant named `label`, its key, and the server running on it. */
export async function serverWithKey(label: string, env: Record<string, string> = {}): Promise<{ server: RunningServer; key: string }> {
  const dataDir = tempDataDir(label);
  const key = createKey(dataDir, label);
  return { server: await startServer({ dataDir, env }), key };
}

/** A small fetch wrapper for tests: JSON in, status + parsed body + headers out. */
export async function api(
  base: string,
  method: string,
  pathname: string,
  opts: { key?: string; json?: unknown; body?: RequestInit["body"]; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers; text: string }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(`${base}${pathname}`, { method, headers, body, duplex: 'half' } as RequestInit);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, headers: res.headers, text };
}

/** Polls Get Session (every 100 ms) until it stops answering 202; fails after `ms`. */
export async function waitForFinished(base: string, key: string, id: string, opts: { query?: string; ms?: number } = {}) {
  const deadline = Date.now() + (opts.ms ?? 15_000);
  for (;;) {
    const r = await api(base, 'GET', `/voice/v1/sessions/${id}${opts.query ?? ''}`, { key });
    if (r.status !== 202) return r;
    if (Date.now() > deadline) throw new Error(`session ${id} still ${r.body?.status} after ${opts.ms ?? 15_000} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

export type Upload = [name: string, bytes: Buffer, type: string];

/** Create a session (`body` over `communication_protocol: http`), upload `uploads` in the order given, end it, wait for its result. */
export async function runSession(base: string, key: string, body: Record<string, unknown>, uploads: Upload[], opts: { ms?: number } = {}) {
  const created = await api(base, 'POST', '/voice/v1/sessions', { key, json: { communication_protocol: 'http', ...body } });
  if (created.status !== 201) throw new Error(`create session: ${created.status} ${created.text}`);
  const id = created.body.session_id as string;
  for (const [name, bytes, type] of uploads) {
    const up = await api(base, 'POST', `/voice/v1/sessions/${id}/audio/${name}`, { key, body: bytes, headers: { 'content-type': type } });
    if (up.status !== 200) throw new Error(`upload ${name}: ${up.status} ${up.text}`);
  }
  const end = await api(base, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: uploads.length } });
  if (end.status !== 202) throw new Error(`end: ${end.status} ${end.text}`);
  return waitForFinished(base, key, id, { ms: opts.ms ?? 180_000 });
}
