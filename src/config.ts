import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Typed configuration, read from the environment and validated once at start-up. */
export interface ModelConfig {
  id: string;
  displayName: string;
  languages: string[];
  maxSessionDurationSeconds: number;
  responseSpeed: 'fast' | 'standard' | 'slow';
}

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  databasePath: string;
  /** PostgreSQL (`postgres://…`) instead of the SQLite file at `databasePath`; OPENSCRIBE_DATABASE_URL. */
  databaseUrl: string | undefined;
  /** Connections per process to PostgreSQL. */
  databasePoolSize: number;
  blobDir: string;
  /** Where audio lives: files under `blobDir` (default) or an S3 bucket (OPENSCRIBE_BLOB_STORE=s3 or OPENSCRIBE_S3_BUCKET). */
  blobStore: BlobStoreConfig;
  /** AES-256-GCM keys for audio at rest (OPENSCRIBE_ENCRYPTION_KEYS=`id:base64,…`): the first writes, all read. */
  encryptionKeys: { id: string; key: Buffer }[];
  logLevel: string;
  serviceName: string;
  documentationUrl: string;
  supportEmail: string;
  maxTemplatesPerSession: number;
  maxChunkBytes: number;
  maxSingleUploadBytes: number;
  maxJsonBytes: number;
  /** Slow clients: whole request, headers, idle keep-alive (ms). OPENSCRIBE_HTTP_*_TIMEOUT_MS. */
  httpTimeouts: { requestMs: number; headersMs: number; keepAliveMs: number };
  maxChunkDurationSeconds: number;
  /** Longest audio a session may hold (a `single` upload is decoded up to this); OPENSCRIBE_MAX_SESSION_SECONDS. */
  maxSessionDurationSeconds: number;
  /** JSON bodies nested deeper than this are refused before parsing; OPENSCRIBE_MAX_JSON_DEPTH. */
  maxJsonDepth: number;
  /** Connection bounds: open sockets, requests per keep-alive socket, pipelined requests awaiting their answer. */
  connections: { max: number; maxRequestsPerSocket: number; maxPipelined: number };
  /** Requests per minute per client address on the routes that need no key (discovery, docs, health). */
  publicRateLimitPerMinute: number;
  /** A session still `processing` this long after End Session is finished `failed` by the sweeper. */
  processingDeadlineSeconds: number;
  models: ModelConfig[];
  defaultModel: string;
  rateLimitPerMinute: number;
  keyCacheTtlMs: number;
  audioRetentionDays: number;
  /** Audit log entries older than this are pruned by the sweeper; OPENSCRIBE_AUDIT_RETENTION_DAYS. */
  auditRetentionDays: number;
  sweepIntervalMs: number;
  /** On SIGTERM: how long running jobs may finish before they are given back to the queue. */
  shutdownGraceMs: number;
  /** Signs the `?token=` of stream upload URLs; OPENSCRIBE_STREAM_TOKEN_SECRET, else generated once in the data dir. */
  streamTokenSecret: string | undefined;
  worker: {
    enabled: boolean;
    concurrency: number;
    leaseMs: number;
    maxAttempts: number;
    pollMs: number;
  };
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** `auto`: whisper-cpp when its model file is present, else PocketSphinx when installed, else none. */
  transcriber: 'auto' | 'pocketsphinx' | 'whisper-cpp' | 'openai-compatible' | 'none';
  /** Recogniser models; `openscribe models pull` writes here. Default `<dataDir>/models`. */
  modelsDir: string;
  /** `OPENSCRIBE_FFMPEG_PATH`: the ffmpeg binary (must run); null = the system's, else the npm-shipped one. */
  ffmpegPath: string | null;
  /** `OPENSCRIBE_POCKETSPHINX_MODEL_DIR`: PocketSphinx's acoustic model folder; null = Debian's en-us. */
  pocketsphinxModelDir: string | null;
  /** Where `openscribe models pull` downloads the known whisper.cpp models from. */
  modelsBaseUrl: string;
  /** whisper-cpp: a model name (`base.en`, file `<modelsDir>/ggml-base.en.bin`) or a path; CPU threads, 0 = the binding's choice. */
  whisper: { model: string; threads: number };
  /** openai-compatible speech recognition server; set when that engine is chosen. */
  asrServer: AsrServerConfig | undefined;
  /** Clinical extractor: offline `rules`, or `llm` (an OpenAI-compatible chat endpoint, `llm` set). */
  extractor: 'rules' | 'llm';
  llm: LlmConfig | undefined;
  /** Create a tenant and print a key on the first start (development only). */
  bootstrapDevKey: boolean;
  webhooks: WebhookConfig;
  /** The browser console at `/`: OPENSCRIBE_CONSOLE=0 turns it off; OPENSCRIBE_CONSOLE_DIR, its build (default dist/web). */
  console: { enabled: boolean; dir: string };
}

