/**
 * Request counts per key in fixed windows, shared by every process of a deployment
 * (so a tenant's budget is one budget however many API nodes serve it).
 */
export interface RateLimitCounter {
  /** Counts one request for `key` in the current window of `windowMs`; returns the count so far and when the window ends. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetAt: Date }>;
}
