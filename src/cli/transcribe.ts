/**
 * `openscribe transcribe <file…>`: the whole protocol flow through the SDK, as a recorder
 * would do it — decode, cut into ~10 s WAV chunks at the quietest moment near each cut,
 * create a session, upload, end, wait, print the note. Without --server an embedded
 * server runs for the call on a temp data dir (SQLite, port 0, a temporary key).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { decodeToPcm } from '../speech/audio/decode.js';
import { useConfiguredFfmpeg } from '../speech/audio/ffmpeg.js';
import { SAMPLE_RATE } from '../speech/audio/pcm.js';
import { writeWav } from '../speech/audio/wav.js';
import { OpenScribeClient, type SessionView } from '../client/index.js';
import { ConfigError, loadConfig } from '../config.js';
import { toFhirBundle } from './format/fhir.js';
import { toMarkdown } from './format/markdown.js';

export interface TranscribeOptions {
  template: string[];
  server?: string;
  key?: string;
  format: 'json' | 'md' | 'fhir';
  chunkSeconds: number;
  mode: 'consultation' | 'dictation';
}

/** Cut points (sample offsets) near every `targetSec`, at the quietest 100 ms within ±2 s. */
export function cutPoints(pcm: Int16Array, targetSec: number): number[] {
  const target = Math.round(targetSec * SAMPLE_RATE);
  const win = SAMPLE_RATE / 10;
  const reach = Math.min(2 * SAMPLE_RATE, Math.floor(target / 4));
  const cuts: number[] = [];
  let from = 0;
  while (pcm.length - from > target + reach) {
    let best = from + target;
    let bestEnergy = Infinity;
    for (let at = from + target - reach; at + win <= from + target + reach; at += win / 2) {
      let e = 0;
      for (let i = at; i < at + win; i++) e += Math.abs(pcm[i]!);
      if (e < bestEnergy) [bestEnergy, best] = [e, at + win / 2];
    }
    cuts.push(best);
    from = best;
  }
  return cuts;
}

/** Progress on stderr: a redrawn bar on a terminal, plain lines otherwise (logs, CI). */
class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastLine = '';
  update(phase: string, done: number, total: number, note = ''): void {
    if (this.tty) {
      const width = 24;
      const filled = total > 0 ? Math.round((done / total) * width) : 0;
      process.stderr.write(`\r${phase.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${note}`.padEnd(70));
    } else {
      const line = `${phase}: ${done}/${total}${note ? ` ${note}` : ''}`;
      if (line !== this.lastLine) process.stderr.write(`${line}\n`);
      this.lastLine = line;
    }
  }
  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

async function startEmbedded(): Promise<{ url: string; key: string; close(): Promise<void> }> {
  const { createApp } = await import('../app.js');
  const { createApiKey } = await import('../core/tenants.js');
  const { systemClock } = await import('../core/ports/clock.js');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'openscribe-transcribe-'));
  // Self-contained: the shared database, bucket and queue of a deployment are not touched.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^OPENSCRIBE_(DATABASE_URL|BLOB_STORE|S3_|QUEUE)/.test(k)));
  const config = loadConfig({ ...env, OPENSCRIBE_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', OPENSCRIBE_BOOTSTRAP_KEY: '0' });
  const log = pino({ level: process.env.LOG_LEVEL || 'warn' }, pino.destination(2)); // stdout is the note's
  const app = await createApp({ ...config, worker: { ...config.worker, enabled: true } }, { log });
  try {
    const { key } = await createApiKey(app.adapters.store, systemClock, 'cli', 'test');
    const address = await app.listen();
    return {
      url: address,
      key,
      async close() {
        await app.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

export async function runTranscribe(files: string[], opts: TranscribeOptions): Promise<void> {
  for (const f of files) if (!fs.existsSync(f)) throw new Error(`no such file: ${f}`);
  if (!(opts.chunkSeconds >= 1 && opts.chunkSeconds <= 60)) throw new Error('--chunk-seconds must be from 1 to 60');
  const progress = new Progress();

  // Decoded first: a file ffmpeg cannot read fails before any session exists. The binary is
  // the configured one; a server-side setting this client run does not use may be invalid.
  try {
    useConfiguredFfmpeg(loadConfig(process.env).ffmpegPath);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
  }
  const { pcm } = await decodeToPcm(files.map((f) => ({ path: f })));
  if (pcm.length === 0) throw new Error('no audio in the input');
  const bounds = [0, ...cutPoints(pcm, opts.chunkSeconds), pcm.length];

  const key = opts.key ?? process.env.OPENSCRIBE_KEY;
  if (opts.server && !key) throw new Error('--server needs an API key: --key or OPENSCRIBE_KEY');
  const embedded = opts.server ? undefined : await startEmbedded();
  try {
    const client = new OpenScribeClient({ baseUrl: opts.server ?? embedded!.url, apiKey: embedded?.key ?? key! });
    const session = await client.createSession({
      upload_type: 'chunked',
      communication_protocol: 'http',
      session_mode: opts.mode,
      ...(opts.template.length ? { templates: opts.template } : {}),
    });
    const total = bounds.length - 1;
    for (let seq = 0; seq < total; seq++) {
      progress.update('upload', seq, total);
      const wav = writeWav(pcm.subarray(bounds[seq]!, bounds[seq + 1]!));
      await client.uploadChunk(session.session_id, `recording_${seq}.wav`, wav, 'audio/wav');
    }
    progress.update('upload', total, total);
    progress.done();
    await client.endSession(session.session_id, { audioFilesSent: total });
    const result = await client.waitForResult(session.session_id, {
      onProgress: (s: SessionView) => progress.update('process', s.status === 'processing' || s.status === 'recording' ? 0 : 1, 1, s.status),
    });
    progress.done();
    const body = result.body;
    const text = opts.format === 'json' ? JSON.stringify(body, null, 2) : opts.format === 'fhir' ? JSON.stringify(toFhirBundle(body), null, 2) : toMarkdown(body);
    process.stdout.write(`${text}\n`);
    if (body.status === 'failed') process.exitCode = 2;
  } finally {
    await embedded?.close();
  }
}
