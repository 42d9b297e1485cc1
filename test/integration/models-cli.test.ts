/**
 * `openscribe models pull | list` as a real child process, downloading from a
 * loopback HTTP server (OPENSCRIBE_MODELS_BASE_URL): a verified pull lands
 * whole under its name, a checksum mismatch or a broken transfer leaves nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, tempDataDir } from '../helpers/server.js';

const CLI = path.join(ROOT, 'src/cli/main.ts');
/** 3 MiB that are not a model: enough for several progress lines. */
const PAYLOAD = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 31 + (i >> 11)) & 0xff));
const SHA256 = createHash('sha256').update(PAYLOAD).digest('hex');
const SHA1 = createHash('sha1').update(PAYLOAD).digest('hex');

let server: http.Server;
let base: string;
const requests: string[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.url!);
    if (req.url === '/cut/ggml-tiny.bin') {
      // promises the whole file, sends half, hangs up
      res.writeHead(200, { 'content-length': String(PAYLOAD.length) });
      res.write(PAYLOAD.subarray(0, PAYLOAD.length / 2), () => res.destroy());
      return;
    }
    if (!/^\/(models\/)?ggml-[a-z.0-9-]+\.bin$/.test(req.url!)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(PAYLOAD.length) });
    res.end(PAYLOAD);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** Runs the CLI without blocking this process (the server above answers it). */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'test', OPENSCRIBE_MODELS_BASE_URL: `${base}/models`, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const setup = () => {
  const dataDir = tempDataDir('models-cli');
  const modelsDir = path.join(dataDir, 'models');
  return { modelsDir, env: { OPENSCRIBE_DATA_DIR: dataDir } };
};
const listDir = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

test('pull a known name: the published SHA-1 is enforced — a file that does not match is discarded', async () => {
  const { modelsDir, env } = setup();
  const r = await cli(['models', 'pull', 'tiny.en'], env);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /checksum mismatch for tiny\.en: expected sha1 c78c86eb1a8faa21b369bcd33207cc90d64ae9df, got [0-9a-f]{40}; the download was discarded/);
  assert.ok(requests.includes('/models/ggml-tiny.en.bin'), 'downloaded from OPENSCRIBE_MODELS_BASE_URL');
  assert.deepEqual(listDir(modelsDir), [], 'no model and no temp file left');
});

test('pull with a matching --sha256: the file lands whole under ggml-<name>.bin; plain progress lines off a terminal; list shows it', async () => {
  const { modelsDir, env } = setup();
  const r = await cli(['models', 'pull', 'tiny.en', '--sha256', SHA256], { ...env, OPENSCRIBE_WHISPER_MODEL: 'tiny.en' });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(listDir(modelsDir), ['ggml-tiny.en.bin']);
  assert.ok(fs.readFileSync(path.join(modelsDir, 'ggml-tiny.en.bin')).equals(PAYLOAD));
  assert.match(r.stdout, new RegExp(`tiny\\.en: 3\\.0 MiB, sha256 verified, sha256 ${SHA256}`));
  assert.match(r.stderr, /^tiny\.en: 0% \(/m);
  assert.match(r.stderr, /^tiny\.en: 100% \(3\.0 MiB of 3\.0 MiB\)$/m);
  assert.doesNotMatch(r.stderr, /\r/, 'no redrawn bar when stderr is not a terminal');

  const again = await cli(['models', 'pull', 'tiny.en', '--sha256', SHA256], env);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /already present/);

  const list = await cli(['models', 'list'], { ...env, OPENSCRIBE_WHISPER_MODEL: 'tiny.en' });
  assert.equal(list.code, 0, list.stderr);
  assert.ok(list.stdout.includes(`whisper.cpp models in ${modelsDir}`));
  assert.match(list.stdout, /^tiny\.en\s+75 MiB\s+yes \(3\.0 MiB\)\s+← OPENSCRIBE_WHISPER_MODEL$/m);
  assert.match(list.stdout, /^base\.en\s+142 MiB\s+-$/m);
  assert.match(list.stdout, /^medium\s+1\.5 GiB\s+-$/m);
});

test('a model outside the catalogue needs --url; --sha1 is checked; a wrong --sha256 leaves nothing', async () => {
  const { modelsDir, env } = setup();
  const unknown = await cli(['models', 'pull', 'my-finetune'], env);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /unknown model "my-finetune"; known: tiny, tiny\.en, base/);

  const ok = await cli(['models', 'pull', 'my-finetune', '--url', `${base}/ggml-whatever.bin`, '--sha1', SHA1.toUpperCase()], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /sha1 verified/);
  assert.match(ok.stdout, /to use it: OPENSCRIBE_WHISPER_MODEL=my-finetune/);

  const wrong = await cli(['models', 'pull', 'other', '--url', `${base}/ggml-whatever.bin`, '--sha256', '0'.repeat(64)], env);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /checksum mismatch for other: expected sha256 0{64}/);
  assert.deepEqual(listDir(modelsDir), ['ggml-my-finetune.bin']);

  const list = await cli(['models', 'list'], env);
  assert.match(list.stdout, /^my-finetune\s+\(not in the catalogue\)\s+yes \(3\.0 MiB\)$/m);
});

test('a 404 or a transfer cut short fails and leaves nothing; hostile names are refused', async () => {
  const { modelsDir, env } = setup();
  const missing = await cli(['models', 'pull', 'base', '--url', `${base}/nope`], env);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /download of base failed: HTTP 404/);
  const cut = await cli(['models', 'pull', 'tiny', '--url', `${base}/cut/ggml-tiny.bin`, '--sha256', SHA256], env);
  assert.notEqual(cut.code, 0);
  assert.match(cut.stderr, /download of tiny broke off after [\d.]+ MiB/);
  const hostile = await cli(['models', 'pull', '../../etc/x'], env);
  assert.notEqual(hostile.code, 0);
  assert.match(hostile.stderr, /not a model name/);
  assert.deepEqual(listDir(modelsDir), []);
});
