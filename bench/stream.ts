/**
 * Stream Audio benchmark (npm run bench:stream): N concurrent WebSocket streams of
 * the 63 s Festival consultation, in real-time-paced 20 ms PCM frames, against one
 * `openscribe serve` with PocketSphinx. N ramps 1, 2, 4, … until the recogniser no
 * longer keeps up (the last chunk's live transcript arrives more than --max-lag
 * seconds after its audio was sent, or never). Reports per level: server CPU per
 * stream (from /proc), latency from the end of a chunk's audio being sent to its
 * `transcript` message (p50/p99).
 *
 * Flags: --seconds S (audio per stream, default 63), --levels 1,2,4,8, --max-lag 30.
 * Writes bench/results/stream.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readWav } from '../src/speech/audio/wav.js';
import { api, createKey, ROOT, startServer, tempDataDir } from '../test/helpers/server.js';
import { CONSULTATION, pcmFrames, StreamClient } from '../test/integration/stream-client.js';
import { machineInfo } from './lib/machine.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const seconds = Number(flag('seconds') ?? 63);
const levels = (flag('levels') ?? '1,2,4,8').split(',').map(Number);
const maxLag = Number(flag('max-lag') ?? 30);
const TICKS = 100; // USER_HZ

function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS; // utime stime cutime cstime
}

function childPids(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** CPU of the server and its live children (the recogniser runs in one). */
function treeCpu(pid: number): number {
  let total = 0;
  for (const p of [pid, ...childPids(pid)]) {
    try {
      total += cpuSeconds(p);
    } catch {
      // exited
    }
  }
  return total;
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const pcm = readWav(fs.readFileSync(CONSULTATION)).samples.subarray(0, seconds * 16_000);
const frames = pcmFrames(pcm);
const dataDir = tempDataDir('bench-stream');
const key = createKey(dataDir, 'bench');
const server = await startServer({ dataDir, env: { OPENSCRIBE_TRANSCRIBER: 'pocketsphinx', LOG_LEVEL: 'warn' } });
const results: Array<Record<string, unknown>> = [];
try {
  for (const n of levels) {
    const cpu0 = treeCpu(server.child.pid!);
    const t0 = Date.now();
    const runs = await Promise.all(
      Array.from({ length: n }, async () => {
        const created = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'stream', communication_protocol: 'websocket' } });
        const client = StreamClient.connect(created.body.upload_url);
        await client.opened;
        const start = Date.now();
        await client.sendPaced(frames, 1);
        const sentAt = Date.now();
        // Every chunk cut while streaming gets its live transcript within max-lag, or the recogniser is behind.
        const cut = client.of('chunk_stored').length;
        await client.waitFor(() => client.of('transcript').length >= cut, maxLag * 1000).catch(() => undefined);
        const ended = api(server.url, 'POST', `/voice/v1/sessions/${created.body.session_id}/end`, { key, json: { audio_files_sent: 0 } });
        await ended;
        return { client, start, sentAt, expected: cut, id: created.body.session_id as string };
      }),
    );
    // Live transcripts stop with the socket (End Session closes it): latency is measured on the chunks cut while streaming.
    const latencies: number[] = [];
    let missing = 0;
    for (const r of runs) {
      for (const m of r.client.messages.filter((x) => x.msg.type === 'transcript')) latencies.push((m.at - (r.start + m.msg.end * 1000)) / 1000);
      missing += Math.max(0, r.expected - r.client.of('transcript').length);
    }
    const cpu = treeCpu(server.child.pid!) - cpu0;
    const wall = (Date.now() - t0) / 1000;
    const p99 = pct(latencies, 99);
    const keptUp = missing === 0 && p99 !== null && p99 <= maxLag;
    results.push({
      streams: n,
      audio_seconds_per_stream: seconds,
      wall_seconds: +wall.toFixed(1),
      cpu_seconds_per_stream: +(cpu / n).toFixed(2),
      cpu_share_per_stream: +(cpu / n / wall).toFixed(3),
      live_transcripts: latencies.length,
      chunks_without_live_transcript: missing,
      latency_p50_seconds: pct(latencies, 50),
      latency_p99_seconds: p99,
      kept_up: keptUp,
    });
    console.log(JSON.stringify(results.at(-1)));
    if (!keptUp) break;
    await sleep(2000);
  }
} finally {
  await server.stop();
}
const out = {
  benchmark: 'stream',
  date: new Date().toISOString(),
  machine: machineInfo(),
  transcriber: 'pocketsphinx',
  method: `N concurrent WebSocket streams of ${seconds} s of Festival speech in 20 ms PCM frames at real time; latency = transcript message arrival − moment the chunk's last sample was sent; End Session once every chunk cut while streaming has its live transcript or max_lag_seconds have passed (chunks still without one are counted in chunks_without_live_transcript)`,
  max_lag_seconds: maxLag,
  levels: results,
  max_streams_kept_up: Math.max(0, ...results.filter((r) => r.kept_up).map((r) => r.streams as number)),
  cpus: os.cpus().length,
};
fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'bench/results/stream.json'), JSON.stringify(out, null, 2) + '\n');
console.log(JSON.stringify(out, null, 2));
