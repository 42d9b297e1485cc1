export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Delay before retrying a job that failed its `attempts`-th run: doubling from `baseMs`, capped, ±20 % jitter. */
export function retryDelayMs(attempts: number, { baseMs, maxMs }: BackoffPolicy): number {
  return Math.min(maxMs, baseMs * 2 ** (attempts - 1)) * (0.8 + Math.random() * 0.4);
}
