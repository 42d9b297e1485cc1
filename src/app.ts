import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { EncryptingBlobStore } from './adapters/blob/encrypting-blob-store.js';
import { openBlobStore, openRawBlobStore, type WalkableBlobStore } from './adapters/blob/open.js';
import { openDatabase } from './adapters/db/open.js';
import { migrateToLatest } from './adapters/db/migrations.js';
import { openJobQueue } from './adapters/queue/open.js';
import { SqlAuditLog } from './adapters/audit/sql-audit-log.js';
import { SqlRateLimitCounter } from './adapters/ratelimit/sql-rate-limit-counter.js';
import { SqlSessionStore } from './adapters/store/sql-session-store.js';
import { SqlWebhookStore } from './adapters/store/sql-webhook-store.js';
import { HttpWebhookSender } from './adapters/webhook/http-webhook-sender.js';
import type { Config } from './config.js';
import { ApiKeyAuthenticator } from './core/auth.js';
import { buildDiscovery } from './core/discovery.js';
import { SessionEvents } from './core/session-events.js';
import { leaseFor } from './core/jobs.js';
import { SessionService } from './core/sessions.js';
import { TemplateRegistry } from './core/templates/registry.js';
import { WebhookService } from './core/webhooks.js';
import { createMetrics } from './http/plugins/metrics.js';
import { RequestsInFlight } from './http/requests-in-flight.js';
import { buildServer } from './http/server.js';
import { StreamRegistry } from './http/stream/registry.js';
import { StreamTokens, streamTokenSecret } from './http/stream/token.js';
import { sharedVadScorer } from './http/stream/vad-scorer.js';
import { createLogger } from './logger.js';
import { systemClock, type Clock } from './core/ports/clock.js';
import type { AuditLog } from './core/ports/audit-log.js';
import type { BlobStore } from './core/ports/blob-store.js';
import type { JobQueue } from './core/ports/job-queue.js';
import type { RateLimitCounter } from './core/ports/rate-limit-counter.js';
import type { SessionStore } from './core/ports/session-store.js';
import type { WebhookStore } from './core/ports/webhook-store.js';
import { describeConfiguredTranscriber, openTranscriber } from './speech/recognisers/select.js';
import { useConfiguredFfmpeg } from './speech/audio/ffmpeg.js';
import { selectExtractor } from './extraction/select.js';
import { ChunkTranscriber } from './worker/chunk-transcriber.js';
import { WebhookDeliverer } from './worker/deliver-webhook.js';
import { processSession } from './worker/process-session.js';
import { transcribeChunk } from './worker/transcribe-chunk.js';
import { startSweeper } from './worker/sweeper.js';
import { Worker } from './worker/worker.js';

/** The adapters a deployment runs on, chosen by configuration. */
export interface Adapters {
  store: SessionStore;
  blobs: BlobStore;
  queue: JobQueue;
  webhooks: WebhookStore;
  /** Rate-limit counts shared by every API process: PostgreSQL only (embedded is one process, counted in memory). */
  rateLimitCounter?: RateLimitCounter;
  audit: AuditLog;
  /** Closes the queue, then the database. */
  close(): Promise<void>;
}

export async function openAdapters(config: Config, clock: Clock = systemClock, log?: Logger): Promise<Adapters> {
  const database = await openDatabase(config, { log });
  const { db, dialect } = database;
  const jobs = await openJobQueue(config, db, dialect, clock).catch(async (err: unknown) => {
    await database.close();
    throw err;
  });
  return {
    store: new SqlSessionStore(db),
    webhooks: new SqlWebhookStore(db),
    blobs: await openBlobStore(config),
    queue: jobs.queue,
    rateLimitCounter: dialect === 'postgres' ? new SqlRateLimitCounter(db, clock) : undefined,
    audit: new SqlAuditLog(db),
    async close() {
      await jobs.close();
      await database.close();
    },
  };
}

