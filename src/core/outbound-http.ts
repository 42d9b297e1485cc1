/** What the clients of other HTTP servers (LLM, speech recognition, webhook receivers) agree on. Pure: no I/O. */

/** A status worth trying again later: timeout, rate limit, server error. */
export const isTransientStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** `{base}/v1/{path}` on an OpenAI-compatible server; a base that already ends in `/v1` is not doubled. */
export function openAiEndpoint(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/${path}`;
}
