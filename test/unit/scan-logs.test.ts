import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/server.js';

const SCANNER = path.join(ROOT, 'scripts/scan-logs.mjs');
const scan = (dir: string) => spawnSync(process.execPath, [SCANNER, dir], { encoding: 'utf8' });

function dirWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-logs-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const KEY = 'sk_test_AbCdEfGh0123456789abcdefghijklmnopqrstuv';
const SECRET = 'whsec_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp';

test('a clean log passes', () => {
  const dir = dirWith({
    'a-1.log': '{"level":30,"msg":"request completed","req":{"method":"POST","url":"/voice/v1/sessions"}}\n',
    // A key id and a masked prefix are not secrets.
    'b-2.log': 'Created key key_abcdefgh12345678 for tenant\nsk_test_AbCd…\n',
  });
  const r = scan(dir);
  assert.equal(r.status, 0, r.stderr);
});

test('a planted API key is found with file:line, and masked', () => {
  const dir = dirWith({ 'clean.log': 'nothing here\n', 'sub/srv-42.log': `line one\n{"msg":"oops","key":"${KEY}"}\n` });
  const r = scan(dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /sub\/srv-42\.log:2: api key: sk_test_/);
  assert.ok(!r.stderr.includes(KEY), 'the key itself is never printed');
  assert.ok(!r.stderr.includes(KEY.slice(0, 20)), 'at most a short prefix is printed');
  assert.ok(!r.stderr.includes('clean.log'));
});

test('webhook secrets and Authorization header values are found', () => {
  const dir = dirWith({
    'w.log': `{"secret":"${SECRET}"}\n`,
    'h.log': 'x\ny\n{"headers":{"authorization":"Bearer abcdef0123456789"}}\n',
    'h2.log': 'Authorization: Basic dXNlcjpwYXNzd29yZA==\n',
  });
  const r = scan(dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /w\.log:1: webhook secret/);
  assert.match(r.stderr, /h\.log:3: authorization header/);
  assert.match(r.stderr, /h2\.log:1: authorization header/);
  assert.ok(!r.stderr.includes(SECRET));
  assert.ok(!r.stderr.includes('abcdef0123456789'));
  assert.ok(!r.stderr.includes('dXNlcjpwYXNzd29yZA=='));
});

test('only the development bootstrap banner may show a test key, and only in that exact form', () => {
  const banner = 'First start: created tenant "default" with this API key (shown once):\n';
  assert.equal(scan(dirWith({ 'dev.log': `openscribe listening\n${banner}  export OPENSCRIBE_KEY=${KEY}\n` })).status, 0);
  const live = KEY.replace('sk_test_', 'sk_live_');
  assert.equal(scan(dirWith({ 'live.log': `${banner}  export OPENSCRIBE_KEY=${live}\n` })).status, 1, 'a live key is never excused');
  assert.equal(scan(dirWith({ 'loose.log': `  export OPENSCRIBE_KEY=${KEY}\n` })).status, 1, 'not without the banner');
  assert.equal(scan(dirWith({ 'more.log': `${banner}  export OPENSCRIBE_KEY=${KEY} ${KEY}\n` })).status, 1);
});

test('a missing directory is a usage error, not a pass', () => {
  const r = scan(path.join(os.tmpdir(), 'no-such-dir-for-scan-logs'));
  assert.equal(r.status, 2);
});
