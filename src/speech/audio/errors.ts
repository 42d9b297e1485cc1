/**
 * Typed errors of the audio layer. The worker maps them to the protocol's
 * `processing_failed` / `audio_quality_poor` details; nothing here knows HTTP.
 */
export type AudioErrorCode = 'ffmpeg_missing' | 'undecodable_audio' | 'decode_timeout' | 'vad_unavailable';

export class AudioError extends Error {
  constructor(
    readonly code: AudioErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No working ffmpeg binary: neither configured, on PATH, nor from @ffmpeg-installer/ffmpeg. */
export class FfmpegMissingError extends AudioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ffmpeg_missing', message, options);
  }
}

/** ffmpeg ran but could not read the bytes as audio (corrupt, truncated header, wrong container). */
export class UndecodableAudioError extends AudioError {
  constructor(
    message: string,
    /** Last lines ffmpeg wrote to stderr (no audio content, safe to log). */
    readonly detail: string = '',
    options?: { cause?: unknown },
  ) {
    super('undecodable_audio', message, options);
  }
}

export class DecodeTimeoutError extends AudioError {
  constructor(readonly timeoutMs: number) {
    super('decode_timeout', `ffmpeg did not finish within ${timeoutMs} ms`);
  }
}

/** The Silero model or onnxruntime could not be loaded. */
export class VadUnavailableError extends AudioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('vad_unavailable', message, options);
  }
}
