import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './server.js';

export interface RunningWorker {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
  /** SIGKILL: a crash mid-job. */
  kill(): Promise<void>;
}

/** Starts `openscribe worker` (no HTTP) as a child process and waits until it says it runs. */
export async function startWorker(dataDir: string, env: Record<string, string>): Promise<RunningWorker> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'worker'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', OPENSCRIBE_DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('worker running')) {
    if (child.exitCode !== null) throw new Error(`worker exited early (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Job ids of completed jobs of `kind`, one entry per completion, from workers' JSON log lines. */
export function completedJobs(output: string, kind: string): string[] {
  const ids: string[] = [];
  for (const line of output.split('\n')) {
    if (!line.includes('"job completed"')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; kind?: string; jobId?: string };
      if (entry.msg === 'job completed' && entry.kind === kind && entry.jobId) ids.push(entry.jobId);
    } catch {
      // not a log line
    }
  }
  return ids;
}
