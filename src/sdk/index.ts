/**
 * openscribe client SDK (`openscribe/sdk`). For now: what a webhook receiver
 * needs to check that a request came from this service.
 *
 *   if (!verifyWebhookSignature(rawBody, req.headers['x-msa-signature'], secret)) reject(401);
 *
 * Verify the raw body bytes as received, before parsing the JSON.
 */
export {
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  WEBHOOK_EVENT_HEADER,
  WEBHOOK_EVENT_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  checkWebhookSignature,
  verifyWebhookSignature,
} from '../core/webhook-signature.js';
export type { SignatureCheck, SignatureFailure, VerifyOptions } from '../core/webhook-signature.js';

// The typed client (`openscribe/client`), also here so `openscribe/sdk` is the one import a Node receiver needs.
export * from '../client/index.js';
