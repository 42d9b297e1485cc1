import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeWav } from '../../src/speech/audio/wav.js';
import { ApiKeyAuthenticator } from '../../src/core/auth.js';
import { generateApiKey, hashApiKey, hashesMatch } from '../../src/core/keys.js';
import type { SessionStore } from '../../src/core/ports/session-store.js';
import { backendEnv } from '../helpers/backend.js';
import { api, ROOT, startServer, tempDataDir, type RunningServer } from '../helpers/server.js';

/**
 * Security checks against a real `openscribe serve`: every authenticated route from the
 * server's own OpenAPI document, tenancy, hostile names, body limits, SSRF at registration.
 */
const V1 = '/voice/v1';
const WAV = writeWav(new Int16Array(1600));
const TAG = `pwned${randomBytes(4).toString('hex')}`;

function cli(dataDir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, OPENSCRIBE_DATA_DIR: dataDir, NODE_ENV: 'test', ...backendEnv(dataDir) },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function newKey(dataDir: string, tenant: string): { key: string; keyId: string } {
  const out = cli(dataDir, 'keys', 'create', '--tenant', tenant);
  return { key: out.trim().split('\n').pop()!.trim(), keyId: /Created key (key_\S+)/.exec(out)![1]! };
}

function assertProtocolError(r: { status: number; body: any; text: string }, status: number | number[], what: string) {
  const ok = Array.isArray(status) ? status : [status];
  assert.ok(ok.includes(r.status), `${what}: expected ${ok.join('/')}, got ${r.status} ${r.text.slice(0, 300)}`);
  assert.equal(typeof r.body?.error?.code, 'string', `${what}: protocol error body, got ${r.text.slice(0, 300)}`);
  assert.equal(typeof r.body.error.message, 'string', what);
}

interface Operation {
  method: string;
  /** OpenAPI path, `{param}` placeholders. */
  path: string;
}

/** A request for `op` with its parameters filled from `params`, and a plausible body. */
function requestFor(op: Operation, params: Record<string, string>): { pathname: string; json?: unknown; body?: Buffer; headers?: Record<string, string> } {
  const pathname = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    assert.ok(params[name] !== undefined, `no value for path parameter ${name} of ${op.method} ${op.path}`);
    return encodeURIComponent(params[name]!);
  });
  if (op.method !== 'POST') return { pathname };
  if (op.path.endsWith('/audio/{file_name}')) return { pathname, body: WAV, headers: { 'content-type': 'audio/wav' } };
  if (op.path.endsWith('/audio')) return { pathname, body: WAV, headers: { 'content-type': 'audio/wav', 'content-disposition': 'attachment; filename="consult_2.wav"' } };
  if (op.path.endsWith('/end')) return { pathname, json: { audio_files_sent: 1 } };
  if (op.path === `${V1}/sessions`) return { pathname, json: { upload_type: 'chunked', communication_protocol: 'http' } };
  if (op.path === `${V1}/webhooks`) return { pathname, json: { url: 'http://1.1.1.1/hook', events: ['session.expired'] } };
  return { pathname, json: {} };
}

