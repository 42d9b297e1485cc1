import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/** The machine's synced-write limit, measured with dd exactly as the issue describes. */
export interface DdResult {
  command: string;
  block_bytes: number;
  count: number;
  seconds: number;
  writes_per_sec: number;
  mb_per_sec: number;
  raw: string;
}

/**
 * `dd if=/dev/zero of=<dir>/file bs=256k count=N oflag=dsync`: every 256 KB write is
 * synced before the next one starts, i.e. one durable write at a time.
 */
export function measureDd(dir: string, count: number, timeoutMs = 60_000): DdResult {
  const file = path.join(dir, `dsync-probe-${process.pid}.bin`);
  const args = ['if=/dev/zero', `of=${file}`, 'bs=256k', `count=${count}`, 'oflag=dsync'];
  try {
    const r = spawnSync('dd', args, { encoding: 'utf8', timeout: timeoutMs });
    if (r.error) throw r.error;
    const raw = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim();
    if (r.status !== 0) throw new Error(`dd exited with ${r.status}: ${raw}`);
    // GNU coreutils: "524288000 bytes (524 MB, 500 MiB) copied, 1.56648 s, 335 MB/s"
    const m = /(\d+) bytes[^\n]*? copied, ([\d.,]+) s/.exec(raw);
    if (!m) throw new Error(`could not parse dd output: ${raw}`);
    const bytes = Number(m[1]);
    const seconds = Number(m[2]!.replace(',', '.'));
    const writes = bytes / (256 * 1024);
    return {
      command: `dd ${args.join(' ')}`,
      block_bytes: 256 * 1024,
      count: writes,
      seconds,
      writes_per_sec: round(writes / seconds, 1),
      mb_per_sec: round(bytes / seconds / 1e6, 1),
      raw: raw.split('\n').pop() ?? raw,
    };
  } finally {
    fs.rmSync(file, { force: true });
  }
}

export type WriterPattern =
  /** write 256 KB at the end of the writer's own file + fdatasync (dd oflag=dsync, per writer). */
  | 'append-dsync'
  /**
   * What the server's FsBlobStore.put does per chunk: create a temp file, write 256 KB,
   * fdatasync, close, rename into place, fsync the directory.
   */
  | 'blob-put';

export interface ParallelResult {
  pattern: WriterPattern;
  writers: number;
  seconds: number;
  writes: number;
  writes_per_sec: number;
}

// Plain JS run in worker threads: synchronous fs calls block only their own thread,
// so N threads give N writes in flight, like N concurrent requests would.
const WRITER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { dir, id, pattern, startAt, endAt } = workerData;
const buf = Buffer.alloc(256 * 1024, id & 0xff);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
while (Date.now() < startAt) Atomics.wait(sleeper, 0, 0, Math.max(1, startAt - Date.now()));
let n = 0;
if (pattern === 'append-dsync') {
  const file = path.join(dir, 'w' + id + '.bin');
  const fd = fs.openSync(file, 'w');
  while (Date.now() < endAt) { fs.writeSync(fd, buf); fs.fdatasyncSync(fd); n++; }
  fs.closeSync(fd);
  fs.rmSync(file, { force: true });
} else {
  const sub = path.join(dir, 'w' + id);
  fs.mkdirSync(sub, { recursive: true });
  while (Date.now() < endAt) {
    const final = path.join(sub, n + '.wav');
    const temp = final + '.tmp';
    const fd = fs.openSync(temp, 'wx');
    fs.writeSync(fd, buf);
    fs.fdatasyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(temp, final);
    const dfd = fs.openSync(sub, 'r');
    fs.fsyncSync(dfd);
    fs.closeSync(dfd);
    n++;
  }
  fs.rmSync(sub, { recursive: true, force: true });
}
parentPort.postMessage(n);
`;

/** N threads doing synced 256 KB writes at once for `seconds`: the concurrent durable-write limit. */
export async function measureParallelWrites(dir: string, writers: number, seconds: number, pattern: WriterPattern): Promise<ParallelResult> {
  const work = fs.mkdtempSync(path.join(dir, `dsync-par-`));
  const startAt = Date.now() + 300;
  const endAt = startAt + seconds * 1000;
  try {
    const counts = await Promise.all(
      Array.from({ length: writers }, (_, id) =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(WRITER, { eval: true, workerData: { dir: work, id, pattern, startAt, endAt } });
          const kill = setTimeout(() => void w.terminate(), seconds * 1000 + 30_000);
          w.once('message', (n: number) => resolve(n));
          w.once('error', reject);
          w.once('exit', (code) => {
            clearTimeout(kill);
            if (code !== 0) reject(new Error(`writer ${id} exited with ${code}`));
          });
        }),
      ),
    );
    const writes = counts.reduce((a, b) => a + b, 0);
    return { pattern, writers, seconds, writes, writes_per_sec: round(writes / seconds, 1) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
