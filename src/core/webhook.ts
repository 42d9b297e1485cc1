/** Webhook subscriptions, the events they receive and the log of their deliveries. */

export const WEBHOOK_EVENTS = [
  'session.started',
  'session.ended',
  'session.completed',
  'session.partial',
  'session.failed',
  'session.expired',
] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

export interface Webhook {
  tenantId: string;
  id: string;
  url: string;
  events: WebhookEventName[];
  /** Kept readable: the signature needs it. Shown to the client once, at creation. */
  secret: string | null;
  createdAt: Date;
  deletedAt: Date | null;
}

/** One outbox row: a state change to report, written in that change's transaction. */
export interface WebhookEvent {
  tenantId: string;
  id: string;
  sessionId: string;
  event: WebhookEventName;
  /** The exact JSON posted (and signed) on every attempt. */
  body: string;
  createdAt: Date;
}

/** `pending` until delivered (`succeeded`), given up on (`dead`) or its webhook deleted (`cancelled`). */
export type DeliveryStatus = 'pending' | 'succeeded' | 'dead' | 'cancelled';

export interface WebhookAttempt {
  attempt: number;
  at: Date;
  outcome: 'delivered' | 'retry' | 'rejected';
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

export interface WebhookDelivery {
  tenantId: string;
  id: string;
  webhookId: string;
  eventId: string;
  event: WebhookEventName;
  sessionId: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  lastLatencyMs: number | null;
  createdAt: Date;
  deliveredAt: Date | null;
  attemptLog: WebhookAttempt[];
}

/** Delay before attempt `n + 1` after `n` failed ones: ×4 per attempt from `baseMs`, capped, ±20 % jitter. */
export function webhookBackoffMs(failedAttempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const plain = Math.min(maxMs, baseMs * 4 ** Math.max(0, failedAttempts - 1));
  return Math.round(plain * (0.8 + random() * 0.4));
}
