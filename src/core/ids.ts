import { randomBytes } from 'node:crypto';

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random [A-Za-z0-9] string; rejection sampling keeps it unbiased. */
export function randomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHANUM[byte % 62];
    }
  }
  return out;
}

export const newSessionId = (): string => `ses_${randomAlphanumeric(20)}`;
export const newTenantId = (): string => `ten_${randomAlphanumeric(16)}`;
export const newKeyId = (): string => `key_${randomAlphanumeric(16)}`;
export const newJobId = (): string => `job_${randomAlphanumeric(20)}`;

/** Client-supplied session ids: 16–32 URL-safe characters. */
export const CLIENT_SESSION_ID = /^[A-Za-z0-9_-]{16,32}$/;
/** Anything we will even look up; everything else is a 404 without touching storage. */
export const LOOKUP_SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;
