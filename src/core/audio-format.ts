import { parseWavHeader, WavFormatError } from './audio-header.js';
import { ProtocolError } from './errors.js';

/** MIME types advertised in discovery (the protocol's list). */
export const ADVERTISED_AUDIO_FORMATS = [
  'audio/webm;codecs=opus',
  'audio/wav',
  'audio/ogg',
  'audio/ogg;codecs=opus',
  'audio/mp4',
  'audio/m4a',
  'audio/mp3',
] as const;

export const AUDIO_EXTENSIONS = ['webm', 'wav', 'ogg', 'opus', 'mp4', 'm4a', 'mp3'] as const;
export type AudioExtension = (typeof AUDIO_EXTENSIONS)[number];

/** Container families we can recognise from their first bytes. */
export type Container = 'webm' | 'wav' | 'ogg' | 'mp4' | 'mp3';

const MIME_CONTAINER: Record<string, Container> = {
  'audio/webm': 'webm',
  'video/webm': 'webm',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/vnd.wave': 'wav',
  'audio/ogg': 'ogg',
  'audio/opus': 'ogg',
  'audio/mp4': 'mp4',
  'audio/m4a': 'mp4',
  'audio/x-m4a': 'mp4',
  'audio/aac': 'mp4',
  'audio/mp3': 'mp3',
  'audio/mpeg': 'mp3',
  'audio/mpeg3': 'mp3',
  'audio/x-mp3': 'mp3',
};

const EXT_CONTAINER: Record<AudioExtension, Container> = {
  webm: 'webm',
  wav: 'wav',
  ogg: 'ogg',
  opus: 'ogg',
  mp4: 'mp4',
  m4a: 'mp4',
  mp3: 'mp3',
};

const GENERIC_TYPES = new Set(['application/octet-stream', 'binary/octet-stream', '']);

/**
 * Decides the container from the Content-Type, falling back to the file extension
 * when the type is absent or generic. An unsupported type is a client error.
 */
export function containerFor(contentType: string | undefined, ext: AudioExtension): Container {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (GENERIC_TYPES.has(base)) return EXT_CONTAINER[ext];
  const container = MIME_CONTAINER[base];
  if (!container) {
    throw new ProtocolError('invalid_audio_format', `Unsupported audio type "${base.slice(0, 100)}"`, {
      content_type: base.slice(0, 100),
      supported_formats: ADVERTISED_AUDIO_FORMATS,
    });
  }
  return container;
}

/** How many leading bytes `sniff` wants to see (a WAV's fmt and data headers, past any LIST chunk). */
export const SNIFF_BYTES = 4096;

const startsWith = (b: Uint8Array, sig: number[], at = 0): boolean =>
  b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/**
 * Signatures of files that are plainly not audio (executables, archives, documents,
 * images). They matter for WebM, whose headerless continuation slices may start with
 * any bytes: each is 3+ bytes long, so a real slice is mistaken for one about once in
 * 16 million.
 */
const NOT_AUDIO: Array<{ sig: number[]; at?: number }> = [
  { sig: [0x7f, 0x45, 0x4c, 0x46] }, // ELF
  { sig: [0x4d, 0x5a, 0x90, 0x00] }, // PE / DOS executable
  { sig: [0xcf, 0xfa, 0xed, 0xfe] }, // Mach-O
  { sig: [0xca, 0xfe, 0xba, 0xbe] }, // Mach-O fat / Java class
  { sig: [0x00, 0x61, 0x73, 0x6d] }, // WebAssembly
  { sig: ascii('%PDF') },
  { sig: [0x50, 0x4b, 0x03, 0x04] }, // ZIP (and docx, jar, apk)
  { sig: [0x1f, 0x8b, 0x08] }, // gzip
  { sig: ascii('BZh') },
  { sig: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] }, // xz
  { sig: [0x28, 0xb5, 0x2f, 0xfd] }, // zstd
  { sig: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] }, // 7z
  { sig: ascii('Rar!') },
  { sig: [0x89, 0x50, 0x4e, 0x47] }, // PNG
  { sig: [0xff, 0xd8, 0xff] }, // JPEG
  { sig: ascii('GIF8') },
  { sig: ascii('SQLite format 3') },
];

