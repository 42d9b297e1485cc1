import type { Clock } from './ports/clock.js';
import type { SessionStore } from './ports/session-store.js';
import { ProtocolError } from './errors.js';
import { hashApiKey, hashesMatch, keyPrefix } from './keys.js';

export interface Principal {
  tenantId: string;
  keyId: string;
}

const failed = () => new ProtocolError('authentication_failed', 'Missing or invalid API key');

/**
 * Resolves an API key to its tenant. Positive answers are cached for `ttlMs`
 * (by hash, never by key), so a revocation takes effect within that time.
 */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly store: SessionStore,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  async authenticate(key: string | undefined): Promise<Principal> {
    if (!key) throw failed();
    const prefix = keyPrefix(key);
    if (!prefix) throw failed();
    const hash = hashApiKey(key);
    const now = this.clock.now().getTime();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.principal;
    const candidates = await this.store.findApiKeysByPrefix(prefix);
    const match = candidates.find((c) => hashesMatch(c.hash, hash));
    if (!match) {
      this.cache.delete(hash);
      throw failed();
    }
    const principal = { tenantId: match.tenantId, keyId: match.id };
    if (this.ttlMs > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, { principal, until: now + this.ttlMs });
    }
    if ((this.touched.get(match.id) ?? 0) < now - 60_000) {
      this.touched.set(match.id, now);
      await this.store.touchApiKey(match.id, this.clock.now());
    }
    return principal;
  }
}

/** `Authorization: Bearer <key>` (Eka) or `X-API-Key: <key>` (MSA). */
export function credentialFrom(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}
