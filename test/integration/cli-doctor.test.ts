import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDataDir } from '../helpers/server.js';

function doctor(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'doctor'], {
    cwd: ROOT,
    // Embedded storage only: the doctor is about this machine, not the test's scale-out stack.
    env: { ...process.env, NODE_ENV: 'test', OPENSCRIBE_TRANSCRIBER: 'pocketsphinx', OPENSCRIBE_DATABASE_URL: '', OPENSCRIBE_BLOB_STORE: 'fs', OPENSCRIBE_S3_BUCKET: '', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('a healthy setup: every check passes, exit 0', { timeout: 150_000 }, () => {
  const r = doctor({ OPENSCRIBE_DATA_DIR: tempDataDir('doctor-ok') });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /✓ ffmpeg/);
  assert.match(r.out, /✓ database/);
  assert.match(r.out, /✓ storage/);
  assert.doesNotMatch(r.out, /✗/);
});

test('a missing ffmpeg and a data dir that is not a directory: exit 1, each problem named with its fix', { timeout: 150_000 }, () => {
  const file = path.join(tempDataDir('doctor-bad'), 'not-a-dir');
  fs.writeFileSync(file, 'x');
  const r = doctor({ OPENSCRIBE_DATA_DIR: file, OPENSCRIBE_FFMPEG_PATH: '/nonexistent/ffmpeg' });
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /✗ ffmpeg: .*\/nonexistent\/ffmpeg/);
  assert.match(r.out, /fix: OPENSCRIBE_FFMPEG_PATH/);
  assert.match(r.out, /✗ storage: /);
  assert.match(r.out, /fix: make .*not-a-dir a writable directory/);
});