function looksLike(b: Uint8Array): Container | 'text' | 'binary' | undefined {
  if (NOT_AUDIO.some(({ sig, at }) => startsWith(b, sig, at))) return 'binary';
  if (startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WAVE'), 8)) return 'wav';
  if (startsWith(b, [0x1a, 0x45, 0xdf, 0xa3])) return 'webm';
  if (startsWith(b, ascii('OggS'))) return 'ogg';
  if (['ftyp', 'styp', 'moof', 'mdat', 'free', 'wide'].some((box) => startsWith(b, ascii(box), 4))) return 'mp4';
  if (startsWith(b, ascii('ID3'))) return 'mp3';
  if (b.length >= 2 && b[0] === 0xff && (b[1]! & 0xe0) === 0xe0) return 'mp3';
  const printable = b.length > 0 && b.every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127));
  if (printable) return 'text';
  return undefined;
}

/**
 * Checks the first bytes against the declared container. Browser MediaRecorder
 * WebM chunks after the first carry no EBML header, so a WebM chunk only has to
 * not be plainly something else (another container's signature, or text).
 */
export function sniff(head: Uint8Array, container: Container): void {
  const seen = looksLike(head);
  if (seen === 'binary') {
    throw new ProtocolError('invalid_audio_format', 'The uploaded bytes are not audio', { expected: container, detected: 'not audio' });
  }
  const ok =
    seen === container ||
    (container === 'webm' && seen === undefined && head.length > 0);
  if (!ok) {
    throw new ProtocolError('invalid_audio_format', `The uploaded bytes are not ${container} audio`, {
      expected: container,
      ...(seen ? { detected: seen } : {}),
    });
  }
}

/** Sample rates a WAV may declare: below 8 kHz is not speech audio, and it would be stretched 16 000-fold by resampling (a decompression bomb). */
export const WAV_SAMPLE_RATES = { min: 8000, max: 384_000 } as const;

/**
 * Checks what a WAV's header declares against the limits, before anything is
 * decoded: a rate outside `WAV_SAMPLE_RATES` is refused, and so is a declared length
 * over `maxSeconds` (a 44-byte header can declare 27 hours in 10 MB at 100 Hz).
 * Other containers say their length only at the end or not at all: the decoder's
 * cap bounds those. A WAV header that cannot be read here is left to the decoder.
 */
export function checkDeclaredAudio(head: Uint8Array, container: Container, maxSeconds: number): void {
  if (container !== 'wav') return;
  let info;
  try {
    info = parseWavHeader(head);
  } catch (err) {
    if (err instanceof WavFormatError) return;
    throw err;
  }
  const { min, max } = WAV_SAMPLE_RATES;
  if (info.sampleRate < min || info.sampleRate > max) {
    throw new ProtocolError('invalid_audio_format', `The WAV header declares ${info.sampleRate} Hz; ${min}–${max} Hz is accepted`, {
      sample_rate: info.sampleRate,
      min_sample_rate: min,
      max_sample_rate: max,
    });
  }
  if (info.channels < 1 || info.channels > 8 || ![8, 16, 24, 32, 64].includes(info.bitsPerSample)) {
    throw new ProtocolError('invalid_audio_format', `The WAV header declares ${info.channels} channels of ${info.bitsPerSample}-bit samples`, {
      channels: info.channels,
      bits_per_sample: info.bitsPerSample,
    });
  }
  // A streamed WAV leaves its size open (the bytes present so far are counted): the upload's byte limit bounds it.
  const declared = info.durationSec;
  if (declared > maxSeconds) {
    throw new ProtocolError('chunk_too_large', `The WAV header declares ${Math.round(declared)} s of audio; a session holds at most ${maxSeconds} s`, {
      declared_duration_seconds: Math.round(declared),
      max_duration_seconds: maxSeconds,
    });
  }
}
