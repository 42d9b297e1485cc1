import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './server.js';

export interface RunningS3 {
  /** `http://127.0.0.1:<port>`: use with forcePathStyle. */
  endpoint: string;
  bucket: string;
  /** s3rver's fixed credentials. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

/**
 * Starts s3rver in a child process (test/helpers/s3-server-process.ts) on a free loopback
 * port with a temp directory and one bucket. A child process so that the API servers a test
 * spawns can reach it too; it exits when its stdin pipe closes, so a crashed test leaves nothing.
 */
export async function startS3Server(bucket = 'openscribe-test'): Promise<RunningS3> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/helpers/s3-server-process.ts'), bucket], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`S3 server did not start within 60 s:\n${err}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^READY (\S+) \S+$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`S3 server exited (${code}) before it was ready:\n${err}`));
    });
  });
  return {
    endpoint,
    bucket,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