export interface App {
  config: Config;
  log: Logger;
  adapters: Adapters;
  server: FastifyInstance;
  worker: Worker | undefined;
  /** Sends webhook deliveries, with slots of its own so receivers never wait behind transcription. */
  deliveryWorker: Worker | undefined;
  /** Listens on the configured host and port; resolves to the bound address. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

const YIELD_TO_API_MAX_MS = 20;

/** The composition root: wires adapters → core → http and worker. */
export async function createApp(config: Config, options: { clock?: Clock; log?: Logger } = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger(config.logLevel);
  useConfiguredFfmpeg(config.ffmpegPath);
  const adapters = await openAdapters(config, clock, log);
  const { store, blobs, queue, webhooks } = adapters;
  const templates = new TemplateRegistry();
  const events = new SessionEvents(webhooks, queue);
  const streams = new StreamRegistry(config.publicUrl, new StreamTokens(streamTokenSecret(config.streamTokenSecret, config.dataDir)), sharedVadScorer(log));
  const sessions = new SessionService(store, blobs, queue, clock, config, events, streams);
  const sender = new HttpWebhookSender({
    timeoutMs: config.webhooks.timeoutMs,
    allowPrivate: config.webhooks.allowPrivate,
    userAgent: `${config.serviceName}-webhooks/0.1`,
  });

  const transcriber = config.worker.enabled ? await openTranscriber(config, log) : undefined;
  const extractor = selectExtractor(config, log);
  const chunks = transcriber
    ? new ChunkTranscriber({ store, blobs, clock, transcriber, log, maxChunkDurationSeconds: config.maxChunkDurationSeconds, maxSessionDurationSeconds: config.maxSessionDurationSeconds })
    : undefined;
  const pipeline = { store, clock, templates, chunks, extractor, events, jobs: queue, log };
  // The in-process worker claims when no request is being answered, or 20 ms later at the latest.
  const inFlight = new RequestsInFlight();
  const leases = { jobLeaseMs: config.worker.leaseMs, webhookTimeoutMs: config.webhooks.timeoutMs };
  const worker = config.worker.enabled
    ? new Worker(
        queue,
        { 'transcribe-chunk': (job) => transcribeChunk({ store, chunks, jobs: queue }, job), 'process-session': (job) => processSession(pipeline, job) },
        { ...config.worker, leaseMs: leaseFor(['transcribe-chunk', 'process-session'], leases), beforeClaim: () => inFlight.quiet(YIELD_TO_API_MAX_MS) },
        log,
      )
    : undefined;
  const deliverer = new WebhookDeliverer({ store, webhooks, queue, sender, clock, log, config: config.webhooks });
  const metrics = createMetrics(queue, chunks && (() => chunks.counts), config.worker.enabled ? () => deliverer.counts : undefined);
  const deliveryWorker = config.worker.enabled
    ? new Worker(
        queue,
        { 'deliver-webhook': deliverer.handle },
        { ...config.worker, concurrency: config.webhooks.concurrency, leaseMs: leaseFor(['deliver-webhook'], leases) },
        log,
      )
    : undefined;
  const sweeper = config.worker.enabled
    ? startSweeper({ store, blobs, queue, clock, events, log, retentionDays: config.audioRetentionDays, audit: adapters.audit, auditRetentionDays: config.auditRetentionDays, webhooks, webhookRetentionDays: config.webhooks.retentionDays, templates, processingDeadlineMs: config.processingDeadlineSeconds * 1000 }, config.sweepIntervalMs)
    : undefined;

  const server = await buildServer({
    log,
    sessions,
    webhooks: new WebhookService(store, webhooks, queue, sender, clock),
    authenticator: new ApiKeyAuthenticator(store, clock, config.keyCacheTtlMs),
    templates,
    // An API-only process opens no recogniser: it advertises the one its configuration names.
    discovery: buildDiscovery(
      config,
      { realtimeTranscription: true, speakerDiarization: false },
      config.worker.enabled ? transcriber : describeConfiguredTranscriber(config),
    ),
    readiness: {
      async check() {
        const checks: Record<string, string> = {};
        checks.database = await store.ping().then(() => 'ok', (e: Error) => e.message);
        checks.storage = await blobs.ping().then(() => 'ok', (e: Error) => e.message);
        return checks;
      },
    },
    metrics,
    rateLimitCounter: adapters.rateLimitCounter,
    auditLog: adapters.audit,
    console: config.console,
    streams,
    inFlight,
    limits: {
      maxJsonBytes: config.maxJsonBytes,
      maxUploadBytes: Math.max(config.maxChunkBytes, config.maxSingleUploadBytes),
      maxJsonDepth: config.maxJsonDepth,
      rateLimitPerMinute: config.rateLimitPerMinute,
      publicRateLimitPerMinute: config.publicRateLimitPerMinute,
      connections: config.connections,
      publicUrl: config.publicUrl,
      timeouts: config.httpTimeouts,
    },
  });
  worker?.start();
  deliveryWorker?.start();

  return {
    config,
    log,
    adapters,
    server,
    worker,
    deliveryWorker,
    listen: () => server.listen({ host: config.host, port: config.port }),
    async close() {
      await streams.closeAll(); // buffered audio stored, clients told to reconnect (1012)
      await server.close();
      await sweeper?.stop();
      await worker?.stop(config.shutdownGraceMs);
      await deliveryWorker?.stop(config.shutdownGraceMs);
      await chunks?.close();
      await transcriber?.close?.();
      await adapters.close();
    },
  };
}

// ---- what the administrative CLI commands open: no queue, storage or recogniser, unless named ----

/** The database's stores for `keys` and `audit` (migrated first, as every server start does). */
export interface AdminAdapters {
  store: SessionStore;
  audit: AuditLog;
  close(): Promise<void>;
}

export async function openAdminAdapters(config: Config): Promise<AdminAdapters> {
  const database = await openDatabase(config);
  return { store: new SqlSessionStore(database.db), audit: new SqlAuditLog(database.db), close: () => database.close() };
}

/** `openscribe migrate`: the schema brought up to date; the migrations applied, by name. */
export async function migrateDatabase(config: Config): Promise<string[]> {
  const { db, close } = await openDatabase(config, { migrate: false });
  try {
    return await migrateToLatest(db);
  } finally {
    await close();
  }
}

/** `openscribe doctor`: the database opens and migrates, then closes. */
export async function checkDatabase(config: Config): Promise<void> {
  await (await openDatabase(config)).close();
}

/** `openscribe doctor`: the configured bucket answers. */
export function pingBlobStorage(config: Config): Promise<void> {
  return openRawBlobStore(config).ping();
}

/** `openscribe blobs reencrypt`: every stored key, and the store that reads any configured key and writes under the active one. */
export interface ReencryptionTarget {
  raw: Pick<WalkableBlobStore, 'listAll'>;
  store: Pick<EncryptingBlobStore, keyof BlobStore | 'activeKeyId' | 'describe'>;
}

export function openBlobsForReencryption(config: Config): ReencryptionTarget {
  const raw = openRawBlobStore(config);
  return { raw, store: new EncryptingBlobStore(raw, config.encryptionKeys) };
}
