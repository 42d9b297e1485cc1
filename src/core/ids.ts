import { randomBytes } from 'node:crypto';

// In ASCII order, so that time digits written with it sort as strings do (timeOrderedId).
const ALPHANUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// Random bytes are drawn from the CSPRNG 4 KB at a time, as crypto.randomUUID does: one
// synchronous call per id was a visible share of an upload's main-thread time.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

function randomByte(): number {
  if (poolAt >= pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  return pool[poolAt++]!;
}

/** Random [A-Za-z0-9] string; rejection sampling keeps it unbiased. */
export function randomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte < 248) out += ALPHANUM[byte % 62];
  }
  return out;
}

/**
 * A prefix, the time in ms (8 base62 digits, sortable until the year 8900) and 12 random
 * characters: rows keyed by it are appended at the end of their index instead of landing on
 * a random page, so a commit writes fewer pages.
 */
function timeOrderedId(prefix: string, ms = Date.now()): string {
  let time = '';
  for (let i = 0; i < 8; i++, ms = Math.floor(ms / 62)) time = ALPHANUM[ms % 62]! + time;
  return `${prefix}${time}${randomAlphanumeric(12)}`;
}

/** A UUID version 7 (RFC 9562): time-ordered, for the same reason as timeOrderedId. */
export function uuidV7(ms = Date.now()): string {
  const b = Buffer.alloc(16);
  b.writeUIntBE(ms, 0, 6);
  for (let i = 6; i < 16; i++) b[i] = randomByte();
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const newSessionId = (): string => `ses_${randomAlphanumeric(20)}`;
export const newTenantId = (): string => `ten_${randomAlphanumeric(16)}`;
export const newKeyId = (): string => `key_${randomAlphanumeric(16)}`;
export const newJobId = (): string => timeOrderedId('job_');

/** Client-supplied session ids: 16–32 URL-safe characters. */
export const CLIENT_SESSION_ID = /^[A-Za-z0-9_-]{16,32}$/;
/** Anything we will even look up; everything else is a 404 without touching storage. */
export const LOOKUP_SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;
