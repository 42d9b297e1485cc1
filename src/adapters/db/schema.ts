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

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  sessions: SessionsTable;
  chunks: ChunksTable;
  jobs: JobsTable;
}
