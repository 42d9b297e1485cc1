/** Webhook delivery port: one signed POST to a receiver, and the address check behind it. */

export interface WebhookRequest {
  url: string;
  /** The raw JSON body, exactly as signed and sent. */
  body: string;
  /** Stable across retries (`X-MSA-Event-Id`), so receivers can dedupe. */
  eventId: string;
  event: string;
  /** When present, the request carries `X-MSA-Signature: t=…,v1=…`. */
  secret?: string;
  /** Unix seconds put in the signature (the time of this attempt). */
  timestampSec: number;
}

export type WebhookOutcome =
  /** 2xx. */
  | { kind: 'delivered'; statusCode: number; latencyMs: number }
  /** Network error, timeout, 5xx, 408 or 429: try again later (`retryAfterMs` from `Retry-After`). */
  | { kind: 'retry'; statusCode?: number; latencyMs: number; error: string; retryAfterMs?: number }
  /** Will not succeed by retrying: other 4xx, a redirect, a refused address. */
  | { kind: 'rejected'; statusCode?: number; latencyMs: number; error: string };

export interface WebhookSender {
  /** Never throws for receiver trouble: every failure is an outcome. */
  send(request: WebhookRequest): Promise<WebhookOutcome>;
  /**
   * Resolves the URL's host and says why it may not be used (private, loopback,
   * link-local or metadata address, bad scheme), or undefined when it may.
   */
  checkDestination(url: string): Promise<string | undefined>;
}