export interface WebhookConfig {
  /** Deliver to private, loopback and link-local addresses (tests, on-premises receivers). */
  allowPrivate: boolean;
  timeoutMs: number;
  /** Attempts per delivery before it is dead; with the backoff below, 8 span about a day. */
  maxAttempts: number;
  /** Delay after the first failure; ×4 per attempt up to `backoffMaxMs`, ±20 % jitter. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Finished deliveries (and their events and attempt logs) are deleted after this many days. */
  retentionDays: number;
  /** Delivery slots of a worker process, and at most this many at once to one webhook. */
  concurrency: number;
  perEndpointConcurrency: number;
}

export interface LlmConfig {
  baseUrl: string;
  /** Absent for endpoints without auth (Ollama, a local vLLM). */
  apiKey: string | undefined;
  model: string;
  timeoutMs: number;
}

export interface AsrServerConfig {
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  timeoutMs: number;
}

export class ConfigError extends Error {}

export type BlobStoreConfig =
  | { kind: 'fs' }
  | {
      kind: 's3';
      bucket: string;
      prefix: string;
      endpoint: string | undefined;
      region: string;
      forcePathStyle: boolean;
      serverSideEncryption: 'AES256' | 'aws:kms' | undefined;
      kmsKeyId: string | undefined;
    };

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be a boolean (1/0/true/false), got ${JSON.stringify(raw)}`);
}

function list(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

function url(name: string, raw: string): string {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    return u.toString().replace(/\/+$/, '');
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got ${JSON.stringify(raw)}`);
  }
}

function llmConfig(env: Env, extractor: 'rules' | 'llm'): LlmConfig | undefined {
  if (extractor !== 'llm') return undefined;
  const baseUrl = env.OPENSCRIBE_LLM_BASE_URL;
  const model = env.OPENSCRIBE_LLM_MODEL?.trim();
  if (!baseUrl) throw new ConfigError('OPENSCRIBE_LLM_BASE_URL is required when OPENSCRIBE_EXTRACTOR=llm');
  if (!model) throw new ConfigError('OPENSCRIBE_LLM_MODEL is required when OPENSCRIBE_EXTRACTOR=llm');
  return {
    baseUrl: url('OPENSCRIBE_LLM_BASE_URL', baseUrl),
    apiKey: env.OPENSCRIBE_LLM_API_KEY || undefined,
    model,
    timeoutMs: int(env, 'OPENSCRIBE_LLM_TIMEOUT_MS', 60_000, 1, 60 * 60_000),
  };
}

function asrServerConfig(env: Env, transcriber: Config['transcriber']): AsrServerConfig | undefined {
  if (transcriber !== 'openai-compatible') return undefined;
  const baseUrl = env.OPENSCRIBE_ASR_BASE_URL;
  if (!baseUrl) throw new ConfigError('OPENSCRIBE_ASR_BASE_URL is required when OPENSCRIBE_TRANSCRIBER=openai-compatible');
  return {
    baseUrl: url('OPENSCRIBE_ASR_BASE_URL', baseUrl),
    apiKey: env.OPENSCRIBE_ASR_API_KEY || undefined,
    model: env.OPENSCRIBE_ASR_MODEL?.trim() || 'whisper-1',
    timeoutMs: int(env, 'OPENSCRIBE_ASR_TIMEOUT_MS', 120_000, 1, 60 * 60_000),
  };
}

