/**
 * A real loopback HTTP server speaking the OpenAI chat completions API, for tests of
 * the `llm` extractor. Replies are queued per test; every request is recorded.
 */
import type http from 'node:http';
import { startLoopback } from './loopback.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** `content`: a 200 chat completion with that message; `status`+`body`: raw; `hang`: never answer. */
export type FakeReply = { content: string; finishReason?: string } | { status: number; body: unknown } | { hang: true };

export interface FakeLlm {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Replies for the next requests, in order; when none is queued, `fallback` answers. */
  queue(...replies: FakeReply[]): void;
  fallback: FakeReply;
  close(): Promise<void>;
}

export function chatCompletion(content: string, finishReason = 'stop') {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 0,
    model: 'fake',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
  };
}

export async function startFakeLlm(): Promise<FakeLlm> {
  const pending: FakeReply[] = [];
  const loopback = await startLoopback((req, raw, res) => {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    fake.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const reply = pending.shift() ?? fake.fallback;
    if ('hang' in reply) return;
    const [status, payload] = 'content' in reply ? [200, chatCompletion(reply.content, reply.finishReason)] : [reply.status, reply.body];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  });
  const fake: FakeLlm = {
    baseUrl: loopback.origin,
    requests: [],
    queue: (...replies) => void pending.push(...replies),
    fallback: { status: 500, body: { error: { message: 'no reply queued' } } },
    close: () => loopback.close(),
  };
  return fake;
}
