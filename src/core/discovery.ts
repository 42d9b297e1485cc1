import type { Config } from '../config.js';
import { ADVERTISED_AUDIO_FORMATS } from './audio-format.js';
import type { UploadType } from './session.js';

export const PROTOCOL_VERSION = '0.1';
export const SUPPORTED_VERSIONS = ['0.1'] as const;
/** Upload methods this build implements. */
export const IMPLEMENTED_UPLOAD_METHODS: readonly UploadType[] = ['chunked', 'single', 'stream'];

/** The speech recogniser behind the models (a `Transcriber`, or what the configuration names). */
export interface TranscriberInfo {
  id: string;
  /** ISO 639-1 codes it transcribes. */
  languages: readonly string[];
}

/**
 * The discovery document, generated from this deployment's configuration. A
 * model advertises the configured languages its recogniser can transcribe, and
 * names that recogniser in `transcriber` (an extension field; `none` without one).
 */
export function buildDiscovery(
  config: Config,
  features: { realtimeTranscription: boolean; speakerDiarization: boolean },
  transcriber?: TranscriberInfo,
) {
  const base = `${config.publicUrl}/voice/v1`;
  const modelLanguages = (configured: string[]) => (transcriber ? configured.filter((l) => transcriber.languages.includes(l)) : configured);
  const languages = [...new Set(config.models.flatMap((m) => modelLanguages(m.languages)))];
  return {
    protocol: 'medscribealliance',
    protocol_version: PROTOCOL_VERSION,
    supported_versions: [...SUPPORTED_VERSIONS],
    service: {
      name: config.serviceName,
      documentation_url: config.documentationUrl,
      support_email: config.supportEmail,
    },
    endpoints: {
      base_url: base,
      templates_url: `${base}/templates`,
      webhooks_url: `${base}/webhooks`,
    },
    authentication: {
      supported_methods: ['api_key'],
    },
    capabilities: {
      audio_formats: [...ADVERTISED_AUDIO_FORMATS],
      max_chunk_duration_seconds: config.maxChunkDurationSeconds,
      max_chunk_size_bytes: config.maxChunkBytes,
      max_templates_per_session: config.maxTemplatesPerSession,
      upload_methods: [...IMPLEMENTED_UPLOAD_METHODS],
      webhook_delivery: true,
      client_sdk_delivery: false,
    },
    models: config.models.map((m) => ({
      id: m.id,
      display_name: m.displayName,
      languages: modelLanguages(m.languages),
      max_session_duration_seconds: m.maxSessionDurationSeconds,
      response_speed: m.responseSpeed,
      features: {
        realtime_transcription: features.realtimeTranscription,
        speaker_diarization: features.speakerDiarization,
        custom_templates: false,
      },
      transcriber: transcriber?.id ?? 'none',
    })),
    // Detection only means something when an engine knows several of the advertised languages (`languages` are already the engine's).
    languages: { supported: languages, auto_detection: transcriber !== undefined && languages.length > 1 },
  };
}
