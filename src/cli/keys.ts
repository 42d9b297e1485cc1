import { openAdminAdapters } from '../app.js';
import type { Config } from '../config.js';
import { createApiKey } from '../core/tenants.js';
import { systemClock } from '../core/ports/clock.js';

type KeysCommand =
  | { action: 'create'; tenant: string; env?: string }
  | { action: 'list'; tenant?: string }
  | { action: 'revoke'; keyId: string };

export async function runKeys(config: Config, cmd: KeysCommand): Promise<void> {
  // The database alone: managing keys needs no queue, storage or recogniser.
  const { store, audit: log, close } = await openAdminAdapters(config);
  // Key changes made here are audited like API requests (method and route null: the CLI).
  const audit = (action: string, tenantId: string, keyId: string) =>
    log.record({ at: systemClock.now(), tenantId, keyId, action, sessionId: null, method: null, route: null, status: null, ip: null, requestId: null });
  try {
    if (cmd.action === 'create') {
      const env = cmd.env ?? (config.env === 'production' ? 'live' : 'test');
      if (env !== 'live' && env !== 'test') throw new Error('--env must be live or test');
      if (!/^[A-Za-z0-9 ._-]{1,100}$/.test(cmd.tenant)) throw new Error('--tenant: 1–100 letters, digits, space, . _ -');
      const { key, keyId, tenant } = await createApiKey(store, systemClock, cmd.tenant, env);
      await audit('key.create', tenant.id, keyId);
      process.stdout.write(`Created key ${keyId} for tenant "${tenant.name}" (${tenant.id}). It is shown once; store it now:\n${key}\n`);
    } else if (cmd.action === 'list') {
      const tenant = cmd.tenant ? await store.findTenantByName(cmd.tenant) : undefined;
      if (cmd.tenant && !tenant) throw new Error(`no tenant named ${JSON.stringify(cmd.tenant)}`);
      for (const k of await store.listApiKeys(tenant?.id)) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active';
        process.stdout.write(`${k.id}\tsk_${k.environment}_${k.prefix}…\t${k.tenantId}\t${state}\tlast used ${k.lastUsedAt?.toISOString() ?? 'never'}\n`);
      }
    } else {
      const revoked = (await store.listApiKeys()).find((k) => k.id === cmd.keyId);
      if (!(await store.revokeApiKey(cmd.keyId, systemClock.now()))) throw new Error(`no active key ${JSON.stringify(cmd.keyId)}`);
      if (revoked) await audit('key.revoke', revoked.tenantId, revoked.id);
      process.stdout.write(`Revoked ${cmd.keyId}\n`);
    }
  } finally {
    await close();
  }
}
