import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Browsers cannot set headers on a WebSocket: the upload URL carries a short-lived token instead. */
export const STREAM_TOKEN_TTL_SEC = 600;

export interface StreamTokenClaims {
  tenantId: string;
  sessionId: string;
}

/** `<expiry>.<tenant, base64url>.<HMAC-SHA256 over tenant, session and expiry>` */
export class StreamTokens {
  constructor(
    private readonly secret: string,
    private readonly ttlSec = STREAM_TOKEN_TTL_SEC,
  ) {}

  private mac(tenantId: string, sessionId: string, exp: number): Buffer {
    return createHmac('sha256', this.secret).update(`${tenantId}\n${sessionId}\n${exp}`).digest();
  }

  sign(tenantId: string, sessionId: string, nowMs = Date.now()): string {
    const exp = Math.floor(nowMs / 1000) + this.ttlSec;
    return `${exp}.${Buffer.from(tenantId).toString('base64url')}.${this.mac(tenantId, sessionId, exp).toString('base64url')}`;
  }

  /** The tenant the token was issued to, or undefined when it is malformed, forged, for another session or expired. */
  verify(token: string, sessionId: string, nowMs = Date.now()): string | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 || !/^\d{1,12}$/.test(parts[0]!)) return undefined;
    const exp = Number(parts[0]);
    const now = Math.floor(nowMs / 1000);
    if (exp < now || exp > now + this.ttlSec + 60) return undefined;
    const tenantId = Buffer.from(parts[1]!, 'base64url').toString();
    const given = Buffer.from(parts[2]!, 'base64url');
    const want = this.mac(tenantId, sessionId, exp);
    return given.length === want.length && timingSafeEqual(given, want) ? tenantId : undefined;
  }
}

/**
 * The configured secret, else one generated once and kept in the data dir
 * (every API node of a deployment must share it: set OPENSCRIBE_STREAM_TOKEN_SECRET there).
 */
export function streamTokenSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'stream-token.secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    try {
      fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      return fs.readFileSync(file, 'utf8').trim(); // another process wrote it first
    }
  }
}
