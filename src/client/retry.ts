/** Backoff and Retry-After rules shared by uploads and polling. Pure functions: testable without a clock. */

/** Seconds from a Retry-After header (delta-seconds or HTTP date); undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** Exponential backoff with ±20 % jitter: base·2^attempt, capped. `random` is injectable for tests. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const raw = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/**
 * Poll interval for Get Session: PROTOCOL.md says poll ~1 s. Start at 1 s and grow ×1.5 up to 5 s
 * so a long consultation does not cost hundreds of requests; a Retry-After always wins.
 */
export function pollDelayMs(attempt: number, opts: { initialMs?: number; maxMs?: number } = {}): number {
  const initial = opts.initialMs ?? 1000;
  const max = opts.maxMs ?? 5000;
  return Math.min(max, Math.round(initial * 1.5 ** attempt));
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
