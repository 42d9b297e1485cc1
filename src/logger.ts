import pino, { type Logger } from 'pino';
import { looksLikeSecret } from './core/keys.js';

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
      req: (req: { method: string; url: string; id: string }) => ({ id: req.id, method: req.method, url: loggableUrl(req.url) }),
    },
  });
}

/** No id the API hands out is this long; a segment that is may be a credential pasted in. */
const MAX_PLAIN_SEGMENT = 40;

/**
 * The URL as logged: no query string (it may carry signed stream tokens) and every path
 * segment that looks like a key or secret replaced, so a key pasted into the path is not logged.
 */
export function loggableUrl(url: string): string {
  const pathOnly = url.split('?')[0] ?? '';
  return pathOnly
    .split('/')
    .map((segment) => {
      let plain = segment;
      try {
        plain = decodeURIComponent(segment);
      } catch {
        // malformed escapes: judged as sent
      }
      return looksLikeSecret(plain) || plain.length > MAX_PLAIN_SEGMENT ? '[redacted]' : segment;
    })
    .join('/');
}
