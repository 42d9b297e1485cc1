import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** Mounts a 20 MB tmpfs on `dir` (a small disk to fill); null on success, else why not. */
export function mountTmpfs(dir: string): string | null {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? null : (r.stderr || r.error?.message || 'mount failed').trim();
}

export function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir]);
}

/** Writes zeros into `file` until the disk refuses (ENOSPC) or `max` bytes. */
export function fill(file: string, max = 64 * 1024 * 1024): void {
  const fd = fs.openSync(file, 'a');
  const block = Buffer.alloc(64 * 1024);
  try {
    for (let n = 0; n < max; n += block.length) fs.writeSync(fd, block);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    fs.closeSync(fd);
  }
}
