/**
 * OpenScribeClient: the typed SDK for the session protocol. Uses only the global `fetch`
 * (Node ≥ 20, browsers), so it runs anywhere; nothing server-side is imported at runtime.
 */
import { errorFromResponse, NetworkError, OpenScribeError, SessionExpiredError, SessionNotFoundError } from './errors.js';
import { backoffMs, parseRetryAfter, pollDelayMs, realSleep, type Sleep } from './retry.js';
import type {
  CreateSessionRequest,
  CreateSessionResponse,
  CreateWebhookRequest,
  CreateWebhookResponse,
  Discovery,
  EndSessionResponse,
  GetSessionResult,
  SessionView,
  TemplatesResponse,
  UploadResponse,
  Webhook,
} from './types.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface OpenScribeClientOptions {
  /** Server origin, e.g. `https://scribe.example.org` (`/voice/v1` is added). */
  baseUrl: string;
  apiKey: string;
  fetch?: FetchLike;
  /** Retries of an upload after a 5xx, 429 or network error. Default 4. */
  retries?: number;
  /** Sent as `MSA-Version` when set. */
  msaVersion?: string;
  /** First retry delay; doubles per attempt (±20 %), capped at 30 s. Default 500 ms. */
  retryBaseMs?: number;
  /** Injected for tests: how the client waits. */
  sleep?: Sleep;
  random?: () => number;
  /** WebSocket constructor for streamAudio (Node 20 has no global one: pass `ws`). */
  WebSocket?: WebSocketLike;
}

export interface WaitOptions {
  signal?: AbortSignal;
  onProgress?: (session: SessionView, httpStatus: number) => void;
  /** First poll delay (default 1000 ms), grows ×1.5 to maxIntervalMs (default 5000 ms). */
  initialIntervalMs?: number;
  maxIntervalMs?: number;
  templateId?: string;
}

