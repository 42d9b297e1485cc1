import { createApp } from '../app.js';
import type { Config } from '../config.js';
import { createApiKey } from '../core/tenants.js';
import { systemClock } from '../core/ports/clock.js';

export async function runServe(config: Config, roles: { api: boolean; worker: boolean }): Promise<void> {
  const app = await createApp({ ...config, worker: { ...config.worker, enabled: roles.worker } });
  let bootstrapKey: string | undefined;
  if (config.bootstrapDevKey && (await app.adapters.store.countTenants()) === 0) {
    bootstrapKey = (await createApiKey(app.adapters.store, systemClock, 'default', 'test')).key;
  }
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // Past the jobs' grace period, a request or socket that still holds the server open loses.
    setTimeout(() => {
      app.log.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 15_000).unref();
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  if (!roles.api) {
    app.log.info('worker running');
    return;
  }
  const address = await app.listen();
  process.stdout.write(`openscribe listening on ${address} (public URL ${config.publicUrl}; data in ${config.dataDir})\n`);
  process.stdout.write(`API reference: ${config.publicUrl}/voice/v1/docs\n`);
  if (bootstrapKey) {
    process.stdout.write(
      `First start: created tenant "default" with this API key (shown once):\n  export OPENSCRIBE_KEY=${bootstrapKey}\n`,
    );
  }
}
