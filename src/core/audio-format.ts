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

/** How many leading bytes `sniff` wants to see. */
export const SNIFF_BYTES = 12;

const startsWith = (b: Uint8Array, sig: number[], at = 0): boolean =>
  b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

function looksLike(b: Uint8Array): Container | 'text' | undefined {
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