/** Every file and folder under `dir`, relative. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(path.relative(dir, p));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

describe('security', () => {
  let server: RunningServer;
  let dataDir: string;
  let keyA: string;
  let keyB: string;
  let revokedKey: string;
  let secured: Operation[];
  let sessionA: string;
  let webhookA: string;

  before(async () => {
    dataDir = tempDataDir('security');
    keyA = newKey(dataDir, 'sec-a').key;
    keyB = newKey(dataDir, 'sec-b').key;
    const revoked = newKey(dataDir, 'sec-a');
    revokedKey = revoked.key;
    cli(dataDir, 'keys', 'revoke', revoked.keyId);
    // The SSRF guard is on: never inherit a test environment that allows private receivers.
    server = await startServer({ dataDir, env: { OPENSCRIBE_WEBHOOK_ALLOW_PRIVATE: '0' } });

    const doc = await api(server.url, 'GET', `${V1}/openapi.json`);
    assert.equal(doc.status, 200);
    secured = [];
    for (const [p, ops] of Object.entries<Record<string, { security?: unknown[] }>>(doc.body.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op.security?.length) secured.push({ method: method.toUpperCase(), path: p });
      }
    }
    // The document must list the routes this suite is about, or the checks below prove nothing.
    for (const must of ['POST /voice/v1/sessions', 'GET /voice/v1/sessions/{session_id}', 'POST /voice/v1/sessions/{session_id}/audio/{file_name}', 'DELETE /voice/v1/webhooks/{webhook_id}']) {
      assert.ok(secured.some((o) => `${o.method} ${o.path}` === must), `OpenAPI lists ${must}`);
    }

    // Only a webhook for an event that never fires here: no delivery leaves the machine.
    const wh = await api(server.url, 'POST', `${V1}/webhooks`, { key: keyA, json: { url: 'http://1.1.1.1/hook', events: ['session.expired'] } });
    assert.equal(wh.status, 201, wh.text);
    webhookA = wh.body.webhook_id;
    const s = await api(server.url, 'POST', `${V1}/sessions`, { key: keyA, json: { upload_type: 'chunked', communication_protocol: 'http' } });
    assert.equal(s.status, 201, s.text);
    sessionA = s.body.session_id;
    const up = await api(server.url, 'POST', `${V1}/sessions/${sessionA}/audio/consult_1.wav`, { key: keyA, body: WAV, headers: { 'content-type': 'audio/wav' } });
    assert.equal(up.status, 200, up.text);
  });

  after(async () => {
    await server?.stop();
  });

  const params = () => ({ session_id: sessionA, webhook_id: webhookA, delivery_id: 'dlv_doesnotexist', file_name: 'consult_2.wav' });

  test('every authenticated route answers 401 without a key, with a wrong key, with a revoked key', async () => {
    const [prefixPart] = [keyA.slice(0, 'sk_test_'.length + 8)];
    const samePrefix = prefixPart + 'Z'.repeat(keyA.length - prefixPart.length);
    const lastCharFlipped = keyA.slice(0, -1) + (keyA.endsWith('a') ? 'b' : 'a');
    const credentials: Array<[string, Record<string, string>]> = [
      ['no key', {}],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['malformed key', { authorization: 'Bearer not-a-key' }],
      ['unknown key', { authorization: `Bearer sk_test_${'A'.repeat(40)}` }],
      ['same prefix, other secret', { authorization: `Bearer ${samePrefix}` }],
      ['last character differs', { 'x-api-key': lastCharFlipped }],
      ['revoked key', { authorization: `Bearer ${revokedKey}` }],
      ['revoked key (X-API-Key)', { 'x-api-key': revokedKey }],
    ];
    for (const op of secured) {
      for (const [what, headers] of credentials) {
        const req = requestFor(op, params());
        const r = await api(server.url, op.method, req.pathname, { json: req.json, body: req.body, headers: { ...req.headers, ...headers } });
        assertProtocolError(r, 401, `${op.method} ${op.path} with ${what}`);
        assert.equal(r.body.error.code, 'authentication_failed');
      }
    }
    // HEAD, which Fastify adds for every GET, is guarded the same way.
    for (const op of secured.filter((o) => o.method === 'GET')) {
      const r = await fetch(server.url + requestFor(op, params()).pathname, { method: 'HEAD', headers: { authorization: `Bearer ${revokedKey}` } });
      assert.equal(r.status, 401, `HEAD ${op.path}`);
    }
    // Nothing the refused requests carried was kept: A's session still has its one chunk.
    const a = await api(server.url, 'GET', `${V1}/sessions/${sessionA}`, { key: keyA });
    assert.ok(a.status === 200 || a.status === 202, a.text);
    assert.ok(!server.output().includes(revokedKey) && !server.output().includes(samePrefix), 'keys never logged');
  });

  test("tenant B gets 404 on every route scoped to tenant A's session or webhook, learning nothing", async () => {
    const scoped = secured.filter((o) => o.path.includes('{session_id}') || o.path.includes('{webhook_id}'));
    assert.ok(scoped.length >= 6, `scoped routes: ${scoped.map((o) => o.path).join(', ')}`);
    // The same request for ids that exist nowhere: B's answer for A's ids must look exactly like it.
    const nowhere = { session_id: 'ses_' + 'Q'.repeat(20), webhook_id: 'wh_' + 'Q'.repeat(20), delivery_id: 'dlv_doesnotexist', file_name: 'consult_2.wav' };
    const blank = (text: string, ids: Record<string, string>) => text.replaceAll(ids.session_id!, '<id>').replaceAll(ids.webhook_id!, '<id>');
    for (const op of scoped) {
      const req = requestFor(op, params());
      const r = await api(server.url, op.method, req.pathname, { key: keyB, json: req.json, body: req.body, headers: req.headers });
      assertProtocolError(r, 404, `B on ${op.method} ${op.path}`);
      const unknown = requestFor(op, nowhere);
      const u = await api(server.url, op.method, unknown.pathname, { key: keyB, json: unknown.json, body: unknown.body, headers: unknown.headers });
      assert.equal(u.status, 404, `${op.method} ${op.path} unknown id: ${u.text}`);
      assert.equal(blank(r.text, params()), blank(u.text, nowhere), `${op.method} ${op.path}: a foreign id answers like an unknown one`);
    }
    // B's own listing shows nothing of A's.
    const list = await api(server.url, 'GET', `${V1}/webhooks`, { key: keyB });
    assert.equal(list.status, 200);
    assert.ok(!list.text.includes(webhookA));
    // And A's resources are untouched.
    const a = await api(server.url, 'GET', `${V1}/sessions/${sessionA}`, { key: keyA });
    assert.ok(a.status === 200 || a.status === 202, a.text);
    assert.notEqual(a.body.status, 'processing');
    const wa = await api(server.url, 'GET', `${V1}/webhooks`, { key: keyA });
    assert.ok(wa.text.includes(webhookA), 'A still has its webhook');
  });

  test('hostile chunk file names and session ids → 400/404, nothing written outside the data dir', async () => {
    const parentBefore = fs.readdirSync(path.dirname(dataDir));
    const names = [
      `..%2f..%2f${TAG}_3.wav`,
      `..%2F..%2F..%2F${TAG}_3.wav`,
      `%2e%2e%2f${TAG}_3.wav`,
      `..%5c..%5c${TAG}_3.wav`,
      `sub%2f${TAG}_3.wav`,
      `${TAG}%00_3.wav`,
      `${TAG}_3.wav%00.txt`,
      `${TAG}_3%00.wav`,
      `..`,
      `.._3.wav`,
      `${'a'.repeat(300)}_3.wav`,
      `${'a'.repeat(5000)}_3.wav`,
      `%0a${TAG}_3.wav`,
    ];
    for (const name of names) {
      const r = await api(server.url, 'POST', `${V1}/sessions/${sessionA}/audio/${name}`, { key: keyA, body: WAV, headers: { 'content-type': 'audio/wav' } });
      assertProtocolError(r, [400, 404], `file name ${name.slice(0, 40)}`);
    }
    // Names in Content-Disposition and multipart parts: refused, or reduced to a plain stored name.
    const dispositions = [
      `attachment; filename="../../${TAG}_4.wav"`,
      `attachment; filename="..\\..\\${TAG}_4.wav"`,
      `attachment; filename*=UTF-8''..%2F..%2F${TAG}_4.wav`,
      `attachment; filename="/tmp/${TAG}_4.wav"`,
      `attachment; filename="${TAG}%00_4.wav"`,
    ];
    const partNames = [`../../${TAG}_5.wav`, `..\\..\\${TAG}_5.wav`, `/etc/${TAG}_5.wav`];
    const uploads: Array<[string, () => Promise<Awaited<ReturnType<typeof api>>>]> = [
      ...dispositions.map((d): [string, () => Promise<Awaited<ReturnType<typeof api>>>] => [
        d,
        () => api(server.url, 'POST', `${V1}/sessions/${sessionA}/audio`, { key: keyA, body: WAV, headers: { 'content-type': 'audio/wav', 'content-disposition': d } }),
      ]),
      ...partNames.map((n): [string, () => Promise<Awaited<ReturnType<typeof api>>>] => [
        n,
        () => {
          const form = new FormData();
          form.append('file', new Blob([WAV], { type: 'audio/wav' }), n);
          return api(server.url, 'POST', `${V1}/sessions/${sessionA}/audio`, { key: keyA, body: form });
        },
      ]),
    ];
    for (const [what, send] of uploads) {
      const r = await send();
      if (r.status === 200) {
        assert.match(r.body.stored_filename, /^\d+\.[a-z0-9]+$/, `${what}: stored under a plain name`);
        assert.ok(!String(r.body.original_filename).includes('/') && !String(r.body.original_filename).includes('\\'), `${what}: ${r.text}`);
      } else {
        assertProtocolError(r, [400, 404], `upload named ${what}`);
      }
    }
    const ids = [`..%2f..%2f${TAG}`, `..%5c..%5c${TAG}`, `${TAG}%00`, `%2e%2e`, 'x'.repeat(300), 'x'.repeat(5000), `${TAG}%0a`];
    for (const id of ids) {
      const g = await api(server.url, 'GET', `${V1}/sessions/${id}`, { key: keyA });
      assertProtocolError(g, [400, 404], `GET session ${id.slice(0, 40)}`);
      const u = await api(server.url, 'POST', `${V1}/sessions/${id}/audio/consult_1.wav`, { key: keyA, body: WAV, headers: { 'content-type': 'audio/wav' } });
      assertProtocolError(u, [400, 404], `upload to session ${id.slice(0, 40)}`);
      const e = await api(server.url, 'POST', `${V1}/sessions/${id}/end`, { key: keyA, json: { audio_files_sent: 0 } });
      assertProtocolError(e, [400, 404], `end session ${id.slice(0, 40)}`);
    }
    // No file named after the tag anywhere in the data dir or next to it, and only the one accepted chunk.
    const inside = tree(dataDir);
    assert.deepEqual(inside.filter((p) => p.includes(TAG)), []);
    assert.deepEqual(fs.readdirSync(path.dirname(dataDir)).filter((n) => n.includes(TAG) && !parentBefore.includes(n)), []);
    const blobs = inside.filter((p) => p.startsWith(`blobs${path.sep}`) && fs.statSync(path.join(dataDir, p)).isFile());
    for (const b of blobs) assert.match(b, /^blobs\/[^/]+\/ses_[A-Za-z0-9_-]+\/\d+\.[^/]+$/, `unexpected blob path ${b}`);
    const a = await api(server.url, 'GET', `${V1}/sessions/${sessionA}`, { key: keyA });
    assert.ok(a.status === 200 || a.status === 202, a.text);
  });

  test('JSON bodies over the limit → 413 in the protocol shape (declared length or streamed)', async () => {
    const big = JSON.stringify({ upload_type: 'chunked', communication_protocol: 'http', additional_data: { note: 'y'.repeat(1_100_000) } });
    for (const pathname of [`${V1}/sessions`, `${V1}/webhooks`, `${V1}/sessions/${sessionA}/end`]) {
      const r = await api(server.url, 'POST', pathname, { key: keyA, body: big, headers: { 'content-type': 'application/json' } });
      assertProtocolError(r, 413, `oversized JSON to ${pathname}`);
      assert.match(r.body.error.code, /too_large/);
    }
    // Without a Content-Length (chunked transfer encoding) the limit holds as the bytes arrive.
    const streamed = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const r = await api(server.url, 'POST', `${V1}/sessions`, { key: keyA, body: streamed as any, headers: { 'content-type': 'application/json' } });
    assertProtocolError(r, 413, 'streamed oversized JSON');
    // Unauthenticated, a large body is refused before it is read.
    const anon = await api(server.url, 'POST', `${V1}/sessions`, { body: big, headers: { 'content-type': 'application/json' } });
    assertProtocolError(anon, 401, 'oversized anonymous JSON');
    // The session A was not ended by the oversized End Session.
    const a = await api(server.url, 'GET', `${V1}/sessions/${sessionA}`, { key: keyA });
    assert.notEqual(a.body.status, 'processing');
  });

  test('webhook URLs to private, loopback, link-local and metadata addresses are refused at registration', async () => {
    const hostsNames = fs.existsSync('/etc/hosts')
      ? fs
          .readFileSync('/etc/hosts', 'utf8')
          .split('\n')
          .map((l) => l.replace(/#.*/, '').trim().split(/\s+/))
          .filter((f) => f.length > 1 && /^(127\.|10\.|192\.168\.|::1$)/.test(f[0]!))
          .flatMap((f) => f.slice(1))
          .filter((n) => /^[A-Za-z0-9.-]+$/.test(n))
      : [];
    const urls = [
      'http://169.254.169.254/latest/meta-data/',
      'http://localhost/',
      'http://localhost./',
      'http://[::1]/',
      `http://127.0.0.1:${server.port}/voice/v1/templates`,
      'http://127.1/',
      'http://0.0.0.0/',
      'http://10.0.0.1/',
      'http://192.168.1.1/',
      'http://172.16.0.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:169.254.169.254]/',
      'http://[fd00::1]/',
      'http://2130706433/',
      'http://0x7f000001/',
      'file:///etc/passwd',
      'ftp://1.1.1.1/',
      'http://user:pass@127.0.0.1/',
      ...hostsNames.slice(0, 3).map((n) => `http://${n}/`),
    ];
    for (const url of urls) {
      const r = await api(server.url, 'POST', `${V1}/webhooks`, { key: keyB, json: { url } });
      assertProtocolError(r, 400, `webhook ${url}`);
      assert.ok(r.body.error.message.length > 10, `a clear reason for ${url}: ${r.text}`);
    }
    const list = await api(server.url, 'GET', `${V1}/webhooks`, { key: keyB });
    assert.deepEqual(list.body.webhooks, [], 'no refused URL was stored');
  });
});

