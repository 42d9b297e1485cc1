import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { backendEnv } from '../helpers/backend.js';
import { freePort, ROOT } from '../helpers/server.js';

/**
 * `openscribe serve` as a child process, like test/helpers/server.ts startServer, but
 * waiting up to `startMs` for /healthz: compiling the server through tsx on a machine
 * loaded by other suites can take longer than that helper's 30 s.
 */
export async function startPatientServer(dataDir: string, env: Record<string, string>, startMs = 4 * 60_000) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      OPENSCRIBE_DATA_DIR: dataDir,
      OPENSCRIBE_PUBLIC_URL: url,
      LOG_LEVEL: 'info',
      ...backendEnv(dataDir),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    if (out.length < 200_000) out += d.toString();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
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
  const deadline = Date.now() + startMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${out}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become healthy in ${startMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
