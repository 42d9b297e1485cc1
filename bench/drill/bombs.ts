/**
 * Hostile audio and hostile clients against one real `openscribe serve` (PocketSphinx,
 * ffmpeg, Silero VAD): decompression bombs of every supported container, as chunks and as
 * single uploads; pipelining floods that never read; slow readers; JSON nested 10,000 deep.
 * Counts sessions left without a terminal state, 5xx answers and server deaths, and reports
 * the server's peak RSS growth.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { api, createKey, EMBEDDED, percentile, sleep, startServer, tempDataDir, waitTerminal, type DrillOptions, type ScenarioResult } from './lib.js';

const SESSION_LIMIT_S = 600;

const procKb = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

function silence(file: string, seconds: number, rate: number, codec: string[]): Buffer {
  if (!fs.existsSync(file)) {
    execFileSync('ffmpeg', ['-y', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `anullsrc=r=${rate}:cl=mono`, '-t', String(seconds), ...codec, file]);
  }
  return fs.readFileSync(file);
}

function lowRateWav(rate: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate, 28);
  h.writeUInt16LE(1, 32);
  h.writeUInt16LE(8, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return Buffer.concat([h, Buffer.alloc(dataBytes, 0x80)]);
}

export async function bombs(opts: DrillOptions): Promise<ScenarioResult> {
  const hours = opts.short ? 0.5 : 2.5;
  const s = Math.round(hours * 3600);
  const dir = path.join(opts.workDir, 'bombs');
  fs.mkdirSync(dir, { recursive: true });
  // Silence at the lowest bitrates each codec takes: hours of audio in a few MB.
  const files: Array<[string, Buffer, string]> = [
    ['wav', lowRateWav(100, 10_000_000), 'audio/wav'],
    ['wav', lowRateWav(8, 10_000_000), 'audio/wav'],
    ['mp3', silence(path.join(dir, `${s}.mp3`), s, 8000, ['-c:a', 'libmp3lame', '-b:a', '8k']), 'audio/mpeg'],
    ['ogg', silence(path.join(dir, `${s}.ogg`), s, 8000, ['-c:a', 'libvorbis', '-q:a', '-1']), 'audio/ogg'],
    ['webm', silence(path.join(dir, `${Math.min(s, 1800)}.webm`), Math.min(s, 1800), 48000, ['-c:a', 'libopus', '-b:a', '6k']), 'audio/webm'],
    ['mp4', silence(path.join(dir, `${s}.m4a`), s, 8000, ['-c:a', 'aac', '-b:a', '8k']), 'audio/mp4'],
  ];
  const dataDir = tempDataDir('drill-bombs');
  const key = createKey(dataDir, 'bombs', EMBEDDED);
  const server = await startServer({
    dataDir,
    env: { ...EMBEDDED, OPENSCRIBE_TRANSCRIBER: 'pocketsphinx', OPENSCRIBE_MAX_SESSION_SECONDS: String(SESSION_LIMIT_S), OPENSCRIBE_PUBLIC_RATE_LIMIT_PER_MINUTE: '10000000', LOG_LEVEL: 'warn' },
  });
  const pid = server.child.pid!;
  const rssStart = procKb(pid, 'VmRSS');
  let fiveXx = 0;
  let stuck = 0;
  let sessions = 0;
  const statuses: Record<string, number> = {};
  const refusals: Record<string, number> = {};
  const count = <R extends { status: number }>(r: R): R => {
    if (r.status >= 500) fiveXx++;
    return r;
  };
  try {
    for (const [ext, bytes, type] of files) {
      for (const uploadType of ['chunked', 'single'] as const) {
        const created = count(await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: uploadType, communication_protocol: 'http', templates: ['soap'] } }));
        const id = created.body.session_id as string;
        sessions++;
        const name = uploadType === 'single' ? `bomb.${ext}` : `audio_0.${ext}`;
        const up = count(await api(server.url, 'POST', `/voice/v1/sessions/${id}/audio/${name}`, { key, body: bytes, headers: { 'content-type': type } }));
        if (up.status !== 200) refusals[`${up.status} ${up.body?.error?.code}`] = (refusals[`${up.status} ${up.body?.error?.code}`] ?? 0) + 1;
        count(await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: up.status === 200 ? 1 : 0 } }));
        const status = await waitTerminal(server.url, key, id, 10 * 60_000);
        if (!status) stuck++;
        statuses[status ?? 'stuck'] = (statuses[status ?? 'stuck'] ?? 0) + 1;
      }
    }
    const afterAudioMb = (procKb(pid, 'VmHWM') - rssStart) / 1024;

    // Pipelining floods that never read, and slow readers, while /healthz is timed.
    const flood = Buffer.from('GET /voice/v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(1000));
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 40; i++) {
      const sock = net.connect(server.port, '127.0.0.1');
      sock.on('error', () => undefined);
      sock.pause();
      sock.write(flood);
      sockets.push(sock);
    }
    for (let i = 0; i < 40; i++) {
      const sock = net.connect(server.port, '127.0.0.1');
      sock.on('error', () => undefined);
      sock.pause();
      sock.write('GET /voice/v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(10));
      const drip = setInterval(() => sock.read(1), 1000); // reads a byte a second
      sock.on('close', () => clearInterval(drip));
      sockets.push(sock);
    }
    await sleep(1000);
    const health: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      count(await api(server.url, 'GET', '/healthz'));
      health.push(performance.now() - t);
    }
    for (const sock of sockets) sock.destroy();

    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const nested = count(await api(server.url, 'POST', '/voice/v1/sessions', { key, body: `{"upload_type":"chunked","communication_protocol":"http","patient_details":${deep}}`, headers: { 'content-type': 'application/json' } }));
    const peakMb = (procKb(pid, 'VmHWM') - rssStart) / 1024;
    const died = server.child.exitCode !== null || server.child.signalCode !== null;
    return {
      totals: { sessions_run: sessions, stuck_sessions: stuck, fuzz_5xx: fiveXx, fuzz_cases: sessions * 3 + 21, oom_kills: died ? 1 : 0 },
      params: { containers: files.map(([ext]) => ext), hours_of_audio: hours, session_limit_s: SESSION_LIMIT_S, pipelining_sockets: 40, requests_per_socket: 1000, slow_readers: 40, json_depth: 10_000 },
      figures: {
        terminal_statuses: statuses,
        refused_at_upload: refusals,
        peak_rss_growth_mb: Math.round(peakMb),
        peak_rss_growth_after_audio_mb: Math.round(afterAudioMb),
        healthz_under_flood_ms: { p50: percentile(health, 50), p99: percentile(health, 99), max: Math.round(Math.max(...health)) },
        nested_json_status: nested.status,
      },
    };
  } finally {
    await server.stop();
  }
}