test('keys are compared as SHA-256 hashes in constant time: same prefix, other secret → refused', async () => {
  const { key, prefix, hash } = generateApiKey('test');
  const h = hashApiKey(key);
  assert.equal(hashesMatch(h, hash), true);
  assert.equal(hashesMatch(h, hashApiKey(key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a'))), false);
  // Unequal lengths and garbage are a plain no, never an exception (timingSafeEqual throws on unequal lengths).
  assert.equal(hashesMatch(h, h.slice(0, 10)), false);
  assert.equal(hashesMatch(h, 'zz'), false);
  assert.equal(hashesMatch('', h), false);
  assert.match(fs.readFileSync(path.join(ROOT, 'src/core/keys.ts'), 'utf8'), /timingSafeEqual/);

  // The store holds only the hash: the authenticator can only ever compare hashes.
  const record = { id: 'key_1', tenantId: 'ten_1', prefix, hash, environment: 'test' as const, createdAt: new Date(), revokedAt: null, lastUsedAt: null };
  const store = { findApiKeysByPrefix: async (p: string) => (p === prefix ? [record] : []), touchApiKey: async () => undefined } as unknown as SessionStore;
  const auth = new ApiKeyAuthenticator(store, { now: () => new Date() }, 0);
  assert.deepEqual(await auth.authenticate(key), { tenantId: 'ten_1', keyId: 'key_1' });
  const samePrefix = key.slice(0, 'sk_test_'.length + 8) + 'x'.repeat(32);
  for (const wrong of [samePrefix, key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a'), key + 'a', key.replace('sk_test_', 'sk_live_')]) {
    await assert.rejects(auth.authenticate(wrong), (err: any) => err.code === 'authentication_failed', wrong.slice(0, 16));
  }
});
