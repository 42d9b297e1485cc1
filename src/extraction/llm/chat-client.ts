/**
 * A minimal client for OpenAI-compatible chat completions (OpenAI, Azure OpenAI v1,
 * Ollama, vLLM, llama.cpp server). Errors carry only status codes and identifiers,
 * never request or response bodies: those hold patient data.
 */
import type { JsonSchema } from '../../core/templates/schemas.js';
import { isTransientStatus, openAiEndpoint } from '../../core/outbound-http.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** `response_format.json_schema`: structured output constrained to `schema`. */
  jsonSchema: { name: string; schema: JsonSchema; strict: boolean };
}

export interface ChatAnswer {
  content: string | null;
  /** Set when the model declined to answer (OpenAI structured outputs). */
  refused: boolean;
  finishReason: string | null;
}

export interface ChatClientOptions {
  baseUrl: string;
  model: string;
  apiKey?: string | undefined;
  timeoutMs: number;
}

/** No answer within the timeout. */
export class LlmTimeoutError extends Error {}
/** The endpoint refused the request (4xx) or answered something that is not a chat completion. */
export class LlmRequestError extends Error {}
/** Unreachable, overloaded (429) or failing (5xx): worth retrying later. */
export class LlmUnavailableError extends Error {}

/** `{base}/v1/chat/completions`; a base that already ends in `/v1` is not doubled. */
export const chatCompletionsUrl = (baseUrl: string): string => openAiEndpoint(baseUrl, 'chat/completions');

export class ChatClient {
  private readonly url: string;
  constructor(private readonly options: ChatClientOptions) {
    this.url = chatCompletionsUrl(options.baseUrl);
  }

  async complete(request: ChatRequest): Promise<ChatAnswer> {
    const { model, apiKey, timeoutMs } = this.options;
    const body = JSON.stringify({
      model,
      messages: request.messages,
      response_format: { type: 'json_schema', json_schema: request.jsonSchema },
      stream: false,
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    // One deadline for the whole exchange, body included.
    const signal = AbortSignal.timeout(timeoutMs);
    let status: number;
    let text: string;
    try {
      const res = await fetch(this.url, { method: 'POST', headers, body, signal });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (signal.aborted) throw new LlmTimeoutError(`the LLM endpoint did not answer within ${timeoutMs} ms`);
      throw new LlmUnavailableError(`the LLM endpoint is unreachable (${networkCode(err)})`);
    }
    if (isTransientStatus(status)) {
      throw new LlmUnavailableError(`the LLM endpoint answered HTTP ${status}`);
    }
    const parsed = parseJson(text);
    if (status < 200 || status >= 300) {
      const detail = errorIdentifier(parsed);
      throw new LlmRequestError(`the LLM endpoint refused the request (HTTP ${status}${detail ? `, ${detail}` : ''})`);
    }
    const message = (parsed as { choices?: Array<{ message?: unknown; finish_reason?: unknown }> } | undefined)?.choices?.[0];
    if (!message || typeof message.message !== 'object' || message.message === null) {
      throw new LlmRequestError('the LLM endpoint did not answer with a chat completion');
    }
    const { content, refusal } = message.message as { content?: unknown; refusal?: unknown };
    return {
      content: typeof content === 'string' ? content : null,
      refused: typeof refusal === 'string' && refusal !== '',
      finishReason: typeof message.finish_reason === 'string' ? message.finish_reason : null,
    };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The provider's error code or type (`invalid_json_schema`, …): identifiers only, never its message. */
function errorIdentifier(body: unknown): string | undefined {
  const error = (body as { error?: { code?: unknown; type?: unknown; param?: unknown } } | undefined)?.error;
  if (typeof error !== 'object' || error === null) return undefined;
  const ids = [error.code, error.type, error.param].filter((v): v is string => typeof v === 'string' && /^[\w.-]{1,64}$/.test(v));
  return ids.length ? ids.join(', ') : undefined;
}

function networkCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : 'network error';
}
