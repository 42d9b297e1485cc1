/**
 * What an audio file's header declares, read from its first bytes before any
 * decoding: a WAV's rate and length are known at upload, so a file that declares
 * hours of audio or a rate no microphone records is refused there (pure: no I/O).
 */
export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** 1 = integer PCM, 3 = IEEE float. */
  format: number;
  /** Byte offset and length of the `data` chunk. */
  dataOffset: number;
  dataBytes: number;
  durationSec: number;
}

export class WavFormatError extends Error {
  override name = 'WavFormatError';
}

/** Reads the header of a WAV file held in `buf` (a prefix is enough if it holds the `data` chunk header). */
export function parseWavHeader(buf: Uint8Array): WavInfo {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') {
    throw new WavFormatError('not a RIFF/WAVE file');
  }
  let off = 12;
  let fmt: { format: number; channels: number; sampleRate: number; bitsPerSample: number } | undefined;
  while (off + 8 <= b.length) {
    const id = b.toString('latin1', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (body + 16 > b.length) break;
      let format = b.readUInt16LE(body);
      if (format === 0xfffe && size >= 40 && body + 26 <= b.length) format = b.readUInt16LE(body + 24); // WAVE_FORMAT_EXTENSIBLE
      fmt = { format, channels: b.readUInt16LE(body + 2), sampleRate: b.readUInt32LE(body + 4), bitsPerSample: b.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError('data chunk before fmt chunk');
      const available = Math.max(0, b.length - body);
      const dataBytes = size === 0xffffffff || size === 0 ? available : size; // streamed WAVs leave the size open
      const frame = (fmt.bitsPerSample / 8) * fmt.channels;
      return { ...fmt, dataOffset: body, dataBytes, durationSec: frame > 0 ? dataBytes / frame / fmt.sampleRate : 0 };
    }
    off = body + size + (size & 1);
  }
  throw new WavFormatError('no fmt/data chunk');
}

