import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { api, ROOT, startServer, tempDataDir } from '../helpers/server.js';

function cli(dataDir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, OPENSCRIBE_DATA_DIR: dataDir, NODE_ENV: 'test' },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, last: r.stdout.trim().split('\n').pop() ?? '' };
}

test('keys: created once, stored hashed, several per tenant, listed without secrets, revocable', async () => {
  const dataDir = tempDataDir('keys');
  const a = cli(dataDir, 'keys', 'create', '--tenant', 'clinic-a');
  const b = cli(dataDir, 'keys', 'create', '--tenant', 'clinic-a', '--env', 'live');
  assert.equal(a.status, 0, a.stderr);
  assert.match(a.last, /^sk_test_[A-Za-z0-9]{40}$/);
  assert.match(b.last, /^sk_live_[A-Za-z0-9]{40}$/);

  const db = fs.readFileSync(path.join(dataDir, 'openscribe.db')).toString('latin1') +
    (fs.existsSync(path.join(dataDir, 'openscribe.db-wal')) ? fs.readFileSync(path.join(dataDir, 'openscribe.db-wal')).toString('latin1') : '');
  assert.ok(!db.includes(a.last) && !db.includes(b.last), 'no key in clear at rest');

  const list = cli(dataDir, 'keys', 'list', '--tenant', 'clinic-a');
  assert.equal(list.stdout.trim().split('\n').length, 2);
  assert.ok(!list.stdout.includes(a.last.slice(16)), 'list shows prefixes only');

  const server = await startServer({ dataDir, env: { OPENSCRIBE_KEY_CACHE_TTL_MS: '0' } });
  try {
    const created = await api(server.url, 'POST', '/voice/v1/sessions', {
      key: a.last,
      json: { upload_type: 'chunked', communication_protocol: 'http' },
    });
    assert.equal(created.status, 201);
    // The tenant's other key sees the same session.
    const viaB = await api(server.url, 'GET', `/voice/v1/sessions/${created.body.session_id}`, { key: b.last });
    assert.equal(viaB.status, 202);

    const keyId = /^(key_\S+)/m.exec(list.stdout)![1]!;
    const revoked = cli(dataDir, 'keys', 'revoke', keyId);
    assert.equal(revoked.status, 0, revoked.stderr);
    const firstKey = list.stdout.split('\n')[0]!.includes('sk_test_') ? a.last : b.last;
    const other = firstKey === a.last ? b.last : a.last;
    const refused = await api(server.url, 'GET', '/voice/v1/templates', { key: firstKey });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 'authentication_failed');
    assert.equal((await api(server.url, 'GET', '/voice/v1/templates', { key: other })).status, 200);
    assert.equal(cli(dataDir, 'keys', 'revoke', keyId).status, 1, 'revoking twice is an error');

    // Keys never reach the logs.
    assert.ok(!server.output().includes(a.last) && !server.output().includes(b.last));
  } finally {
    await server.stop();
  }
});

test('first start in development creates a tenant and prints a working key', async () => {
  const dataDir = tempDataDir('bootstrap');
  const server = await startServer({ dataDir, env: { NODE_ENV: 'development', OPENSCRIBE_ENV: 'development' } });
  try {
    const key = /OPENSCRIBE_KEY=(sk_test_\S+)/.exec(server.output())?.[1];
    assert.ok(key, server.output());
    assert.equal((await api(server.url, 'GET', '/voice/v1/templates', { key })).status, 200);
  } finally {
    await server.stop();
  }
  const again = await startServer({ dataDir, env: { OPENSCRIBE_ENV: 'development' } });
  try {
    assert.ok(!/OPENSCRIBE_KEY=/.test(again.output()), 'printed only on the first start');
  } finally {
    await again.stop();
  }
});
