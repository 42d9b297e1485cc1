/**
 * Thrown by a storage adapter when its disk (or quota) is full. The request was fine and
 * nothing half-written is kept: HTTP answers 507 insufficient_storage; retry once space returns.
 */
export class StorageFullError extends Error {
  constructor(message = 'Storage is full', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageFullError';
  }
}

const FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** True for an errno / SQLite error that means "no space left". */
export const isStorageFullCode = (err: unknown): boolean => FULL_CODES.has(String((err as { code?: unknown } | undefined)?.code));
