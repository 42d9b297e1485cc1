import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { FsBlobStore } from './adapters/blob/fs-blob-store.js';
import { migrateToLatest } from './adapters/db/migrations.js';
import { openSqlite } from './adapters/db/sqlite.js';
import { SqliteJobQueue } from './adapters/queue/sql-job-queue.js';
import { SqlSessionStore } from './adapters/store/sql-session-store.js';
import type { Config } from './config.js';
import { ApiKeyAuthenticator } from './core/auth.js';
import { buildDiscovery } from './core/discovery.js';
import { SessionService } from './core/sessions.js';
import { TemplateRegistry } from './core/templates/registry.js';
import { createMetrics } from './http/plugins/metrics.js';
import { buildServer } from './http/server.js';
import { createLogger } from './logger.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { BlobStore } from './ports/blob-store.js';
import type { JobQueue } from './ports/job-queue.js';
import type { SessionStore } from './ports/session-store.js';
import { PocketsphinxTranscriber } from './adapters/asr/pocketsphinx/index.js';
import { RulesExtractor } from './adapters/extract/rules/index.js';
import type { Transcriber } from './ports/transcriber.js';
import { processSession } from './worker/process-session.js';
import { startSweeper } from './worker/sweeper.js';
import { Worker } from './worker/worker.js';

/** The adapters a deployment runs on, chosen by configuration. */
export interface Adapters {
  store: SessionStore;
  blobs: BlobStore;
  queue: JobQueue;
}

export async function openAdapters(config: Config, clock: Clock = systemClock): Promise<Adapters> {
  const db = openSqlite(config.databasePath, config.sqliteSynchronous);
  await migrateToLatest(db);
  return {
    store: new SqlSessionStore(db),
    blobs: new FsBlobStore(config.blobDir),
    queue: new SqliteJobQueue(db, clock, {
      maxAttempts: config.worker.maxAttempts,
      backoff: { baseMs: 2_000, maxMs: 5 * 60_000 },
    }),
  };
}

/** The speech recogniser named by config; `auto` falls back to none when PocketSphinx is not installed. */
async function openTranscriber(config: Config, log: Logger): Promise<Transcriber | undefined> {
  if (config.transcriber === 'none') return undefined;
  try {
    const t = await PocketsphinxTranscriber.create();
    log.info({ transcriber: t.id, note: t.note }, 'speech recogniser ready');
    return t;
  } catch (err) {
    if (config.transcriber === 'pocketsphinx') throw err;
    log.warn({ err: (err as Error).message }, 'no speech recogniser available: sessions will finish failed (processing_failed)');
    return undefined;
  }
}

export interface App {
  config: Config;
  log: Logger;
  adapters: Adapters;
  server: FastifyInstance;
  worker: Worker | undefined;
  /** Listens on the configured host and port; resolves to the bound address. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** The composition root: wires adapters → core → http and worker. */
export async function createApp(config: Config, options: { clock?: Clock; log?: Logger } = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger(config.logLevel);
  const adapters = await openAdapters(config, clock);
  const { store, blobs, queue } = adapters;
  const templates = new TemplateRegistry();
  const sessions = new SessionService(store, blobs, queue, clock, config);
  const metrics = createMetrics(queue);

  const transcriber = config.worker.enabled ? await openTranscriber(config, log) : undefined;
  const extractor = new RulesExtractor();
  const pipeline = { store, blobs, clock, templates, transcriber, extractor, log, maxChunkDurationSeconds: config.maxChunkDurationSeconds };
  const worker = config.worker.enabled
    ? new Worker(queue, { 'process-session': (job) => processSession(pipeline, job) }, config.worker, log)
    : undefined;
  const sweeper = config.worker.enabled
    ? startSweeper({ store, blobs, queue, clock, log, retentionDays: config.audioRetentionDays }, config.sweepIntervalMs)
    : undefined;

  const server = await buildServer({
    log,
    sessions,
    authenticator: new ApiKeyAuthenticator(store, clock, config.keyCacheTtlMs),
    templates,
    discovery: buildDiscovery(config, { realtimeTranscription: false, speakerDiarization: false }),
    readiness: {
      async check() {
        const checks: Record<string, string> = {};
        checks.database = await store.ping().then(() => 'ok', (e: Error) => e.message);
        checks.storage = await blobs.ping().then(() => 'ok', (e: Error) => e.message);
        return checks;
      },
    },
    metrics,
    limits: {
      maxJsonBytes: config.maxJsonBytes,
      maxUploadBytes: Math.max(config.maxChunkBytes, config.maxSingleUploadBytes),
      rateLimitPerMinute: config.rateLimitPerMinute,
      publicUrl: config.publicUrl,
    },
  });
  worker?.start();

  return {
    config,
    log,
    adapters,
    server,
    worker,
    listen: () => server.listen({ host: config.host, port: config.port }),
    async close() {
      await server.close();
      await sweeper?.stop();
      await worker?.stop();
      await transcriber?.close?.();
      await store.close();
    },
  };
}
