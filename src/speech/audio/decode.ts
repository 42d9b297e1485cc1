/**
 * Decoding any supported container (WebM/Opus, Ogg/Opus, WAV, MP3, MP4/M4A) to
 * 16 kHz mono s16le PCM with ffmpeg, streaming: the bytes are piped into ffmpeg's
 * stdin and the PCM read from its stdout, so nothing but the decoded PCM of the
 * audio asked for is held in memory. MP4 whose index (`moov`) sits after the
 * media cannot be read from a pipe, so MP4 input that is not already a file is
 * spooled to a temporary file first.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Container } from '../../core/audio-format.js';
import { AudioError, DecodeTimeoutError, FfmpegMissingError, UndecodableAudioError } from './errors.js';
import { locateFfmpeg } from './ffmpeg.js';
import { BYTES_PER_SAMPLE, PcmCollector, SAMPLE_RATE, samplesToSeconds, secondsToSamples } from './pcm.js';

export type { Container };

/**
 * Where encoded audio comes from. Bytes, a file, or a factory that opens a fresh
 * stream each time (needed where a source is read twice, e.g. chunk joining).
 * A bare Readable can be read once only.
 */
export type AudioSource = Uint8Array | { path: string } | { open: () => Readable | Promise<Readable> } | Readable;

export interface DecodeOptions {
  /** Container when known (from the Content-Type / extension); otherwise ffmpeg probes. */
  format?: Container;
  /** ffmpeg binary; default: `locateFfmpeg()`. */
  ffmpegPath?: string;
  /** Kill ffmpeg after this long. Default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Decode at most this many seconds of output (ffmpeg `-t`, and a hard cap on the
   * samples kept): a tiny file that declares hours of audio (a decompression bomb)
   * costs no more than this. Past it the result says `truncated`.
   */
  maxSeconds?: number;
}

export interface DecodedAudio {
  pcm: Int16Array;
  sampleRate: typeof SAMPLE_RATE;
  durationSec: number;
  /** The input held more audio than `maxSeconds`: only that much was decoded. */
  truncated: boolean;
}

const DEMUXER: Record<Container, string> = {
  webm: 'matroska',
  ogg: 'ogg',
  wav: 'wav',
  mp3: 'mp3',
  mp4: 'mov',
};

const DEFAULT_TIMEOUT_MS = 5 * 60_000;
/** The only demuxers ffmpeg may pick (no guessing into image, playlist or network formats). */
const DEMUXER_WHITELIST = 'matroska,ogg,wav,mp3,mov';
/** ffmpeg reads only its stdin or the one local file it is given. */
const PROTOCOL_WHITELIST = 'file,pipe';

/** Decodes the sources, concatenated in order, to one PCM buffer. */
export async function decodeToPcm(sources: AudioSource | AudioSource[], options: DecodeOptions = {}): Promise<DecodedAudio> {
  const collector = new PcmCollector(0, true, capSamples(options));
  await runDecoder(asList(sources), options, collector);
  const pcm = collector.toInt16();
  return { pcm, sampleRate: SAMPLE_RATE, durationSec: samplesToSeconds(pcm.length), truncated: collector.full };
}

function capSamples(options: DecodeOptions): number | undefined {
  return options.maxSeconds === undefined ? undefined : secondsToSamples(options.maxSeconds);
}

/** Decodes and keeps only the samples after the first `skipSamples` (the rest are counted and dropped). */
export async function decodeTail(sources: AudioSource[], skipSamples: number, options: DecodeOptions = {}): Promise<DecodedAudio & { totalSamples: number }> {
  const collector = new PcmCollector(skipSamples, true, capSamples(options));
  await runDecoder(sources, options, collector);
  const pcm = collector.toInt16();
  return { pcm, sampleRate: SAMPLE_RATE, durationSec: samplesToSeconds(pcm.length), truncated: collector.full, totalSamples: collector.samplesSeen };
}

/** Decodes and only counts the samples (duration of audio without keeping it). */
export async function countSamples(sources: AudioSource | AudioSource[], options: DecodeOptions = {}): Promise<number> {
  const collector = new PcmCollector(0, false, capSamples(options));
  await runDecoder(asList(sources), options, collector);
  return collector.samplesSeen;
}

/**
 * Streams PCM out as ffmpeg produces it (long single uploads): yields pieces of
 * at most `maxSamples` samples. Errors are thrown from the iterator.
 */
