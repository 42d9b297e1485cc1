/**
 * Thrown by a store adapter when its database cannot be reached (connection refused,
 * terminated, pool timeout). The operation may succeed later: HTTP answers 503 with
 * Retry-After, loops log and try again on their next round.
 */
export class StoreUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

export const isStoreUnavailable = (err: unknown): err is StoreUnavailableError => err instanceof StoreUnavailableError;
