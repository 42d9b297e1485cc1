/**
 * Slow clients: many sockets sending headers at 1 byte/s (slowloris) and bodies at
 * 1 byte/s, while /healthz is timed; the server must stay responsive and cut the slow
 * ones by its timeouts (OPENSCRIBE_HTTP_HEADERS_TIMEOUT_MS, _REQUEST_TIMEOUT_MS).
 */
import net from 'node:net';
import { api, createKey, EMBEDDED, percentile, sleep, startServer, tempDataDir, type DrillOptions, type ScenarioResult } from './lib.js';

function drip(port: number, head: string, byte: string, giveUpMs: number): Promise<{ cut: boolean; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      resolve({ cut: false, ms: Date.now() - t0 });
    }, giveUpMs);
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => socket.writable && socket.write(byte), 1000);
    });
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ cut: true, ms: Date.now() - t0 });
    });
  });
}

export async function slow(opts: DrillOptions): Promise<ScenarioResult> {
  const sockets = opts.short ? 200 : 1000;
  const headersMs = 10_000;
  const requestMs = 20_000;
  const dataDir = tempDataDir('drill-slow');
  const key = createKey(dataDir, 'slow', EMBEDDED);
  const server = await startServer({
    dataDir,
    env: { ...EMBEDDED, OPENSCRIBE_HTTP_HEADERS_TIMEOUT_MS: String(headersMs), OPENSCRIBE_HTTP_REQUEST_TIMEOUT_MS: String(requestMs), LOG_LEVEL: 'warn' },
  });
  try {
    const baseline: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await api(server.url, 'GET', '/healthz');
      baseline.push(performance.now() - t);
    }
    const s = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
    const id = s.body.session_id as string;
    const giveUp = requestMs * 4;
    const headers = Array.from({ length: sockets / 2 }, () => drip(server.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 'a', giveUp));
    const bodies = Array.from({ length: sockets / 2 }, (_, i) =>
      drip(
        server.port,
        `POST /voice/v1/sessions/${id}/audio/a_${i}.wav HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: audio/wav\r\nContent-Length: 1000000\r\n\r\nRIFF\0\0\0\0WAVE`,
        '\0',
        giveUp,
      ),
    );
    // Normal requests meanwhile.
    const during: number[] = [];
    let failures = 0;
    const until = Date.now() + requestMs + 5000;
    while (Date.now() < until) {
      const t = performance.now();
      const r = await api(server.url, 'GET', '/healthz').catch(() => undefined);
      if (r?.status !== 200) failures++;
      during.push(performance.now() - t);
      await sleep(250);
    }
    const h = await Promise.all(headers);
    const b = await Promise.all(bodies);
    const files = (await api(server.url, 'GET', `/voice/v1/sessions/${id}`, { key })).body?.audio_files ?? [];
    return {
      totals: {},
      params: { slow_header_sockets: headers.length, slow_body_sockets: bodies.length, headers_timeout_ms: headersMs, request_timeout_ms: requestMs },
      figures: {
        healthz_ms_baseline: { p50: percentile(baseline, 50), p99: percentile(baseline, 99) },
        healthz_ms_during: { p50: percentile(during, 50), p99: percentile(during, 99), max: percentile(during, 100), n: during.length, failures },
        slow_headers_cut: h.filter((x) => x.cut).length,
        slow_headers_cut_after_ms: { p50: percentile(h.map((x) => x.ms), 50), max: percentile(h.map((x) => x.ms), 100) },
        slow_bodies_cut: b.filter((x) => x.cut).length,
        slow_bodies_cut_after_ms: { p50: percentile(b.map((x) => x.ms), 50), max: percentile(b.map((x) => x.ms), 100) },
        chunks_accepted_from_slow_bodies: files.length,
        passed: failures === 0 && h.every((x) => x.cut) && b.every((x) => x.cut) && files.length === 0,
      },
    };
  } finally {
    await server.stop();
  }
}