function databaseUrl(env: Env): string | undefined {
  const raw = env.OPENSCRIBE_DATABASE_URL?.trim();
  if (!raw) return undefined;
  let protocol = '';
  try {
    protocol = new URL(raw).protocol;
  } catch {
    // reported below, without echoing a URL that may hold a password
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new ConfigError('OPENSCRIBE_DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  return raw;
}

function blobStoreConfig(env: Env): BlobStoreConfig {
  const bucket = env.OPENSCRIBE_S3_BUCKET?.trim() || '';
  const kind = oneOf(env, 'OPENSCRIBE_BLOB_STORE', ['fs', 's3'] as const, bucket ? 's3' : 'fs');
  if (kind === 'fs') return { kind };
  if (!bucket) throw new ConfigError('OPENSCRIBE_S3_BUCKET is required when OPENSCRIBE_BLOB_STORE=s3');
  const sse = oneOf(env, 'OPENSCRIBE_S3_SSE', ['', 'AES256', 'aws:kms'] as const, '');
  const endpoint = env.OPENSCRIBE_S3_ENDPOINT?.trim();
  return {
    kind,
    bucket,
    prefix: env.OPENSCRIBE_S3_PREFIX?.trim() ?? '',
    endpoint: endpoint ? url('OPENSCRIBE_S3_ENDPOINT', endpoint) : undefined,
    region: env.OPENSCRIBE_S3_REGION?.trim() || 'us-east-1',
    forcePathStyle: bool(env, 'OPENSCRIBE_S3_FORCE_PATH_STYLE', false),
    serverSideEncryption: sse || undefined,
    kmsKeyId: env.OPENSCRIBE_S3_SSE_KMS_KEY_ID?.trim() || undefined,
  };
}

/** `id:base64(32 bytes)` pairs, comma-separated; never echoes key material in errors. */
function encryptionKeys(env: Env): { id: string; key: Buffer }[] {
  const keys = list(env, 'OPENSCRIBE_ENCRYPTION_KEYS', []).map((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const b64 = entry.slice(colon + 1);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
      throw new ConfigError(`OPENSCRIBE_ENCRYPTION_KEYS entry ${i + 1} must be keyid:base64 with a key id of letters, digits, . _ - (at most 64)`);
    }
    const key = Buffer.from(b64, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || key.length !== 32) {
      throw new ConfigError(`OPENSCRIBE_ENCRYPTION_KEYS key ${JSON.stringify(id)} must be 32 bytes in base64 (e.g. \`openssl rand -base64 32\`)`);
    }
    return { id, key };
  });
  const ids = keys.map((k) => k.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new ConfigError(`OPENSCRIBE_ENCRYPTION_KEYS names key id ${JSON.stringify(dup)} twice`);
  return keys;
}

/** A model name usable as a file name part: no separators, no `..`, nothing odd. */
export function isModelName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) && !name.includes('..');
}

/** `OPENSCRIBE_WHISPER_MODEL` names a file rather than a model: it has a slash or ends in `.bin`. */
export const isModelPath = (spec: string): boolean => spec.includes('/') || spec.endsWith('.bin');

