import pino, { type Logger } from 'pino';

/**
 * Logs carry no keys, audio, transcripts or patient details: credentials are
 * redacted and bodies are never logged.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers.cookie',
        'headers.authorization',
        'headers["x-api-key"]',
        'key',
        'apiKey',
        'transcript',
        'patient_details',
        'patientDetails',
      ],
      censor: '[redacted]',
    },
    serializers: {
      // Query strings may carry signed stream tokens: log the path only.
      req: (req: { method: string; url: string; id: string }) => ({ id: req.id, method: req.method, url: req.url.split('?')[0] }),
    },
  });
}