/** The minimal WebSocket surface streamAudio needs (browser WebSocket, Node 22 global, or `ws`). */
export type WebSocketLike = new (url: string, protocols?: string | string[]) => {
  binaryType: string;
  readyState: number;
  send(data: ArrayBufferView | ArrayBuffer | string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  bufferedAmount?: number;
};

export interface StreamOptions {
  /** Server messages (`chunk_stored`, `transcript`, `error`, …), parsed JSON. */
  onMessage?: (msg: Record<string, unknown>) => void;
  /** Pace frames at real time × this factor (16 kHz, 16-bit). 0 = as fast as possible. Default 1. */
  realtimeFactor?: number;
  signal?: AbortSignal;
}

const API = '/voice/v1';
const RETRYABLE = (status: number) => status === 429 || status >= 500;

export class OpenScribeClient {
  readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly fetchFn: FetchLike;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly msaVersion: string | undefined;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly WS: WebSocketLike | undefined;

  constructor(opts: OpenScribeClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '').replace(/\/voice\/v1$/, '');
    this.apiKey = opts.apiKey;
    const f = opts.fetch ?? (globalThis.fetch as FetchLike | undefined);
    if (!f) throw new Error('no fetch available: pass options.fetch');
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.retries = opts.retries ?? 4;
    this.retryBaseMs = opts.retryBaseMs ?? 500;
    this.msaVersion = opts.msaVersion;
    this.sleep = opts.sleep ?? realSleep;
    this.random = opts.random ?? Math.random;
    this.WS = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketLike }).WebSocket;
  }

  discover(): Promise<Discovery> {
    return this.json('GET', '/.well-known/medscribealliance', undefined, { auth: false });
  }

  createSession(body: CreateSessionRequest): Promise<CreateSessionResponse> {
    return this.json('POST', '/sessions', body);
  }

  /** Uploads one chunk; retried after 5xx/429/network errors (a re-sent chunk replaces its sequence number). */
  async uploadChunk(sessionId: string, fileName: string, bytes: Uint8Array | Blob, mimeType: string, opts: { signal?: AbortSignal } = {}): Promise<UploadResponse> {
    const path = `/sessions/${enc(sessionId)}/audio/${enc(fileName)}`;
    const body = bytes instanceof Uint8Array ? new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mimeType }) : bytes;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.raw('POST', path, { body, contentType: mimeType, signal: opts.signal });
      } catch (err) {
        if (opts.signal?.aborted || attempt >= this.retries) throw err;
        await this.sleep(backoffMs(attempt, this.retryBaseMs, 30_000, this.random), opts.signal);
        continue;
      }
      if (res.ok) return (await res.json()) as UploadResponse;
      const err = await this.toError(res);
      if (!RETRYABLE(res.status) || attempt >= this.retries) throw err;
      await this.sleep(this.retryDelay(attempt, err), opts.signal);
    }
  }

  endSession(sessionId: string, body: { audioFilesSent: number }): Promise<EndSessionResponse> {
    return this.json('POST', `/sessions/${enc(sessionId)}/end`, { audio_files_sent: body.audioFilesSent });
  }

  /** One poll. 202/200/206 resolve (the status is the signal); 404, 410 and other errors throw typed errors. */
  async getSession(sessionId: string, opts: { templateId?: string; signal?: AbortSignal } = {}): Promise<GetSessionResult> {
    const q = opts.templateId ? `?template_id=${enc(opts.templateId)}` : '';
    const res = await this.raw('GET', `/sessions/${enc(sessionId)}${q}`, { signal: opts.signal });
    if (res.status === 200 || res.status === 202 || res.status === 206) return { status: res.status, body: (await res.json()) as SessionView };
    throw await this.toError(res);
  }

  /**
   * Polls Get Session until the session is finished (200 completed/failed, 206 partial).
   * Rejects with SessionExpiredError (410) or SessionNotFoundError (404); 429/5xx/network errors are waited out.
   */
  async waitForResult(sessionId: string, opts: WaitOptions = {}): Promise<GetSessionResult> {
    let transient = 0;
    for (let attempt = 0; ; attempt++) {
      let delay = pollDelayMs(attempt, { initialMs: opts.initialIntervalMs, maxMs: opts.maxIntervalMs });
      try {
        const r = await this.getSession(sessionId, { templateId: opts.templateId, signal: opts.signal });
        transient = 0;
        opts.onProgress?.(r.body, r.status);
        if (r.status !== 202) return r;
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        if (err instanceof SessionExpiredError || err instanceof SessionNotFoundError) throw err;
        const retryable = err instanceof NetworkError || (err instanceof OpenScribeError && RETRYABLE(err.status));
        if (!retryable || transient >= Math.max(this.retries, 10)) throw err;
        delay = Math.max(delay, this.retryDelay(transient++, err as OpenScribeError));
      }
      await this.sleep(delay, opts.signal);
    }
  }

  listTemplates(): Promise<TemplatesResponse> {
    return this.json('GET', '/templates');
  }

  createWebhook(body: CreateWebhookRequest): Promise<CreateWebhookResponse> {
    return this.json('POST', '/webhooks', body);
  }

  async listWebhooks(): Promise<Webhook[]> {
    return (await this.json<{ webhooks: Webhook[] }>('GET', '/webhooks')).webhooks;
  }

  async deleteWebhook(webhookId: string): Promise<void> {
    const res = await this.raw('DELETE', `/webhooks/${enc(webhookId)}`);
    if (!res.ok) throw await this.toError(res);
    await res.body?.cancel();
  }

  /**
   * Streams 16-bit little-endian mono PCM at 16 kHz over the session's WebSocket.
   * `sessionOrUrl`: the Create Session response of an `upload_type: "stream"` session (its
   * `upload_url` carries a token, so this works in browsers), or a ws(s):// URL. Closes the socket
   * when the source ends; resolves with the close code. Then call endSession as usual.
   */
  async streamAudio(
    sessionOrUrl: string | { upload_url: string },
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    opts: StreamOptions = {},
  ): Promise<{ code: number; reason: string }> {
    const WS = this.WS;
    if (!WS) throw new Error('no WebSocket available: pass options.WebSocket (e.g. the `ws` package on Node 20)');
    const url = typeof sessionOrUrl === 'string' ? sessionOrUrl : sessionOrUrl.upload_url;
    const ws = new WS(url.replace(/^http/, 'ws'));
    ws.binaryType = 'arraybuffer';
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      ws.onclose = (ev) => resolve({ code: ev.code, reason: ev.reason });
    });
    let failure: OpenScribeError | undefined;
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(ev.data) as Record<string, unknown>;
      } catch {
        return;
      }
      if (msg.type === 'error') failure ??= errorFromResponse(0, { error: { code: msg.code, message: msg.message } });
      opts.onMessage?.(msg);
    };
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new NetworkError(`WebSocket to ${redact(url)} failed`));
      void closed.then((c) => reject(new NetworkError(`WebSocket closed before open (${c.code})`)));
    });
    const factor = opts.realtimeFactor ?? 1;
    const started = Date.now();
    let sentBytes = 0;
    for await (const frame of source) {
      if (opts.signal?.aborted || failure || ws.readyState !== 1) break;
      ws.send(frame);
      sentBytes += frame.byteLength;
      if (factor > 0) {
        const due = started + (sentBytes / 32_000) * 1000 / factor;
        const wait = due - Date.now();
        if (wait > 0) await this.sleep(wait, opts.signal).catch(() => undefined);
      }
    }
    if (ws.readyState === 1) ws.close(1000, 'done');
    const result = await closed;
    if (failure) throw failure;
    return result;
  }

  // — plumbing —

  private retryDelay(attempt: number, err: OpenScribeError): number {
    const backoff = backoffMs(attempt, this.retryBaseMs, 30_000, this.random);
    return err.retryAfterSeconds !== undefined ? Math.max(backoff, err.retryAfterSeconds * 1000) : backoff;
  }

  private async json<T>(method: string, path: string, body?: unknown, opts: { auth?: boolean } = {}): Promise<T> {
    const res = await this.raw(method, path, {
      body: body === undefined ? undefined : JSON.stringify(body),
      contentType: body === undefined ? undefined : 'application/json',
      auth: opts.auth,
    });
    if (!res.ok) throw await this.toError(res);
    return (await res.json()) as T;
  }

  private async raw(
    method: string,
    path: string,
    opts: { body?: string | Blob; contentType?: string; signal?: AbortSignal; auth?: boolean } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.auth !== false) headers.authorization = `Bearer ${this.apiKey}`;
    if (opts.contentType) headers['content-type'] = opts.contentType;
    if (this.msaVersion) headers['msa-version'] = this.msaVersion;
    try {
      return await this.fetchFn(`${this.baseUrl}${API}${path}`, { method, headers, body: opts.body, signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw new NetworkError(`${method} ${path} failed: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }

  private async toError(res: Response): Promise<OpenScribeError> {
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    return errorFromResponse(res.status, body, parseRetryAfter(res.headers.get('retry-after')));
  }
}

const enc = encodeURIComponent;
/** Stream URLs carry a token: never put it in an error message. */
const redact = (url: string) => url.replace(/([?&]token=)[^&]*/, '$1…');