function whisperModel(env: Env): string {
  const raw = env.OPENSCRIBE_WHISPER_MODEL?.trim() || 'base.en';
  if (!isModelPath(raw) && !isModelName(raw)) {
    throw new ConfigError(`OPENSCRIBE_WHISPER_MODEL must be a model name like base.en or a path to a .bin file, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const nodeEnv = env.NODE_ENV === 'production' || env.NODE_ENV === 'test' ? env.NODE_ENV : 'development';
  const appEnv = oneOf(env, 'OPENSCRIBE_ENV', ['development', 'production', 'test'] as const, nodeEnv);
  const host = env.HOST || '127.0.0.1';
  const port = int(env, 'PORT', 8080, 0, 65535);
  const dataDir = path.resolve(env.OPENSCRIBE_DATA_DIR || 'data');
  const displayHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const publicUrl = url('OPENSCRIBE_PUBLIC_URL', env.OPENSCRIBE_PUBLIC_URL || `http://${displayHost}:${port}`);
  const maxSession = int(env, 'OPENSCRIBE_MAX_SESSION_SECONDS', 3600, 1, 7 * 24 * 3600);
  const languages = list(env, 'OPENSCRIBE_LANGUAGES', ['en']);
  const models: ModelConfig[] = list(env, 'OPENSCRIBE_MODELS', ['lite', 'pro']).map((id) => ({
    id,
    displayName: id.charAt(0).toUpperCase() + id.slice(1),
    languages,
    maxSessionDurationSeconds: maxSession,
    responseSpeed: id === 'lite' ? 'fast' : 'standard',
  }));
  const defaultModel = env.OPENSCRIBE_DEFAULT_MODEL || models[0]!.id;
  if (!models.some((m) => m.id === defaultModel)) {
    throw new ConfigError(`OPENSCRIBE_DEFAULT_MODEL ${JSON.stringify(defaultModel)} is not one of OPENSCRIBE_MODELS`);
  }
  const extractor = oneOf(env, 'OPENSCRIBE_EXTRACTOR', ['rules', 'llm'] as const, 'rules');
  const transcriber = oneOf(env, 'OPENSCRIBE_TRANSCRIBER', ['auto', 'pocketsphinx', 'whisper-cpp', 'openai-compatible', 'none'] as const, 'auto');
  const config: Config = {
    env: appEnv,
    host,
    port,
    publicUrl,
    dataDir,
    databasePath: path.join(dataDir, 'openscribe.db'),
    databaseUrl: databaseUrl(env),
    databasePoolSize: int(env, 'OPENSCRIBE_DATABASE_POOL_SIZE', 10, 1, 1000),
    blobDir: path.join(dataDir, 'blobs'),
    blobStore: blobStoreConfig(env),
    encryptionKeys: encryptionKeys(env),
    logLevel: env.LOG_LEVEL || (appEnv === 'test' ? 'warn' : 'info'),
    serviceName: env.OPENSCRIBE_SERVICE_NAME || 'openscribe',
    documentationUrl: env.OPENSCRIBE_DOCUMENTATION_URL || `${publicUrl}/voice/v1/docs`,
    supportEmail: env.OPENSCRIBE_SUPPORT_EMAIL || 'support@openscribe.localhost',
    maxTemplatesPerSession: int(env, 'OPENSCRIBE_MAX_TEMPLATES', 2, 1, 50),
    maxChunkBytes: int(env, 'OPENSCRIBE_MAX_CHUNK_BYTES', 10 * 1024 * 1024, 1024),
    maxSingleUploadBytes: int(env, 'OPENSCRIBE_MAX_SINGLE_UPLOAD_BYTES', 200 * 1024 * 1024, 1024),
    maxJsonBytes: int(env, 'OPENSCRIBE_MAX_JSON_BYTES', 1024 * 1024, 1024),
    httpTimeouts: {
      requestMs: int(env, 'OPENSCRIBE_HTTP_REQUEST_TIMEOUT_MS', 120_000, 500, 60 * 60_000),
      headersMs: int(env, 'OPENSCRIBE_HTTP_HEADERS_TIMEOUT_MS', 30_000, 500, 60 * 60_000),
      keepAliveMs: int(env, 'OPENSCRIBE_HTTP_KEEPALIVE_TIMEOUT_MS', 72_000, 100, 60 * 60_000),
    },
    maxChunkDurationSeconds: 20,
    maxSessionDurationSeconds: maxSession,
    maxJsonDepth: int(env, 'OPENSCRIBE_MAX_JSON_DEPTH', 32, 2, 1000),
    connections: {
      max: int(env, 'OPENSCRIBE_MAX_CONNECTIONS', 1024, 1, 1_000_000),
      maxRequestsPerSocket: int(env, 'OPENSCRIBE_MAX_REQUESTS_PER_SOCKET', 100, 1, 1_000_000),
      maxPipelined: int(env, 'OPENSCRIBE_MAX_PIPELINED_REQUESTS', 16, 1, 10_000),
    },
    publicRateLimitPerMinute: int(env, 'OPENSCRIBE_PUBLIC_RATE_LIMIT_PER_MINUTE', 600, 1),
    // Default: long enough for the longest session recognised at real time, twice over.
    processingDeadlineSeconds: int(env, 'OPENSCRIBE_PROCESSING_DEADLINE_SECONDS', Math.max(1800, 2 * maxSession), 10),
    models,
    defaultModel,
    rateLimitPerMinute: int(env, 'OPENSCRIBE_RATE_LIMIT_PER_MINUTE', 6000, 1),
    keyCacheTtlMs: int(env, 'OPENSCRIBE_KEY_CACHE_TTL_MS', 5000, 0),
    audioRetentionDays: int(env, 'OPENSCRIBE_AUDIO_RETENTION_DAYS', 30, 0),
    auditRetentionDays: int(env, 'OPENSCRIBE_AUDIT_RETENTION_DAYS', 365, 1, 100 * 365),
    sweepIntervalMs: int(env, 'OPENSCRIBE_SWEEP_INTERVAL_MS', 30_000, 50),
    shutdownGraceMs: int(env, 'OPENSCRIBE_SHUTDOWN_GRACE_MS', 20_000, 0, 10 * 60_000),
    streamTokenSecret: env.OPENSCRIBE_STREAM_TOKEN_SECRET || undefined,
    worker: {
      enabled: true,
      concurrency: int(env, 'OPENSCRIBE_WORKER_CONCURRENCY', 2, 1, 64),
      // Renewed every third while the job runs: short, so a crashed worker's job comes back within seconds.
      leaseMs: int(env, 'OPENSCRIBE_JOB_LEASE_MS', 30_000, 100),
      maxAttempts: int(env, 'OPENSCRIBE_JOB_MAX_ATTEMPTS', 5, 1, 100),
      pollMs: int(env, 'OPENSCRIBE_JOB_POLL_MS', 1000, 10),
    },
    sqliteSynchronous: oneOf(env, 'OPENSCRIBE_SQLITE_SYNCHRONOUS', ['NORMAL', 'FULL'] as const, 'NORMAL'),
    transcriber,
    modelsDir: path.resolve(env.OPENSCRIBE_MODELS_DIR || path.join(dataDir, 'models')),
    ffmpegPath: env.OPENSCRIBE_FFMPEG_PATH?.trim() || null,
    pocketsphinxModelDir: env.OPENSCRIBE_POCKETSPHINX_MODEL_DIR?.trim() || null,
    modelsBaseUrl: url('OPENSCRIBE_MODELS_BASE_URL', env.OPENSCRIBE_MODELS_BASE_URL || 'https://huggingface.co/ggerganov/whisper.cpp/resolve/main'),
    whisper: { model: whisperModel(env), threads: int(env, 'OPENSCRIBE_WHISPER_THREADS', 0, 0, 256) },
    asrServer: asrServerConfig(env, transcriber),
    extractor,
    llm: llmConfig(env, extractor),
    bootstrapDevKey: bool(env, 'OPENSCRIBE_BOOTSTRAP_KEY', appEnv === 'development'),
    webhooks: {
      allowPrivate: bool(env, 'OPENSCRIBE_WEBHOOK_ALLOW_PRIVATE', false),
      timeoutMs: int(env, 'OPENSCRIBE_WEBHOOK_TIMEOUT_MS', 10_000, 10, 120_000),
      maxAttempts: int(env, 'OPENSCRIBE_WEBHOOK_MAX_ATTEMPTS', 8, 1, 50),
      backoffBaseMs: int(env, 'OPENSCRIBE_WEBHOOK_BACKOFF_MS', 60_000, 1),
      backoffMaxMs: int(env, 'OPENSCRIBE_WEBHOOK_BACKOFF_MAX_MS', 8 * 3_600_000, 1),
      retentionDays: int(env, 'OPENSCRIBE_WEBHOOK_RETENTION_DAYS', 30, 1, 100 * 365),
      concurrency: int(env, 'OPENSCRIBE_WEBHOOK_CONCURRENCY', 16, 1, 256),
      perEndpointConcurrency: int(env, 'OPENSCRIBE_WEBHOOK_ENDPOINT_CONCURRENCY', 4, 1, 256),
    },
    console: {
      enabled: bool(env, 'OPENSCRIBE_CONSOLE', true),
      // src/config.ts and dist/config.js both sit one level below the package root.
      dir: path.resolve(env.OPENSCRIBE_CONSOLE_DIR || fileURLToPath(new URL('../dist/web', import.meta.url))),
    },
    ...overrides,
  };
  return config;
}