export async function* decodePcmStream(
  sources: AudioSource | AudioSource[],
  options: DecodeOptions & { maxSamples?: number } = {},
): AsyncGenerator<Int16Array> {
  const queue: Buffer[] = [];
  let queued = 0;
  let wake: (() => void) | null = null;
  let finished = false;
  let failure: unknown;
  const max = (options.maxSamples ?? SAMPLE_RATE * 5) * BYTES_PER_SAMPLE;
  const highWater = Math.max(4 * max, 1 << 20);
  let paused = false;
  let flow: { pause: () => void; resume: () => void } | undefined;
  const sink: Sink = {
    push(b: Buffer) {
      queue.push(Buffer.from(b));
      queued += b.length;
      if (queued > highWater && flow && !paused) {
        paused = true;
        flow.pause(); // the consumer is slower than ffmpeg: hold ffmpeg back
      }
      wake?.();
    },
    attach(f) {
      flow = f;
    },
  };
  // stopping early (break / return) kills ffmpeg
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const run = runDecoder(asList(sources), { ...options, signal }, sink).then(
    () => {
      finished = true;
      wake?.();
    },
    (err: unknown) => {
      failure = err;
      finished = true;
      wake?.();
    },
  );
  let carry: Buffer = Buffer.alloc(0);
  let completed = false;
  try {
    for (;;) {
      if (queue.length === 0) {
        if (finished) break;
        await new Promise<void>((r) => (wake = r));
        wake = null;
        continue;
      }
      let buf = Buffer.concat([carry, ...queue.splice(0)]);
      queued = 0;
      if (paused && flow) {
        paused = false;
        flow.resume();
      }
      while (buf.length >= max) {
        yield toInt16(buf.subarray(0, max));
        buf = buf.subarray(max);
      }
      const even = buf.length & ~1;
      if (even > 0) yield toInt16(buf.subarray(0, even));
      carry = Buffer.from(buf.subarray(even));
    }
    completed = true;
    if (failure) throw failure;
  } finally {
    if (!completed) stop.abort(new Error('stream closed by its reader'));
    await run.catch(() => undefined);
  }
}

function toInt16(b: Buffer): Int16Array {
  const out = new Int16Array(b.length / 2);
  new Uint8Array(out.buffer).set(b);
  return out;
}

function asList(s: AudioSource | AudioSource[]): AudioSource[] {
  return Array.isArray(s) ? s : [s];
}

function isReadable(s: AudioSource): s is Readable {
  return s instanceof Readable;
}

async function openSource(s: AudioSource): Promise<Readable> {
  if (isReadable(s)) return s;
  if (s instanceof Uint8Array) return Readable.from([Buffer.from(s.buffer, s.byteOffset, s.byteLength)], { objectMode: false });
  if ('path' in s) return fs.createReadStream(s.path);
  return await s.open();
}

async function* concatSources(sources: AudioSource[]): AsyncGenerator<Buffer> {
  for (const s of sources) {
    const r = await openSource(s);
    try {
      for await (const piece of r) yield typeof piece === 'string' ? Buffer.from(piece) : (piece as Buffer);
    } finally {
      r.destroy();
    }
  }
}

/** The demuxer the first bytes name, if they carry a container signature. */
function demuxerFor(head: Uint8Array): string | undefined {
  const at = (sig: string, off = 0) => head.length >= off + sig.length && [...sig].every((c, i) => head[off + i] === c.charCodeAt(0));
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return DEMUXER.webm;
  if (at('OggS')) return DEMUXER.ogg;
  if (at('RIFF') && at('WAVE', 8)) return DEMUXER.wav;
  if (at('ftyp', 4)) return DEMUXER.mp4;
  if (at('ID3') || (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0)) return DEMUXER.mp3;
  return undefined;
}

