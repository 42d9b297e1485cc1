/** 16 kHz mono signed 16-bit little-endian PCM: the one format past the decoder. */
export const SAMPLE_RATE = 16_000;
export const BYTES_PER_SAMPLE = 2;

export function samplesToSeconds(samples: number): number {
  return samples / SAMPLE_RATE;
}

export function secondsToSamples(seconds: number): number {
  return Math.round(seconds * SAMPLE_RATE);
}

/** Copies a byte buffer of s16le into a fresh, aligned Int16Array (host order is little-endian on every supported platform). */
export function bytesToInt16(buf: Uint8Array): Int16Array {
  const n = Math.floor(buf.byteLength / 2);
  const out = new Int16Array(n);
  new Uint8Array(out.buffer).set(buf.subarray(0, n * 2));
  return out;
}

/** The samples in [startSec, endSec), clamped; a view, not a copy. */
export function slicePcm(pcm: Int16Array, startSec: number, endSec: number): Int16Array {
  const a = Math.max(0, Math.min(pcm.length, secondsToSamples(startSec)));
  const b = Math.max(a, Math.min(pcm.length, secondsToSamples(endSec)));
  return pcm.subarray(a, b);
}

/** Root-mean-square level in dBFS (−Infinity for digital silence). */
export function rmsDbfs(pcm: Int16Array): number {
  if (pcm.length === 0) return -Infinity;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i]! / 32768;
    sum += v * v;
  }
  const rms = Math.sqrt(sum / pcm.length);
  return rms === 0 ? -Infinity : 20 * Math.log10(rms);
}

/**
 * Gathers s16le bytes as they stream out of a decoder, carrying an odd trailing
 * byte between pieces and dropping the first `skipSamples` samples.
 */
export class PcmCollector {
  private pieces: Buffer[] = [];
  private carry: Buffer | null = null;
  private toSkip: number;
  /** Samples seen, including skipped ones. */
  samplesSeen = 0;
  private kept = 0;

  constructor(
    skipSamples = 0,
    private readonly keep = true,
    /** Samples (skipped ones included) past which nothing more is taken: `full` turns true. */
    private readonly maxSamples = Number.POSITIVE_INFINITY,
  ) {
    this.toSkip = skipSamples * BYTES_PER_SAMPLE;
  }

  /** The cap was reached: the decoder had more to give than was asked for. */
  get full(): boolean {
    return this.samplesSeen >= this.maxSamples;
  }

  push(piece: Buffer): void {
    let buf = piece;
    if (this.carry) {
      buf = Buffer.concat([this.carry, piece]);
      this.carry = null;
    }
    const even = buf.length & ~1;
    if (even < buf.length) this.carry = buf.subarray(even);
    buf = buf.subarray(0, Math.min(even, Math.max(0, this.maxSamples - this.samplesSeen) * BYTES_PER_SAMPLE));
    this.samplesSeen += buf.length / BYTES_PER_SAMPLE;
    if (this.toSkip > 0) {
      const drop = Math.min(this.toSkip, buf.length);
      this.toSkip -= drop;
      buf = buf.subarray(drop);
    }
    if (buf.length === 0) return;
    this.kept += buf.length / BYTES_PER_SAMPLE;
    if (this.keep) this.pieces.push(Buffer.from(buf)); // copy: stdout pieces may be pooled
  }

  get keptSamples(): number {
    return this.kept;
  }

  toInt16(): Int16Array {
    const out = new Int16Array(this.kept);
    const bytes = new Uint8Array(out.buffer);
    let off = 0;
    for (const p of this.pieces) {
      bytes.set(p, off);
      off += p.length;
    }
    this.pieces = [];
    return out;
  }
}
