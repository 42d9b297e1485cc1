import { segmentsFromProbabilities, type SpeechSegment } from '../../speech/audio/vad.js';

export const VAD_FRAME = 512;
const RATE = 16_000;

/** Speech probabilities of 512-sample frames; `warmup` leading samples prime the model's state. */
export type FrameScorer = (pcm: Int16Array) => Promise<Float32Array>;

export interface SegmenterOptions {
  minChunkSec?: number;
  maxChunkSec?: number;
  /** A pause at least this long (after minChunkSec) ends a chunk. */
  minPauseSec?: number;
}

const WARMUP_FRAMES = 16;

/**
 * Cuts a 16 kHz stream into speech-bounded chunks: after `minChunkSec`, at the
 * longest pause of at least `minPauseSec`; at `maxChunkSec`, at the longest pause
 * found at all (or hard). Frame probabilities are computed once per frame as audio
 * arrives (each batch re-primed with half a second of the audio before it).
 */
export class Segmenter {
  private buf = new Int16Array(RATE * 30);
  private len = 0;
  private probs: number[] = [];
  readonly minChunk: number;
  readonly maxChunk: number;
  readonly minPause: number;

  constructor(
    private readonly score: FrameScorer | undefined,
    opts: SegmenterOptions = {},
  ) {
    this.minChunk = Math.round((opts.minChunkSec ?? 10) * RATE);
    this.maxChunk = Math.round((opts.maxChunkSec ?? 25) * RATE);
    this.minPause = Math.round((opts.minPauseSec ?? 0.5) * RATE);
  }

  get bufferedSamples(): number {
    return this.len;
  }

  /** Appends audio; returns the chunks now complete (usually none). */
  async push(pcm: Int16Array): Promise<Int16Array[]> {
    if (this.len + pcm.length > this.buf.length) {
      const grown = new Int16Array(Math.max(this.buf.length * 2, this.len + pcm.length));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(pcm, this.len);
    this.len += pcm.length;
    const out: Int16Array[] = [];
    // Score in batches of ~1 s, only once a cut could be due soon.
    while (this.len >= this.minChunk - RATE) {
      const scoredSamples = this.probs.length * VAD_FRAME;
      if (this.len - scoredSamples >= RATE || this.len >= this.maxChunk) await this.scoreNewFrames();
      const cut = this.chooseCut();
      if (cut === undefined) break;
      out.push(this.take(cut));
    }
    return out;
  }

  /** Everything still buffered, as a last chunk (End Session, disconnect, stop). */
  drain(): Int16Array | undefined {
    if (this.len === 0) return undefined;
    return this.take(this.len);
  }

  private async scoreNewFrames(): Promise<void> {
    const whole = Math.floor(this.len / VAD_FRAME);
    if (whole <= this.probs.length) return;
    if (!this.score) {
      for (let f = this.probs.length; f < whole; f++) this.probs.push(1); // no VAD: speech everywhere, cuts fall at maxChunk
      return;
    }
    const from = Math.max(0, this.probs.length - WARMUP_FRAMES);
    const skip = this.probs.length - from;
    const scored = await this.score(this.buf.slice(from * VAD_FRAME, whole * VAD_FRAME));
    for (let i = skip; i < scored.length; i++) this.probs.push(scored[i]!);
  }

  private pauses(): { start: number; end: number }[] {
    const scoredSamples = this.probs.length * VAD_FRAME;
    const speech: SpeechSegment[] = segmentsFromProbabilities(Float32Array.from(this.probs), scoredSamples);
    const pauses: { start: number; end: number }[] = [];
    let cursor = 0;
    for (const s of speech) {
      const a = Math.round(s.start * RATE);
      if (a > cursor) pauses.push({ start: cursor, end: a });
      cursor = Math.max(cursor, Math.round(s.end * RATE));
    }
    if (scoredSamples > cursor) pauses.push({ start: cursor, end: scoredSamples });
    return pauses;
  }

  /** Where to cut (a frame boundary, samples), or undefined to wait for more audio. */
  private chooseCut(): number | undefined {
    const force = this.len >= this.maxChunk;
    if (!force && this.len < this.minChunk) return undefined;
    const lo = force ? Math.round(this.minChunk / 2) : this.minChunk;
    const hi = Math.min(this.len, this.maxChunk);
    let best: { start: number; end: number } | undefined;
    for (const p of this.pauses()) {
      const mid = (p.start + p.end) / 2;
      if (mid < lo || mid > hi) continue;
      if (!best || p.end - p.start > best.end - best.start) best = p;
    }
    if (best && (force || best.end - best.start >= this.minPause)) {
      const mid = Math.round((best.start + best.end) / 2 / VAD_FRAME) * VAD_FRAME;
      return Math.max(VAD_FRAME, Math.min(mid, this.len));
    }
    return force ? Math.floor(this.maxChunk / VAD_FRAME) * VAD_FRAME : undefined;
  }

  private take(samples: number): Int16Array {
    const chunk = this.buf.slice(0, samples);
    this.buf.copyWithin(0, samples, this.len);
    this.len -= samples;
    this.probs.splice(0, Math.min(this.probs.length, Math.floor(samples / VAD_FRAME)));
    if (samples % VAD_FRAME !== 0) this.probs = []; // off the frame grid: rescore what is left
    return chunk;
  }
}
