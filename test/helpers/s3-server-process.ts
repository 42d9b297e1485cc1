// An S3-protocol server (s3rver) in a process of its own, so the test runner, test files and
// the API servers they spawn can all reach it. Prints `READY <endpoint> <bucket>` once the
// bucket exists; SIGTERM stops it and removes its directory.
//   node --import tsx test/helpers/s3-server-process.ts [bucket]
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

// s3rver is CommonJS without types.
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
};

const bucket = process.argv[2] || 'openscribe-test';
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'openscribe-s3-'));
const server = new S3rver({
  address: '127.0.0.1',
  port: 0, // a free loopback port, chosen by the kernel: no race with other test files
  directory,
  silent: true,
  configureBuckets: [{ name: bucket, configs: [] }],
});

// s3rver is a test double: an error inside one of its request handlers must not take the
// whole scale-out pass down with it (every later upload would be a 503). Say what it was,
// loudly, and keep serving.
const report = (what: string) => (err: unknown) => {
  process.stderr.write(`s3 test server: ${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
};
process.on('uncaughtException', report('uncaught exception'));
process.on('unhandledRejection', report('unhandled rejection'));

const { port } = await server.run();
process.stdout.write(`READY http://127.0.0.1:${port} ${bucket}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close().catch(() => undefined);
  fs.rmSync(directory, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// Started with a pipe on stdin (test/helpers/s3-server.ts): when the parent dies, the pipe
// closes and we do not linger. (The test runner gives /dev/null and stops us with SIGTERM.)
if (fs.fstatSync(0).isFIFO()) {
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
}
