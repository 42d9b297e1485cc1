import type { Clock } from './ports/clock.js';
import type { SessionStore, Tenant } from './ports/session-store.js';
import { newKeyId, newTenantId } from './ids.js';
import { generateApiKey, type KeyEnvironment } from './keys.js';

/** Tenants and their keys, for the CLI and first-start bootstrap. The key is returned once, never stored. */
export async function createApiKey(
  store: SessionStore,
  clock: Clock,
  tenantName: string,
  environment: KeyEnvironment,
): Promise<{ key: string; keyId: string; tenant: Tenant }> {
  let tenant = await store.findTenantByName(tenantName);
  if (!tenant) {
    tenant = { id: newTenantId(), name: tenantName, createdAt: clock.now() };
    await store.createTenant(tenant);
  }
  const { key, prefix, hash } = generateApiKey(environment);
  const keyId = newKeyId();
  await store.insertApiKey({
    id: keyId,
    tenantId: tenant.id,
    prefix,
    hash,
    environment,
    createdAt: clock.now(),
    revokedAt: null,
    lastUsedAt: null,
  });
  return { key, keyId, tenant };
}
