/** Shared bits of the drills: embedded servers, pacing, percentiles, the results shape. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { api, createKey, startServer, tempDataDir, type RunningServer } from '../../test/helpers/server.js';

export { api, createKey, startServer, tempDataDir, type RunningServer };

/** The embedded default (SQLite + files), whatever the caller's environment says. */
export const EMBEDDED: Record<string, string> = { OPENSCRIBE_DATABASE_URL: '', OPENSCRIBE_S3_ENDPOINT: '', OPENSCRIBE_S3_BUCKET: '' };

/** Figures every scenario adds to the top-level sums (zero when it does not apply). */
export interface Totals {
  sessions_run: number;
  chunks_accepted: number;
  lost_chunks: number;
  stuck_sessions: number;
  duplicate_completions: number;
  lost_events: number;
  fuzz_cases: number;
  fuzz_5xx: number;
  cross_tenant_successes: number;
  /** Server processes that died under the drill (an OOM kill, a crash). */
  oom_kills: number;
}
export const zeroTotals = (): Totals => ({
  sessions_run: 0,
  chunks_accepted: 0,
  lost_chunks: 0,
  stuck_sessions: 0,
  duplicate_completions: 0,
  lost_events: 0,
  fuzz_cases: 0,
  fuzz_5xx: 0,
  cross_tenant_successes: 0,
  oom_kills: 0,
});

export interface ScenarioResult {
  totals: Partial<Totals>;
  params: Record<string, unknown>;
  figures: Record<string, unknown>;
}

export interface DrillOptions {
  short: boolean;
  workDir: string;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
}

export const TERMINAL = new Set(['completed', 'partial', 'failed', 'expired']);

/** Polls Get Session until it leaves 202 (a terminal state) or `ms` pass; returns the status or null. */
export async function waitTerminal(base: string, key: string, id: string, ms: number, everyMs = 500): Promise<string | null> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await api(base, 'GET', `/voice/v1/sessions/${id}`, { key }).catch(() => undefined);
    if (r && r.status !== 202 && r.body?.status && TERMINAL.has(r.body.status)) return r.body.status as string;
    if (Date.now() > deadline) return null;
    await sleep(everyMs);
  }
}

/** Every file under `dir`, relative paths. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)));
}

export interface Clip {
  format: 'wav' | 'webm' | 'ogg' | 'mp3';
  type: string;
  bytes: Buffer;
}

const FORMATS: Array<[Clip['format'], string, string[]]> = [
  ['wav', 'audio/wav', ['-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le']],
  ['webm', 'audio/webm', ['-ac', '1', '-c:a', 'libopus', '-b:a', '24k']],
  ['ogg', 'audio/ogg', ['-ac', '1', '-c:a', 'libopus', '-b:a', '24k']],
  ['mp3', 'audio/mpeg', ['-ac', '1', '-c:a', 'libmp3lame', '-b:a', '32k']],
];

/** 10 s clips of real speech in four containers, cut once with ffmpeg from the shared recordings. */
export function prepareClips(workDir: string, perFormat = 6): Clip[] {
  const src = '/work/shared/data/audio';
  const wavs = fs.readdirSync(src).filter((f) => f.endsWith('.wav')).sort();
  const out = path.join(workDir, 'clips');
  fs.mkdirSync(out, { recursive: true });
  const clips: Clip[] = [];
  for (const [format, type, codec] of FORMATS) {
    for (let i = 0; i < perFormat; i++) {
      const input = path.join(src, wavs[i % wavs.length]!);
      const start = Math.floor(i / wavs.length) * 10;
      const file = path.join(out, `${format}-${i}.${format}`);
      if (!fs.existsSync(file)) {
        const r = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-ss', String(start), '-t', '10', '-i', input, ...codec, file]);
        if (r.status !== 0) throw new Error(`ffmpeg ${format}: ${r.stderr}`);
      }
      const bytes = fs.readFileSync(file);
      if (bytes.length > 256) clips.push({ format, type, bytes });
    }
  }
  return clips;
}
