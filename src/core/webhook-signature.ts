/**
 * Webhook signatures: `X-MSA-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`
 * over `"<t>.<raw body>"`. The timestamp is signed too, so a captured request
 * cannot be replayed once it falls outside the tolerance window.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_SIGNATURE_HEADER = 'X-MSA-Signature';
export const WEBHOOK_EVENT_ID_HEADER = 'X-MSA-Event-Id';
export const WEBHOOK_EVENT_HEADER = 'X-MSA-Event';
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** Longer headers are refused unparsed (a receiver should not hash megabytes of junk). */
const MAX_HEADER_LENGTH = 4096;
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

function hmac(secret: string, timestampSec: number, rawBody: string | Buffer): Buffer {
  const h = createHmac('sha256', secret);
  h.update(`${timestampSec}.`);
  h.update(rawBody); // a string is hashed as UTF-8, the bytes that are sent
  return h.digest();
}

/** The `X-MSA-Signature` value for one attempt. Throws on a non-integer timestamp (a caller bug). */
export function signWebhook(secret: string, timestampSec: number, rawBody: string): string {
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) throw new RangeError('timestampSec must be a non-negative integer');
  return `t=${timestampSec},v1=${hmac(secret, timestampSec, rawBody).toString('hex')}`;
}

export type SignatureFailure =
  | 'no_secret'
  | 'invalid_body'
  | 'missing_header'
  | 'malformed_header'
  | 'timestamp_out_of_tolerance'
  | 'mismatch';
export type SignatureCheck = { ok: true; timestampSec: number } | { ok: false; reason: SignatureFailure };

export interface VerifyOptions {
  /** How far the signed time may be from now, either way. Default 300. */
  toleranceSeconds?: number;
  /** "Now" in unix seconds (tests, or a receiver with its own clock). */
  nowSec?: number;
}

function parse(header: string): { t: number; v1: string[] } | undefined {
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
      t = Number(value);
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value)) return undefined;
      v1.push(value);
    } // other schemes (v0, v2…) are ignored so they can be added later
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}

/**
 * Checks a signature header and says why it fails. Never throws. Any one `v1`
 * matching is enough (a sender rotating secrets may send several).
 */
export function checkWebhookSignature(
  rawBody: string | Buffer,
  header: string | undefined,
  secret: string,
  opts: VerifyOptions = {},
): SignatureCheck {
  // Runtime checks too: receivers may call this from untyped JavaScript.
  if (typeof secret !== 'string' || secret.length === 0) return { ok: false, reason: 'no_secret' };
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) return { ok: false, reason: 'invalid_body' };
  if (typeof header !== 'string' || header.length === 0) return { ok: false, reason: 'missing_header' };
  if (header.length > MAX_HEADER_LENGTH) return { ok: false, reason: 'malformed_header' };
  const parsed = parse(header);
  if (!parsed) return { ok: false, reason: 'malformed_header' };

  const tolerance = opts?.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS;
  const now = opts?.nowSec ?? Math.floor(Date.now() / 1000);
  if (!(Math.abs(now - parsed.t) <= tolerance)) return { ok: false, reason: 'timestamp_out_of_tolerance' };

  const expected = hmac(secret, parsed.t, rawBody);
  let match = false;
  for (const candidate of parsed.v1) {
    const given = Buffer.from(candidate, 'hex');
    // timingSafeEqual throws on unequal lengths; the regex makes them equal, this keeps it so.
    if (given.length === expected.length && timingSafeEqual(given, expected)) match = true;
  }
  return match ? { ok: true, timestampSec: parsed.t } : { ok: false, reason: 'mismatch' };
}

/**
 * True when `header` is a valid signature of `rawBody` (the exact bytes received,
 * before any JSON parsing) under `secret`, made within the tolerance window.
 * Use {@link checkWebhookSignature} to learn why it is not.
 */
export function verifyWebhookSignature(
  rawBody: string | Buffer,
  header: string | undefined,
  secret: string,
  opts?: VerifyOptions,
): boolean {
  return checkWebhookSignature(rawBody, header, secret, opts).ok;
}
