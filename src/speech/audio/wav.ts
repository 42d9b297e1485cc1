/** Minimal RIFF/WAVE reading and writing for PCM (tests, benchmarks, the CLI). */
import { SAMPLE_RATE } from './pcm.js';

export { parseWavHeader, WavFormatError, type WavInfo } from '../../core/audio-header.js';
import { parseWavHeader, WavFormatError, type WavInfo } from '../../core/audio-header.js';

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
