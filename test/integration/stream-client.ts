/** A real `ws` client for the Stream Audio tests: paced 20 ms frames, every server message and the close code recorded. */
import { WebSocket } from 'ws';
import { loadConfig } from '../../src/config.js';
import { openAdapters } from '../../src/app.js';
import { readWav } from '../../src/speech/audio/wav.js';
import { encodeMulaw } from '../../src/http/stream/mulaw.js';
import { backendEnv } from '../helpers/backend.js';
import path from 'node:path';
import { type RunningServer, serverWithKey, SHARED } from '../helpers/server.js';

export interface Received {
  at: number;
  msg: Record<string, any>;
}

export class StreamClient {
  readonly messages: Received[] = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly closed: Promise<number>;
  readonly opened: Promise<void>;

  constructor(
    readonly ws: WebSocket,
  ) {
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.messages.push({ at: Date.now(), msg: JSON.parse(data.toString()) });
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        resolve(code);
      }),
    );
  }

  static connect(url: string, headers: Record<string, string> = {}): StreamClient {
    return new StreamClient(new WebSocket(url, { headers }));
  }

  of(type: string): Array<Record<string, any>> {
    return this.messages.filter((m) => m.msg.type === type).map((m) => m.msg);
  }

  /** Polls `pred`; pings the server every 10 s meanwhile (a socket with no frames for 60 s is closed as idle). */
  async waitFor(pred: () => boolean, ms = 120_000): Promise<void> {
    const until = Date.now() + ms;
    let pingAt = Date.now() + 10_000;
    while (!pred()) {
      if (Date.now() > pingAt && this.open) {
        this.ws.ping();
        pingAt = Date.now() + 10_000;
      }
      if (Date.now() > until) throw new Error(`timed out; messages: ${JSON.stringify(this.messages.map((m) => m.msg)).slice(0, 2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends `frames` paced at `speed` × real time (20 ms each); stops early when the socket closes or `stopAfter` frames went. */
  async sendPaced(frames: Array<Buffer | string>, speed: number, stopAfter = frames.length): Promise<number> {
    const start = Date.now();
    let sent = 0;
    for (let i = 0; i < Math.min(frames.length, stopAfter); i++) {
      if (!this.open) break;
      const due = start + (i * 20) / speed;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!this.open) break;
      this.ws.send(frames[i]!);
      sent++;
    }
    return sent;
  }
}

/** 20 ms binary frames of s16le PCM. */
export function pcmFrames(pcm: Int16Array, rate = 16_000): Buffer[] {
  const n = (rate / 1000) * 20;
  const out: Buffer[] = [];
  for (let i = 0; i < pcm.length; i += n) {
    const piece = pcm.subarray(i, Math.min(pcm.length, i + n));
    out.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
  }
  return out;
}

/** 16 kHz → 8 kHz (2-tap average then decimate: enough for a telephony-band test signal). */
export function to8k(pcm: Int16Array): Int16Array {
  const out = new Int16Array(Math.floor(pcm.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = Math.round((pcm[2 * i]! + pcm[2 * i + 1]!) / 2);
  return out;
}

/** Twilio Media Streams frames: connected, start (8 kHz μ-law), 20 ms media frames; `stop` is left to the caller. */
export function twilioFrames(pcm8k: Int16Array): string[] {
  const frames = [
    JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
    JSON.stringify({
      event: 'start',
      sequenceNumber: '1',
      start: { streamSid: 'MZtest', callSid: 'CAtest', tracks: ['inbound'], mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } },
      streamSid: 'MZtest',
    }),
  ];
  let seq = 2;
  for (let i = 0; i < pcm8k.length; i += 160) {
    const payload = Buffer.from(encodeMulaw(pcm8k.subarray(i, Math.min(pcm8k.length, i + 160)))).toString('base64');
    frames.push(JSON.stringify({ event: 'media', sequenceNumber: String(seq++), media: { track: 'inbound', chunk: String(seq), timestamp: String(i / 8), payload }, streamSid: 'MZtest' }));
  }
  return frames;
}

/** A 63 s Festival consultation (12 lines, 0.7 s of digital silence between them). */
export const CONSULTATION = path.join(SHARED, 'data/audio/consult-hypertension.wav');
export const CONSULTATION_SCRIPT = path.join(SHARED, 'data/audio/consult-hypertension.txt');

/**
 * The spoken lines of a Festival dialogue, in seconds: Festival's output is joined
 * with digital silence between lines, so every run of ≥ 0.3 s of zero samples is a
 * pause and everything else belongs to a line (its own pauses are shorter).
 */
export function spokenLines(pcm: Int16Array, rate = 16_000): Array<{ start: number; end: number }> {
  const lines: Array<{ start: number; end: number }> = [];
  let run = 0;
  let lineStart = -1;
  for (let i = 0; i <= pcm.length; i++) {
    const silent = i < pcm.length && Math.abs(pcm[i]!) < 2;
    if (i < pcm.length && silent) {
      run++;
      continue;
    }
    if (run >= 0.3 * rate || i === pcm.length) {
      const silenceStart = i - run;
      if (lineStart >= 0 && silenceStart > lineStart) lines.push({ start: lineStart / rate, end: silenceStart / rate });
      lineStart = i;
    } else if (lineStart < 0) lineStart = i - run;
    run = 0;
  }
  return lines;
}

/** The WAV chunks the server stored for a session, read through its own ports (works on SQLite+fs and PostgreSQL+S3). */
export async function storedChunks(dataDir: string, tenantName: string, sessionId: string): Promise<Array<{ name: string; samples: number }>> {
  const config = loadConfig({ NODE_ENV: 'test', OPENSCRIBE_DATA_DIR: dataDir, OPENSCRIBE_TRANSCRIBER: 'none', ...backendEnv(dataDir) });
  const adapters = await openAdapters(config);
  try {
    const tenant = await adapters.store.findTenantByName(tenantName);
    if (!tenant) throw new Error(`no tenant ${tenantName}`);
    const chunks = (await adapters.store.listChunks(tenant.id, sessionId)).sort((a, b) => a.seq - b.seq);
    const out: Array<{ name: string; samples: number }> = [];
    for (const c of chunks) {
      const parts: Buffer[] = [];
      for await (const p of await adapters.blobs.get(c.blobKey)) parts.push(p as Buffer);
      out.push({ name: c.name, samples: readWav(Buffer.concat(parts)).samples.length });
    }
    return out;
  } finally {
    await adapters.close();
  }
}

/** serverWithKey, tried up to three times: on a fully loaded machine a recogniser-enabled server can take over 30 s to become healthy. */
export async function startLoaded(label: string, env: Record<string, string> = {}): Promise<{ server: RunningServer; key: string; tenant: string }> {
  for (let attempt = 1; ; attempt++) {
    const tenant = `${label}${attempt > 1 ? attempt : ''}`;
    try {
      return { ...(await serverWithKey(tenant, env)), tenant };
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}
