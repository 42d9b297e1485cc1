import { Type, type Static } from 'typebox';

/** Request and response schemas, declared once: validation, types and the OpenAPI document. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Object({}, { additionalProperties: true })),
    }),
  },
  { $id: 'Error', description: 'Every error: `{"error": {code, message, details?}}`' },
);

const AnyObject = Type.Record(Type.String(), Type.Unknown());
const LanguageCode = Type.String({ pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$' });

export const CreateSessionBody = Type.Object(
  {
    session_id: Type.Optional(Type.String({ minLength: 16, maxLength: 32, pattern: '^[A-Za-z0-9_-]+$' })),
    session_mode: Type.Optional(Type.Union([Type.Literal('dictation'), Type.Literal('consultation')])),
    templates: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50 })),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    language_hint: Type.Optional(Type.Array(LanguageCode, { maxItems: 10 })),
    transcript_language: Type.Optional(Type.Union([LanguageCode, Type.Array(LanguageCode, { maxItems: 10 })])),
    upload_type: Type.Union([Type.Literal('chunked'), Type.Literal('single'), Type.Literal('stream')]),
    communication_protocol: Type.Union([Type.Literal('http'), Type.Literal('websocket'), Type.Literal('rpc')]),
    additional_data: Type.Optional(AnyObject),
    patient_details: Type.Optional(AnyObject),
  },
  { additionalProperties: true },
);
export type CreateSessionBody = Static<typeof CreateSessionBody>;

export const CreateSessionResponse = Type.Object({
  session_id: Type.String(),
  status: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Type.String({ format: 'date-time' }),
  upload_url: Type.String({ format: 'uri' }),
  session_mode: Type.String(),
  upload_type: Type.String(),
  model: Type.String(),
  templates: Type.Array(Type.String()),
  additional_data: AnyObject,
  patient_details: AnyObject,
});

export const SessionParams = Type.Object({ session_id: Type.String({ maxLength: 200 }) });
export const AudioParams = Type.Object({
  session_id: Type.String({ maxLength: 200 }),
  file_name: Type.String({ maxLength: 1000 }),
});

export const UploadResponse = Type.Object({
  session_id: Type.String(),
  success: Type.Boolean(),
  original_filename: Type.String(),
  stored_filename: Type.String(),
  bytes: Type.Integer(),
});

export const EndSessionBody = Type.Object(
  { audio_files_sent: Type.Integer({ minimum: 0, maximum: 1_000_000 }) },
  { additionalProperties: true },
);

export const EndSessionResponse = Type.Object({
  session_id: Type.String(),
  status: Type.Literal('processing'),
  message: Type.String(),
  audio_files_received: Type.Integer(),
  audio_files: Type.Array(Type.String()),
});

export const GetSessionQuery = Type.Object({
  template_id: Type.Optional(Type.String({ maxLength: 100 })),
  templates_format: Type.Optional(Type.Union([Type.Literal('array'), Type.Literal('object')])),
});

export const SessionBody = Type.Object(
  {
    session_id: Type.String(),
    status: Type.String(),
    created_at: Type.String(),
    expires_at: Type.String(),
    upload_url: Type.String(),
    audio_files_received: Type.Integer(),
    audio_files: Type.Array(Type.String()),
    additional_data: AnyObject,
    transcript: Type.String(),
  },
  { additionalProperties: true, description: 'Session state; finished states add completed_at, templates, …' },
);

export const TemplatesResponse = Type.Object({
  templates: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), description: Type.String() })),
});
