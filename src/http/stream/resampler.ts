/**
 * Streaming linear-interpolation resampler to 16 kHz. Good enough for speech
 * recognition from telephony rates (8 kHz up-sampling); it keeps its phase
 * across frames so the output length tracks the input duration exactly.
 */
export class StreamResampler {
  private readonly step: number;
  private prev = 0;
  /** Position of the next output sample, in input samples, where index −1 is `prev`. */
  private pos = 0;

  constructor(
    readonly inRate: number,
    readonly outRate = 16_000,
  ) {
    this.step = inRate / outRate;
  }

  push(input: Int16Array): Int16Array {
    if (this.inRate === this.outRate || input.length === 0) return input;
    const n = input.length;
    const out = new Int16Array(Math.ceil((n - this.pos + 1) / this.step) + 1);
    let k = 0;
    // x[-1] = prev, x[0..n-1] = input; interpolate between x[i] and x[i+1].
    while (this.pos < n - 1) {
      const i = Math.floor(this.pos);
      const f = this.pos - i;
      const a = i < 0 ? this.prev : input[i]!;
      const b = input[i + 1]!;
      out[k++] = Math.round(a + (b - a) * f);
      this.pos += this.step;
    }
    this.pos -= n;
    this.prev = input[n - 1]!;
    return out.subarray(0, k);
  }
}
