/** A tiny fetch wrapper for the session API (same origin). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
  /** Worth trying again: the network, the server being busy, or a rate limit. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export interface Answer<T = any> {
  status: number;
  body: T;
}

const BASE = '/voice/v1';

export async function call<T = any>(key: string, method: string, path: string, body?: BodyInit | object, contentType?: string): Promise<Answer<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  let payload: BodyInit | undefined;
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    payload = body;
    headers['content-type'] = contentType ?? 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(`${BASE}${path}`, { method, headers, body: payload, cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'network_error', `Network error: ${(err as Error).message}`);
  }
  const text = await res.text().catch(() => '');
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (res.status >= 400 && res.status !== 410) {
    const e = parsed?.error;
    throw new ApiError(res.status, e?.code ?? 'http_error', e?.message ?? `HTTP ${res.status}`);
  }
  return { status: res.status, body: parsed as T };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `fn` until it succeeds or fails for a reason retrying cannot fix; backoff 0.5 s ×2 up to 8 s. */
export async function withRetry<T>(fn: () => Promise<T>, onRetry?: (err: ApiError, attempt: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ApiError) || !err.retryable) throw err;
      onRetry?.(err, attempt);
      await sleep(Math.min(8000, 500 * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4));
    }
  }
}

export async function discover(): Promise<Record<string, any>> {
  const res = await fetch(`${BASE}/.well-known/medscribealliance`);
  return res.ok ? res.json() : {};
}

/** Get Session until it is finished (not 202); backoff 1 s ×1.5 up to 5 s, errors retried. */
export async function waitForResult(key: string, id: string, onProgress: (body: any) => void): Promise<Answer> {
  let delay = 1000;
  for (;;) {
    const r = await withRetry(() => call(key, 'GET', `/sessions/${encodeURIComponent(id)}`));
    if (r.status !== 202) return r;
    onProgress(r.body);
    await sleep(delay);
    delay = Math.min(5000, delay * 1.5);
  }
}
