import path from 'node:path';

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
  blobDir: string;
  logLevel: string;
  serviceName: string;
  documentationUrl: string;
  supportEmail: string;
  maxTemplatesPerSession: number;
  maxChunkBytes: number;
  maxSingleUploadBytes: number;
  maxJsonBytes: number;
  maxChunkDurationSeconds: number;
  models: ModelConfig[];
  defaultModel: string;
  rateLimitPerMinute: number;
  keyCacheTtlMs: number;
  audioRetentionDays: number;
  sweepIntervalMs: number;
  worker: {
    enabled: boolean;
    concurrency: number;
    leaseMs: number;
    maxAttempts: number;
    pollMs: number;
  };
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** `auto`: PocketSphinx when its library and model are installed, else none. */
  transcriber: 'auto' | 'pocketsphinx' | 'none';
  /** Create a tenant and print a key on the first start (development only). */
  bootstrapDevKey: boolean;
}

export class ConfigError extends Error {}

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
  const config: Config = {
    env: appEnv,
    host,
    port,
    publicUrl,
    dataDir,
    databasePath: path.join(dataDir, 'openscribe.db'),
    blobDir: path.join(dataDir, 'blobs'),
    logLevel: env.LOG_LEVEL || (appEnv === 'test' ? 'warn' : 'info'),
    serviceName: env.OPENSCRIBE_SERVICE_NAME || 'openscribe',
    documentationUrl: env.OPENSCRIBE_DOCUMENTATION_URL || `${publicUrl}/voice/v1/docs`,
    supportEmail: env.OPENSCRIBE_SUPPORT_EMAIL || 'support@openscribe.localhost',
    maxTemplatesPerSession: int(env, 'OPENSCRIBE_MAX_TEMPLATES', 2, 1, 50),
    maxChunkBytes: int(env, 'OPENSCRIBE_MAX_CHUNK_BYTES', 10 * 1024 * 1024, 1024),
    maxSingleUploadBytes: int(env, 'OPENSCRIBE_MAX_SINGLE_UPLOAD_BYTES', 200 * 1024 * 1024, 1024),
    maxJsonBytes: int(env, 'OPENSCRIBE_MAX_JSON_BYTES', 1024 * 1024, 1024),
    maxChunkDurationSeconds: 20,
    models,
    defaultModel,
    rateLimitPerMinute: int(env, 'OPENSCRIBE_RATE_LIMIT_PER_MINUTE', 6000, 1),
    keyCacheTtlMs: int(env, 'OPENSCRIBE_KEY_CACHE_TTL_MS', 5000, 0),
    audioRetentionDays: int(env, 'OPENSCRIBE_AUDIO_RETENTION_DAYS', 30, 0),
    sweepIntervalMs: int(env, 'OPENSCRIBE_SWEEP_INTERVAL_MS', 30_000, 50),
    worker: {
      enabled: true,
      concurrency: int(env, 'OPENSCRIBE_WORKER_CONCURRENCY', 2, 1, 64),
      leaseMs: int(env, 'OPENSCRIBE_JOB_LEASE_MS', 5 * 60_000, 100),
      maxAttempts: int(env, 'OPENSCRIBE_JOB_MAX_ATTEMPTS', 5, 1, 100),
      pollMs: int(env, 'OPENSCRIBE_JOB_POLL_MS', 1000, 10),
    },
    sqliteSynchronous: oneOf(env, 'OPENSCRIBE_SQLITE_SYNCHRONOUS', ['NORMAL', 'FULL'] as const, 'NORMAL'),
    transcriber: oneOf(env, 'OPENSCRIBE_TRANSCRIBER', ['auto', 'pocketsphinx', 'none'] as const, 'auto'),
    bootstrapDevKey: bool(env, 'OPENSCRIBE_BOOTSTRAP_KEY', appEnv === 'development'),
    ...overrides,
  };
  return config;
}
