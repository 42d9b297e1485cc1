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

const WebhookEvent = Type.Union([
  Type.Literal('session.started'),
  Type.Literal('session.ended'),
  Type.Literal('session.completed'),
  Type.Literal('session.partial'),
  Type.Literal('session.failed'),
  Type.Literal('session.expired'),
]);

export const CreateWebhookBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    events: Type.Optional(Type.Array(WebhookEvent, { minItems: 1, maxItems: 6 })),
    secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256 })),
  },
  { additionalProperties: false },
);

const WebhookFields = {
  webhook_id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  status: Type.Literal('active'),
  created_at: Type.String(),
};
export const WebhookBody = Type.Object(WebhookFields);
export const CreateWebhookResponse = Type.Object({
  ...WebhookFields,
  secret: Type.String({ description: 'Signs every delivery (X-MSA-Signature). Shown only in this response.' }),
});
export const WebhookList = Type.Object({ webhooks: Type.Array(WebhookBody) });
export const WebhookParams = Type.Object({ webhook_id: Type.String({ maxLength: 200 }) });
export const DeliveryParams = Type.Object({ webhook_id: Type.String({ maxLength: 200 }), delivery_id: Type.String({ maxLength: 200 }) });
export const DeliveriesQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) });

export const DeliveryBody = Type.Object({
  delivery_id: Type.String(),
  event_id: Type.String(),
  event: Type.String(),
  session_id: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('dead'), Type.Literal('cancelled')]),
  attempts: Type.Integer(),
  next_attempt_at: Type.Union([Type.String(), Type.Null()]),
  last_status_code: Type.Union([Type.Integer(), Type.Null()]),
  last_error: Type.Union([Type.String(), Type.Null()]),
  last_latency_ms: Type.Union([Type.Integer(), Type.Null()]),
  created_at: Type.String(),
  delivered_at: Type.Union([Type.String(), Type.Null()]),
  attempt_log: Type.Array(
    Type.Object({
      attempt: Type.Integer(),
      at: Type.String(),
      outcome: Type.String(),
      status_code: Type.Union([Type.Integer(), Type.Null()]),
      latency_ms: Type.Integer(),
      error: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});
export const DeliveryList = Type.Object({ deliveries: Type.Array(DeliveryBody) });
