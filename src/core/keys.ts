import { createHash, timingSafeEqual } from 'node:crypto';
import { randomAlphanumeric } from './ids.js';

/**
 * API keys: `sk_<env>_<prefix><secret>`. The first 8 characters after `sk_<env>_`
 * are stored in clear for lookup; the whole key only as a SHA-256 hash.
 */
export type KeyEnvironment = 'live' | 'test';
const KEY = /^sk_(live|test)_([A-Za-z0-9]{8})[A-Za-z0-9]{32}$/;

export function generateApiKey(environment: KeyEnvironment): { key: string; prefix: string; hash: string } {
  const body = randomAlphanumeric(40);
  const key = `sk_${environment}_${body}`;
  return { key, prefix: body.slice(0, 8), hash: hashApiKey(key) };
}

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** The lookup prefix of a well-formed key, or undefined. */
export function keyPrefix(key: string): string | undefined {
  return KEY.exec(key)?.[2];
}

export function hashesMatch(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A key or secret (`sk_live_…`, `whsec_…`) where an id was expected: never logged nor stored as one. */
export function looksLikeSecret(value: string): boolean {
  return /^(sk_(live|test)_|whsec_)/i.test(value);
}
