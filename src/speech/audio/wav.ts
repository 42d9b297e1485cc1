/** Minimal RIFF/WAVE reading and writing for PCM (tests, benchmarks, the CLI). */
import { SAMPLE_RATE } from './pcm.js';

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

/** Decodes a whole 16-bit PCM WAV to interleaved samples. */
export function readWav(buf: Uint8Array): { info: WavInfo; samples: Int16Array } {
  const info = parseWavHeader(buf);
  if (info.format !== 1 || info.bitsPerSample !== 16) {
    throw new WavFormatError(`only 16-bit integer PCM is read here (format ${info.format}, ${info.bitsPerSample} bits); decode others with ffmpeg`);
  }
  const bytes = Math.min(info.dataBytes, buf.byteLength - info.dataOffset) & ~1;
  const samples = new Int16Array(bytes / 2);
  new Uint8Array(samples.buffer).set(buf.subarray(info.dataOffset, info.dataOffset + bytes));
  return { info, samples };
}

/** A 44-byte canonical header for `dataBytes` of 16-bit PCM. */
export function wavHeader(dataBytes: number, sampleRate = SAMPLE_RATE, channels = 1): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** Mono 16-bit PCM → WAV bytes. */
export function writeWav(pcm: Int16Array, sampleRate = SAMPLE_RATE): Buffer {
  const data = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  return Buffer.concat([wavHeader(data.length, sampleRate, 1), data]);
}