async function sniffFile(file: string): Promise<string | undefined> {
  const fh = await fs.promises.open(file, 'r').catch(() => undefined);
  if (!fh) return undefined; // ffmpeg reports the missing file
  try {
    const buf = Buffer.alloc(12);
    const { bytesRead } = await fh.read(buf, 0, 12, 0);
    return demuxerFor(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

function looksLikeMp4(head: Buffer): boolean {
  return head.length >= 8 && head.subarray(4, 8).toString('latin1') === 'ftyp';
}

interface Sink {
  push(b: Buffer): void;
  /** True once the sink holds all it will take: ffmpeg is stopped (not an error). */
  readonly full?: boolean;
  /** Receives pause/resume of ffmpeg's output, for consumers that apply backpressure. */
  attach?(flow: { pause: () => void; resume: () => void }): void;
}

/** Spawns ffmpeg, feeds it the sources and pushes its PCM output into `sink`. */
async function runDecoder(sources: AudioSource[], options: DecodeOptions, sink: Sink): Promise<void> {
  if (sources.length === 0) throw new UndecodableAudioError('no audio given');
  const bin = options.ffmpegPath ?? (await locateFfmpeg()).path;
  let demuxer = options.format ? DEMUXER[options.format] : undefined;

  // A single file is read by ffmpeg itself (seekable: MP4 with a trailing index works).
  const only = sources.length === 1 ? sources[0]! : undefined;
  if (only && !isReadable(only) && !(only instanceof Uint8Array) && 'path' in only) {
    demuxer ??= await sniffFile(only.path);
    return runFfmpeg(bin, demuxer, only.path, null, options, sink);
  }

  const bytes = concatSources(sources);
  const first = await bytes.next();
  if (first.done) throw new UndecodableAudioError('audio is empty (0 bytes)');
  const head = first.value;
  const rest = (async function* () {
    yield head;
    yield* bytes;
  })();
  // The demuxer is named from the first bytes when the caller did not say; a headerless
  // continuation is left to ffmpeg's probe, within the whitelist.
  demuxer ??= demuxerFor(head);

  if (options.format === 'mp4' || (!options.format && looksLikeMp4(head))) {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'openscribe-decode-'));
    const file = path.join(dir, 'input.mp4');
    try {
      await pipeline(Readable.from(rest), fs.createWriteStream(file));
      return await runFfmpeg(bin, demuxer, file, null, options, sink);
    } finally {
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }
  return runFfmpeg(bin, demuxer, 'pipe:0', Readable.from(rest), options, sink);
}

async function runFfmpeg(
  bin: string,
  demuxer: string | undefined,
  input: string,
  stdin: Readable | null,
  options: DecodeOptions,
  sink: Sink,
): Promise<void> {
  const args = ['-hide_banner', '-nostats', '-loglevel', 'error', '-threads', '1'];
  if (!stdin) args.push('-nostdin');
  args.push('-protocol_whitelist', PROTOCOL_WHITELIST, '-format_whitelist', DEMUXER_WHITELIST);
  if (demuxer) args.push('-f', demuxer);
  args.push('-i', input, '-vn', '-sn', '-dn', '-map', '0:a:0', '-ac', '1', '-ar', String(SAMPLE_RATE), '-acodec', 'pcm_s16le');
  if (options.maxSeconds !== undefined) args.push('-t', String(options.maxSeconds));
  args.push('-f', 's16le', 'pipe:1');

  let child: ChildProcessByStdio<Writable, Readable, Readable>;
  try {
    child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    throw new FfmpegMissingError(`cannot start ffmpeg (${bin})`, { cause: err });
  }
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-2000);
  });
  let stoppedFull = false;
  child.stdout.on('data', (b: Buffer) => {
    if (stoppedFull) return;
    sink.push(b);
    if (sink.full) {
      // The cap is reached (ffmpeg's -t normally gets there first): stop it, keep what we have.
      stoppedFull = true;
      child.kill('SIGKILL');
    }
  });
  sink.attach?.({ pause: () => child.stdout.pause(), resume: () => child.stdout.resume() });

  let timedOut = false;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const onAbort = () => child.kill('SIGKILL');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  // ffmpeg may stop reading early (bad data): EPIPE on its stdin is expected then.
  const feeding = stdin
    ? pipeline(stdin, child.stdin).catch(() => undefined)
    : (child.stdin.end(), Promise.resolve());
  child.stdin.on('error', () => undefined);

  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c: number | null) => resolve(c));
    }).catch((err: unknown) => {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT' || e.code === 'EACCES') throw new FfmpegMissingError(`cannot start ffmpeg (${bin}): ${e.code}`, { cause: err });
      throw new AudioError('undecodable_audio', `ffmpeg failed: ${e.message}`, { cause: err });
    });
    await feeding;
    if (timedOut) throw new DecodeTimeoutError(timeoutMs);
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
    if (stoppedFull) return;
    if (code !== 0) {
      const detail = stderr.trim().split('\n').slice(-4).join('\n');
      throw new UndecodableAudioError(`audio could not be decoded${detail ? `: ${lastLine(detail)}` : ''}`, detail);
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

function lastLine(s: string): string {
  const l = s.split('\n').filter(Boolean).pop() ?? '';
  return l.replace(/^\[[^\]]*\]\s*/, '').slice(0, 200);
}
