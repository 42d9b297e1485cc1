import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { api, serverWithKey, type RunningServer } from '../helpers/server.js';

// Short cut-offs so the test does not wait minutes; generous bounds below (no timing assertions).
const ENV = { OPENSCRIBE_HTTP_HEADERS_TIMEOUT_MS: '2000', OPENSCRIBE_HTTP_REQUEST_TIMEOUT_MS: '3000' };
let server: RunningServer;
let key: string;

before(async () => {
  ({ server, key } = await serverWithKey('slow', ENV));
});
after(async () => server?.stop());

/** Opens a socket, writes `head` then one byte of `drip` per second; resolves with what came back when the server closes it. */
function drip(port: number, head: string, dripByte: string, giveUpMs = 90_000): Promise<{ closedByServer: boolean; reply: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      resolve({ closedByServer: false, reply });
    }, giveUpMs);
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => socket.writable && socket.write(dripByte), 1000);
    });
    socket.on('data', (d) => (reply += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ closedByServer: true, reply });
    });
  });
}

test('a slowloris connection (headers at 1 byte/s) is cut while normal requests are served', async () => {
  const slow = Array.from({ length: 20 }, () => drip(server.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 'a'));
  // Normal requests succeed meanwhile.
  for (let i = 0; i < 3; i++) {
    const r = await api(server.url, 'GET', '/healthz');
    assert.equal(r.status, 200);
    await new Promise((res) => setTimeout(res, 500));
  }
  const results = await Promise.all(slow);
  for (const r of results) assert.ok(r.closedByServer, 'the server never closed a slow-header connection');
  assert.match(results[0]!.reply, /^HTTP\/1\.1 408/);
});

test('a body sent at 1 byte/s is cut by the request timeout; the server stays responsive', async () => {
  const created = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
  assert.equal(created.status, 201);
  const id = created.body.session_id as string;
  const head =
    `POST /voice/v1/sessions/${id}/audio/audio_0.wav HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n` +
    'Content-Type: audio/wav\r\nContent-Length: 100000\r\n\r\nRIFF\0\0\0\0WAVE';
  const slow = drip(server.port, head, '\0');
  const r = await api(server.url, 'GET', `/voice/v1/sessions/${id}`, { key });
  assert.equal(r.status, 202);
  const result = await slow;
  assert.ok(result.closedByServer, 'the server never closed a slow-body connection');
  // The chunk was never accepted.
  const after = await api(server.url, 'GET', `/voice/v1/sessions/${id}`, { key });
  assert.deepEqual(after.body.audio_files, []);
});
