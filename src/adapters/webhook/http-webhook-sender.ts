/**
 * WebhookSender over node:http/https: one signed POST, no redirects, one
 * deadline for connect + answer, and the SSRF guard applied at connect time.
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import {
  WEBHOOK_EVENT_HEADER,
  WEBHOOK_EVENT_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  signWebhook,
} from '../../core/webhook-signature.js';
import type { WebhookOutcome, WebhookRequest, WebhookSender } from '../../core/ports/webhook-sender.js';
import { isTransientStatus } from '../../core/outbound-http.js';
import { DisallowedAddressError, disallowedRange, guardedLookup, ipLiteral, resolveChecked, type LookupFn } from './address-guard.js';
import { parseRetryAfter } from './retry-after.js';

export interface HttpWebhookSenderOptions {
  /** Deadline for the whole request: connect, send, status and (capped) body. Default 10 000. */
  timeoutMs?: number;
  /** Allow private, loopback and link-local receivers (development, on-premises only). */
  allowPrivate: boolean;
  userAgent: string;
  /** Resolver to use instead of `dns.lookup` (tests, custom DNS); the guard still applies. */
  lookup?: LookupFn;
}

/** Receivers' answers are read and dropped up to this much, then the socket is closed. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_ERROR_LENGTH = 200;

type Target = { url: URL } | { reason: string };

/** Checks that need no DNS. Reasons name the host at most: a URL's path and query may hold secrets. */
function parseTarget(raw: string): Target {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { reason: 'the URL does not parse' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { reason: `scheme ${url.protocol.slice(0, -1)} is not http or https` };
  if (url.username || url.password) return { reason: 'the URL carries credentials' };
  if (!url.hostname) return { reason: 'the URL has no host' };
  return { url };
}

function literalRefusal(url: URL, allowPrivate: boolean): string | undefined {
  const ip = ipLiteral(url.hostname);
  if (!ip || allowPrivate) return undefined;
  const range = disallowedRange(ip);
  return range ? new DisallowedAddressError(ip, ip, range).message : undefined;
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

function outcomeFor(status: number | undefined, retryAfterMs: number | undefined, latencyMs: number): WebhookOutcome {
  if (status === undefined) return { kind: 'retry', latencyMs, error: 'no status code' };
  if (status >= 200 && status < 300) return { kind: 'delivered', statusCode: status, latencyMs };
  if (isTransientStatus(status)) {
    return { kind: 'retry', statusCode: status, latencyMs, error: `HTTP ${status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (status >= 300 && status < 400) return { kind: 'rejected', statusCode: status, latencyMs, error: `HTTP ${status}: redirects are not followed` };
  return { kind: 'rejected', statusCode: status, latencyMs, error: `HTTP ${status}` };
}

export class HttpWebhookSender implements WebhookSender {
  private readonly timeoutMs: number;
  private readonly allowPrivate: boolean;
  private readonly userAgent: string;
  private readonly resolver: LookupFn | undefined;
  private readonly lookup: ReturnType<typeof guardedLookup>;

  constructor(options: HttpWebhookSenderOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.allowPrivate = options.allowPrivate;
    this.userAgent = options.userAgent;
    this.resolver = options.lookup;
    this.lookup = guardedLookup(this.allowPrivate, this.resolver);
  }

  async checkDestination(raw: string): Promise<string | undefined> {
    const target = parseTarget(raw);
    if ('reason' in target) return target.reason;
    const { hostname } = target.url;
    if (ipLiteral(hostname)) return literalRefusal(target.url, this.allowPrivate);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), this.timeoutMs);
    });
    try {
      // A stuck resolver must not hold up the caller (an API request) past the usual deadline.
      await Promise.race([resolveChecked(hostname, this.allowPrivate, undefined, this.resolver), deadline]);
      return undefined;
    } catch (err) {
      if (err instanceof DisallowedAddressError) return err.message;
      return `host ${hostname} does not resolve${err instanceof Error && err.message === 'timed out' ? ' (timed out)' : ''}`;
    } finally {
      clearTimeout(timer);
    }
  }

  async send(request: WebhookRequest): Promise<WebhookOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const target = parseTarget(request.url);
      if ('reason' in target) return { kind: 'rejected', latencyMs: elapsed(), error: target.reason };
      // node skips `lookup` for IP literals, so those are checked here.
      const refusal = literalRefusal(target.url, this.allowPrivate);
      if (refusal) return { kind: 'rejected', latencyMs: elapsed(), error: refusal };

      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(request.body)),
        'User-Agent': this.userAgent,
        [WEBHOOK_EVENT_ID_HEADER]: request.eventId,
        [WEBHOOK_EVENT_HEADER]: request.event,
      };
      if (request.secret) headers[WEBHOOK_SIGNATURE_HEADER] = signWebhook(request.secret, request.timestampSec, request.body);
      return await this.post(target.url, headers, request.body, elapsed);
    } catch (err) {
      // A request node refuses to build (e.g. a control character in a header) will not improve.
      return { kind: 'rejected', latencyMs: elapsed(), error: errorText(err) };
    }
  }

  private post(url: URL, headers: Record<string, string>, body: string, elapsed: () => number): Promise<WebhookOutcome> {
    return new Promise((resolve) => {
      let settled = false;
      let answer: { status: number | undefined; retryAfterMs: number | undefined } | undefined;
      const finish = (outcome: WebhookOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy(); // drop whatever is left; agent:false means no pooled socket to keep
        resolve(outcome);
      };
      const finishAnswered = () => answer && finish(outcomeFor(answer.status, answer.retryAfterMs, elapsed()));

      const req = (url.protocol === 'https:' ? https : http).request({
        protocol: url.protocol,
        hostname: ipLiteral(url.hostname) ?? url.hostname,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers,
        // A fresh connection each time: a pooled socket might have been opened under other rules.
        agent: false,
        lookup: this.lookup,
      });

      const timer = setTimeout(() => {
        if (answer) finishAnswered(); // the status is known; only the body was slow
        else finish({ kind: 'retry', latencyMs: elapsed(), error: `timed out after ${this.timeoutMs} ms` });
      }, this.timeoutMs);

      req.on('error', (err) => {
        if (answer) return finishAnswered();
        if (err instanceof DisallowedAddressError) finish({ kind: 'rejected', latencyMs: elapsed(), error: err.message });
        else finish({ kind: 'retry', latencyMs: elapsed(), error: errorText(err) });
      });
      req.on('response', (res) => {
        answer = { status: res.statusCode, retryAfterMs: parseRetryAfter(res.headers['retry-after'], Date.now()) };
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) finishAnswered();
        });
        res.on('end', finishAnswered);
        res.on('error', finishAnswered);
        res.on('close', finishAnswered);
      });
      req.end(body);
    });
  }
}
