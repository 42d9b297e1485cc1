import { decodeMulaw } from './mulaw.js';
import { StreamResampler } from './resampler.js';

/** A frame the client got wrong: told with `{type:"error"}`, then the socket is closed. */
export class StreamFrameError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** 1 s of 48 kHz PCM, with room for base64 JSON envelopes; clients send 20–100 ms frames. */
export const MAX_AUDIO_FRAME_BYTES = 256 * 1024;
export const MIN_SAMPLE_RATE = 8000;
export const MAX_SAMPLE_RATE = 48_000;

export function parseSampleRate(raw: string | undefined): number {
  if (raw === undefined) return 16_000;
  const n = /^\d{4,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= MIN_SAMPLE_RATE && n <= MAX_SAMPLE_RATE)) {
    throw new StreamFrameError('invalid_sample_rate', `sample_rate must be an integer from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE}`);
  }
  return n;
}

/** What a frame carried: 16 kHz PCM, and/or the end of the stream (`stop`). */
export interface FrameAudio {
  pcm: Int16Array;
  stop: boolean;
}

const NONE: FrameAudio = { pcm: new Int16Array(0), stop: false };

function int16FromLe(bytes: Uint8Array): Int16Array {
  if (bytes.length % 2 !== 0) throw new StreamFrameError('invalid_frame', 'PCM frames must hold whole 16-bit samples (an even byte count)');
  const out = new Int16Array(bytes.length / 2);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/**
 * The wire format, fixed by the first frame: binary = raw s16le mono PCM at the
 * declared rate; text = Twilio/Vobiz Media Streams JSON (connected, start, media, stop, mark).
 */
export class WireDecoder {
  private kind: 'pcm' | 'media-streams' | undefined;
  private encoding: 'mulaw' | 'l16' = 'mulaw';
  private resampler: StreamResampler;

  constructor(private readonly pcmRate: number) {
    this.resampler = new StreamResampler(pcmRate);
  }

  get format(): string | undefined {
    return this.kind;
  }

  decode(data: Buffer, isBinary: boolean): FrameAudio {
    if (data.length > MAX_AUDIO_FRAME_BYTES) {
      throw new StreamFrameError('frame_too_large', `frames may hold at most ${MAX_AUDIO_FRAME_BYTES} bytes; send 20–100 ms of audio per frame`);
    }
    if (this.kind === undefined) {
      this.kind = isBinary ? 'pcm' : 'media-streams';
      if (this.kind === 'media-streams') this.resampler = new StreamResampler(8000); // until `start` says otherwise
    }
    if (this.kind === 'pcm') {
      if (!isBinary) throw new StreamFrameError('invalid_frame', 'this stream sends binary PCM; a text frame is not allowed');
      return { pcm: this.resampler.push(int16FromLe(data)), stop: false };
    }
    if (isBinary) throw new StreamFrameError('invalid_frame', 'this stream sends Media Streams JSON; a binary frame is not allowed');
    let msg: { event?: unknown; start?: { mediaFormat?: { encoding?: unknown; sampleRate?: unknown } }; media?: { payload?: unknown } };
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      throw new StreamFrameError('invalid_frame', 'text frames must be Media Streams JSON');
    }
    if (typeof msg !== 'object' || msg === null) throw new StreamFrameError('invalid_frame', 'text frames must be JSON objects');
    switch (msg.event) {
      case 'connected':
      case 'mark':
        return NONE;
      case 'start':
        this.start(msg.start?.mediaFormat);
        return NONE;
      case 'media': {
        const payload = msg.media?.payload;
        if (typeof payload !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) {
          throw new StreamFrameError('invalid_frame', 'media.payload must be base64 audio');
        }
        const bytes = Buffer.from(payload, 'base64');
        const pcm = this.encoding === 'mulaw' ? decodeMulaw(bytes) : int16FromLe(bytes);
        return { pcm: this.resampler.push(pcm), stop: false };
      }
      case 'stop':
        return { pcm: new Int16Array(0), stop: true };
      default:
        throw new StreamFrameError('invalid_frame', 'unknown Media Streams event (expected connected, start, media, stop or mark)');
    }
  }

  private start(format: { encoding?: unknown; sampleRate?: unknown } | undefined): void {
    // Twilio's default when nothing is declared: 8 kHz μ-law.
    const encoding = format?.encoding ?? 'audio/x-mulaw';
    if (encoding === 'audio/x-mulaw' || encoding === 'audio/mulaw') this.encoding = 'mulaw';
    else if (encoding === 'audio/x-l16' || encoding === 'audio/l16') this.encoding = 'l16';
    else throw new StreamFrameError('unsupported_encoding', 'mediaFormat.encoding must be audio/x-mulaw or audio/x-l16');
    const rate = format?.sampleRate ?? 8000;
    this.resampler = new StreamResampler(parseSampleRate(String(rate)));
  }
}
