/** Table shapes shared by the SQLite and PostgreSQL adapters. Times are ISO-8601 UTC text. */
export interface TenantsTable {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  prefix: string;
  hash: string;
  environment: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface SessionsTable {
  tenant_id: string;
  id: string;
  status: string;
  mode: string;
  upload_type: string;
  communication_protocol: string;
  model: string;
  templates: string;
  language_hint: string;
  transcript_language: string;
  additional_data: string;
  patient_details: string | null;
  created_at: string;
  expires_at: string;
  ended_at: string | null;
  completed_at: string | null;
  expired_at: string | null;
  audio_files_sent: number | null;
  committed_files: string | null;
  result: string | null;
  audio_purged_at: string | null;
}

export interface ChunksTable {
  tenant_id: string;
  session_id: string;
  seq: number;
  name: string;
  original_name: string;
  blob_key: string;
  content_type: string;
  bytes: number;
  received_at: string;
}

export interface ChunkTranscriptsTable {
  blob_key: string;
  tenant_id: string;
  session_id: string;
  seq: number;
  outcome: string;
  samples: number | null;
  language: string | null;
  segments: string;
  error: string | null;
  created_at: string;
}

export interface JobsTable {
  id: string;
  kind: string;
  payload: string;
  status: string;
  attempts: number;
  max_attempts: number;
  run_at: string;
  locked_until: string | null;
  locked_by: string | null;
  last_error: string | null;
  dedupe_key: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhooksTable {
  id: string;
  tenant_id: string;
  url: string;
  events: string;
  secret: string | null;
  created_at: string;
  deleted_at: string | null;
}

export interface WebhookEventsTable {
  id: string;
  tenant_id: string;
  session_id: string;
  event: string;
  body: string;
  created_at: string;
}

export interface WebhookDeliveriesTable {
  id: string;
  tenant_id: string;
  webhook_id: string;
  event_id: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  at: string;
  outcome: string;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
}

/** Requests counted per key and fixed window (ms since the epoch); see SqlRateLimitCounter. */
export interface RateLimitsTable {
  key: string;
  window_start: number;
  count: number;
}

/** Who did what, when, to which session (see ports/audit-log.ts); never content. */
export interface AuditLogTable {
  id: string;
  at: string;
  tenant_id: string;
  key_id: string | null;
  action: string;
  session_id: string | null;
  method: string | null;
  route: string | null;
  status: number | null;
  ip: string | null;
  request_id: string | null;
}

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  sessions: SessionsTable;
  chunks: ChunksTable;
  jobs: JobsTable;
  chunk_transcripts: ChunkTranscriptsTable;
  webhooks: WebhooksTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  rate_limits: RateLimitsTable;
  audit_log: AuditLogTable;
}
