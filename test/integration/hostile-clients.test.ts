import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, serverWithKey, type RunningServer } from '../helpers/server.js';

/** Resident memory of a process, in MB (Linux /proc). */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

async function timedHealthz(url: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const r = await fetch(`${url}/healthz`);
  await r.text();
  return { status: r.status, ms: performance.now() - t0 };
}

describe('hostile clients: pipelining floods, deep JSON, keys in paths, bodies without a length', () => {
  let server: RunningServer;
  let key: string;
  before(async () => {
    // The per-address budget is lifted here so that the pipelining bound itself is what is tested.
    ({ server, key } = await serverWithKey('hostile', { OPENSCRIBE_PUBLIC_RATE_LIMIT_PER_MINUTE: '10000000' }));
  });
  after(() => server?.stop());

  test('40 sockets pipelining 1,000 requests each and never reading: /healthz stays fast, memory bounded', async () => {
    const pid = server.child.pid!;
    for (let i = 0; i < 3; i++) await timedHealthz(server.url); // warm
    const before = rssMb(pid);
    const request = Buffer.from('GET /voice/v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(1000));
    const sockets: net.Socket[] = [];
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
    try {
      for (let i = 0; i < 40; i++) {
        const s = net.connect(server.port, '127.0.0.1');
        s.on('error', () => undefined);
        s.pause(); // never read a byte of the answers
        s.write(request);
        sockets.push(s);
      }
      await sleep(1500);
      const probes = [];
      for (let i = 0; i < 5; i++) probes.push(await timedHealthz(server.url));
      const best = Math.min(...probes.map((p) => p.ms));
      assert.ok(probes.every((p) => p.status === 200));
      assert.ok(best < 100, `/healthz took ${probes.map((p) => p.ms.toFixed(0)).join(', ')} ms`);
      assert.ok(peak - before < 100, `memory grew by ${(peak - before).toFixed(0)} MB`);
      const closed = sockets.filter((s) => s.destroyed || s.readableEnded).length;
      await sleep(200);
      assert.ok(sockets.filter((s) => s.destroyed || s.readableEnded).length >= closed);
    } finally {
      clearInterval(sampler);
      for (const s of sockets) s.destroy();
    }
    assert.equal((await timedHealthz(server.url)).status, 200);
  });

  test('patient_details nested 10,000 deep is 400 invalid_request with the limit, not a 500', async () => {
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const body = `{"upload_type":"chunked","communication_protocol":"http","patient_details":${deep}}`;
    const r = await api(server.url, 'POST', '/voice/v1/sessions', { key, body, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 400, r.text.slice(0, 200));
    assert.equal(r.body.error.code, 'invalid_request');
    assert.equal(r.body.error.details.max_depth, 32);
    // Ordinary nesting is fine.
    const ok = await api(server.url, 'POST', '/voice/v1/sessions', {
      key,
      json: { upload_type: 'chunked', communication_protocol: 'http', patient_details: { name: 'A', address: { city: 'B', lines: ['x', 'y'] } } },
    });
    assert.equal(ok.status, 201, ok.text);
  });

  test('a key pasted into the URL path is not logged', async () => {
    const r = await api(server.url, 'GET', `/voice/v1/sessions/${key}`, { key });
    assert.equal(r.status, 404);
    const r2 = await api(server.url, 'GET', `/voice/v1/sessions/${encodeURIComponent(key)}/audio`, { key });
    assert.ok(r2.status >= 400);
    await sleep(300);
    assert.ok(!server.output().includes(key), 'the key appears in the server log');
    assert.ok(!server.output().includes(key.slice(8)), 'the key body appears in the server log');
  });

  test('a JSON body over the limit sent without Content-Length gets its 413, every time (no reset)', async () => {
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 20; i++) {
      const outcome = await new Promise<string>((resolve) => {
        const req = http.request(
          { host: '127.0.0.1', port: server.port, method: 'POST', path: '/voice/v1/sessions', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } },
          (res) => {
            let b = '';
            res.on('data', (d) => (b += d));
            res.on('end', () => resolve(`${res.statusCode} ${JSON.parse(b).error.code}`));
          },
        );
        req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
        const piece = Buffer.alloc(64 * 1024, 'a');
        req.write('{"x":"');
        let n = 0;
        const pump = () => {
          while (n < 32) {
            n++;
            if (!req.write(piece)) return void req.once('drain', pump);
          }
          req.end('"}');
        };
        pump();
      });
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    assert.deepEqual(outcomes, { '413 request_too_large': 20 });
  });

  test('an ELF binary uploaded as audio/webm is refused, nothing stored', async () => {
    const s = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(8192)]);
    const up = await api(server.url, 'POST', `/voice/v1/sessions/${s.body.session_id}/audio/audio_0.webm`, { key, body: elf, headers: { 'content-type': 'audio/webm' } });
    assert.equal(up.status, 400);
    assert.equal(up.body.error.code, 'invalid_audio_format');
    const view = await api(server.url, 'GET', `/voice/v1/sessions/${s.body.session_id}`, { key });
    assert.equal(view.body.audio_files?.length ?? 0, 0);
  });
});

test('routes that need no key are budgeted per address: 429 with Retry-After past the limit', async () => {
  const { server } = await serverWithKey('public-limit', { OPENSCRIBE_PUBLIC_RATE_LIMIT_PER_MINUTE: '5' });
  try {
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await fetch(`${server.url}/voice/v1/.well-known/medscribealliance`)).status);
    assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
    const r = await fetch(`${server.url}/voice/v1/openapi.json`);
    assert.ok([200, 429].includes(r.status)); // a budget of its own scope
    const over = await fetch(`${server.url}/voice/v1/.well-known/medscribealliance`);
    assert.equal(over.status, 429);
    assert.equal(((await over.json()) as any).error.code, 'rate_limit_exceeded');
    assert.ok(over.headers.get('retry-after'));
  } finally {
    await server.stop();
  }
});
