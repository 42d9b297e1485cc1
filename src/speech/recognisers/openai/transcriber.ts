/**
 * `Transcriber` adapter `openai-compatible`: any server speaking OpenAI's
 * `POST /v1/audio/transcriptions` (OpenAI, Groq, faster-whisper-server,
 * whisper.cpp's server, LocalAI…). The PCM goes up as a WAV file; segments come
 * back from `verbose_json`. Node's own fetch/FormData, no HTTP library.
 *
 * Nothing about the request is logged; errors carry the status and the
 * server's message with the key removed, never audio or transcript text.
 */
import { samplesToSeconds } from '../../audio/pcm.js';
import { writeWav } from '../../audio/wav.js';
import { isTransientStatus, openAiEndpoint } from '../../../core/outbound-http.js';
import { PermanentTranscriberError, type Transcriber, type Transcription, type TranscriptSegment } from '../../../core/ports/transcriber.js';
import { WHISPER_LANGUAGE_CODES, toIso6391 } from '../whisper-cpp/languages.js';

const MAX_MESSAGE = 300;

export interface OpenAiTranscriberOptions {
  /** Server root, e.g. `https://api.openai.com` (the adapter appends `/v1/audio/transcriptions`). */
  baseUrl: string;
  apiKey?: string | undefined;
  /** Default `whisper-1`. */
  model?: string;
  /** Per request. Default 120 s. */
  timeoutMs?: number;
}

/** A failure worth retrying: 5xx, 408, 429, the network, a timeout, an unreadable answer. */
export class AsrServerError extends Error {
  override name = 'AsrServerError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The parts of a `verbose_json` answer used here. */
interface VerboseJson {
  text?: unknown;
  language?: unknown;
  segments?: unknown;
}

export class OpenAiTranscriber implements Transcriber {
  readonly id: string;
  /** What Whisper-family servers accept; the server is not asked. */
  readonly languages = WHISPER_LANGUAGE_CODES;
  /** Long audio is cut at pauses by the pipeline: uploads stay far below the servers' 25 MB limit. */
  readonly splitsAtPauses = false;
  readonly note: string | undefined = undefined;
  private readonly url: string;
  private readonly model: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: OpenAiTranscriberOptions) {
    this.model = options.model ?? 'whisper-1';
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.url = openAiEndpoint(options.baseUrl, 'audio/transcriptions');
    this.id = `openai-compatible-${this.model}`;
  }

  /** The server's words with the key taken out, shortened. */
  private clean(text: string): string {
    const key = this.options.apiKey;
    let s = key ? text.split(key).join('[redacted]') : text;
    s = s.replace(/\b(sk|gsk|key)[-_][A-Za-z0-9_*-]{6,}/g, '[redacted]').replace(/\s+/g, ' ').trim();
    return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s;
  }

  async transcribe(pcm16kMono: Int16Array, options: { language?: string } = {}): Promise<Transcription> {
    const hint = toIso6391(options.language);
    const form = new FormData();
    form.append('file', new Blob([writeWav(pcm16kMono)], { type: 'audio/wav' }), 'audio.wav');
    form.append('model', this.model);
    form.append('response_format', 'verbose_json');
    form.append('timestamp_granularities[]', 'segment');
    if (hint) form.append('language', hint);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;

    let res: Response;
    try {
      res = await fetch(this.url, { method: 'POST', body: form, headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError') throw new AsrServerError(`speech recognition server did not answer within ${this.timeoutMs} ms`);
      throw new AsrServerError(`speech recognition server unreachable: ${this.clean(e.cause?.code ?? e.cause?.message ?? e.message)}`);
    }
    let body: string;
    try {
      body = await res.text();
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError') throw new AsrServerError(`speech recognition server did not answer within ${this.timeoutMs} ms`);
      throw new AsrServerError(`speech recognition server broke off its answer: ${this.clean(e.message)}`);
    }
    if (!res.ok) throw this.failure(res.status, body);
    let json: VerboseJson;
    try {
      json = JSON.parse(body) as VerboseJson;
    } catch {
      throw new AsrServerError(`speech recognition server answered HTTP ${res.status} with something other than JSON`, res.status);
    }
    const durationSec = samplesToSeconds(pcm16kMono.length);
    return { segments: parseSegments(json, durationSec), language: toIso6391(typeof json.language === 'string' ? json.language : undefined) ?? hint ?? 'und' };
  }

  private failure(status: number, body: string): Error {
    let detail = '';
    try {
      const m = (JSON.parse(body) as { error?: { message?: unknown } | string }).error;
      detail = typeof m === 'string' ? m : typeof m?.message === 'string' ? m.message : '';
    } catch {
      // not JSON: the status says enough
    }
    const message = `speech recognition server answered HTTP ${status}${detail ? `: ${this.clean(detail)}` : ''}`;
    return isTransientStatus(status) ? new AsrServerError(message, status) : new PermanentTranscriberError(message);
  }
}

/** `segments` when the server gives them; otherwise the whole `text` as one segment over the audio. */
export function parseSegments(json: VerboseJson, durationSec: number): TranscriptSegment[] {
  const clamp = (t: unknown, lo: number) => Math.min(durationSec, Math.max(lo, typeof t === 'number' && Number.isFinite(t) ? t : lo));
  if (Array.isArray(json.segments) && json.segments.length > 0) {
    const out: TranscriptSegment[] = [];
    for (const s of json.segments as { start?: unknown; end?: unknown; text?: unknown }[]) {
      const text = typeof s?.text === 'string' ? s.text.replace(/\s+/g, ' ').trim() : '';
      if (!text) continue;
      const start = clamp(s.start, 0);
      out.push({ start, end: Math.max(start, clamp(s.end, start)), text });
    }
    return out;
  }
  const text = typeof json.text === 'string' ? json.text.replace(/\s+/g, ' ').trim() : '';
  return text ? [{ start: 0, end: durationSec, text }] : [];
}
