/**
 * `openscribe/client`: the typed SDK. Runs in Node ≥ 20 and browsers (global fetch;
 * streamAudio needs a WebSocket: global in browsers and Node ≥ 22, pass `ws` on Node 20).
 * Webhook signature verification uses node:crypto, so it lives in `openscribe/sdk` (Node only).
 */
export { OpenScribeClient, type OpenScribeClientOptions, type WaitOptions, type StreamOptions, type FetchLike, type WebSocketLike } from './client.js';
export * from './errors.js';
export * from './types.js';
export { parseRetryAfter, backoffMs, pollDelayMs, type Sleep } from './retry.js';
