/**
 * Where the ffmpeg binary comes from, in order:
 *   1. an explicit path (the `path` option, or `Config.ffmpegPath` given to
 *      `useConfiguredFfmpeg` by the composition root) — must work;
 *   2. `ffmpeg` on PATH (Debian package `ffmpeg`);
 *   3. the static binary shipped inside the npm package `@ffmpeg-installer/ffmpeg`.
 * The answer is cached per process; `resetFfmpegCache` is for tests.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { FfmpegMissingError } from './errors.js';

export type FfmpegSource = 'configured' | 'system' | 'npm';

export interface FfmpegInfo {
  path: string;
  source: FfmpegSource;
  /** First line of `ffmpeg -version`. */
  version: string;
}

export interface LocateOptions {
  /** Explicit binary; when set nothing else is tried. */
  path?: string;
  /** Skip the system binary (tests of the npm fallback). */
  skipSystem?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Runs `<bin> -version`; resolves to the first line, or null when it does not run (generous: a starved CPU must not look like a missing binary). */
export function probeFfmpeg(bin: string, timeoutMs = 60_000): Promise<string | null> {
  return new Promise((resolve) => {
    let out = '';
    let done = false;
    const finish = (v: string | null) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        resolve(v);
      }
    };
    let child;
    try {
      child = spawn(bin, ['-hide_banner', '-version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      finish(null);
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(null);
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      if (out.length < 4096) out += d;
    });
    child.on('error', () => finish(null));
    child.on('close', (code) => finish(code === 0 && out.startsWith('ffmpeg') ? (out.split('\n')[0] ?? '').trim() : null));
  });
}

/** Path of the binary inside `@ffmpeg-installer/<platform>`, or null when that package is absent. */
export function bundledFfmpegPath(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const mod = require('@ffmpeg-installer/ffmpeg') as { path?: string };
    return typeof mod.path === 'string' ? mod.path : null;
  } catch {
    return null;
  }
}

let cached: Promise<FfmpegInfo> | undefined;
let configured: string | undefined;

export function resetFfmpegCache(): void {
  cached = undefined;
}

/** The binary the config names (`Config.ffmpegPath`), for every later default lookup; set once by the composition root. */
export function useConfiguredFfmpeg(path: string | null): void {
  if ((path ?? undefined) === configured) return;
  configured = path ?? undefined;
  cached = undefined;
}

export function locateFfmpeg(options: LocateOptions = {}): Promise<FfmpegInfo> {
  const explicit = options.path ?? (options.env ? options.env.OPENSCRIBE_FFMPEG_PATH : configured);
  const usesDefaults = options.path === undefined && options.env === undefined && !options.skipSystem;
  if (usesDefaults && cached) return cached;
  const p = locate(explicit || undefined, options.skipSystem ?? false);
  if (usesDefaults) {
    cached = p;
    p.catch(() => {
      if (cached === p) cached = undefined; // an install may fix it; look again next time
    });
  }
  return p;
}

async function locate(explicit: string | undefined, skipSystem: boolean): Promise<FfmpegInfo> {
  if (explicit) {
    const version = await probeFfmpeg(explicit);
    if (!version) throw new FfmpegMissingError(`configured ffmpeg "${explicit}" does not run`);
    return { path: explicit, source: 'configured', version };
  }
  if (!skipSystem) {
    const version = await probeFfmpeg('ffmpeg');
    if (version) return { path: 'ffmpeg', source: 'system', version };
  }
  const bundled = bundledFfmpegPath();
  if (bundled) {
    const version = await probeFfmpeg(bundled);
    if (version) return { path: bundled, source: 'npm', version };
  }
  throw new FfmpegMissingError(
    'ffmpeg not found: install the Debian package "ffmpeg", set OPENSCRIBE_FFMPEG_PATH, or install the npm package @ffmpeg-installer/ffmpeg',
  );
}
