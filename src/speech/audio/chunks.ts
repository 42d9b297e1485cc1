/**
 * Decoding one uploaded chunk of a session. Browser MediaRecorder slices one
 * continuous stream: only the first slice carries the WebM (or Ogg / fragmented
 * MP4) header, so a later slice is not a file on its own. Such a chunk is decoded
 * joined behind its predecessors (in sequence order) and only its own samples are
 * kept: the samples the predecessors decode to are counted (or given by the
 * caller, who usually knows them from the earlier chunks) and skipped.
 */
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { countSamples, decodeTail, decodeToPcm, type AudioSource, type DecodeOptions, type DecodedAudio } from './decode.js';
import { UndecodableAudioError } from './errors.js';
import { samplesToSeconds } from './pcm.js';

/** A source that can be opened more than once (bytes, a file, or a stream factory). */
export type ReopenableSource = Exclude<AudioSource, Readable>;

export interface ChunkDecodeOptions extends DecodeOptions {
  /**
   * Samples that the predecessors decode to, all together, when the caller
   * already knows it (the sum of the earlier chunks' decoded lengths); saves
   * decoding the prefix twice.
   */
  precedingSamples?: number;
}

export interface DecodedChunk extends DecodedAudio {
  /** True when the chunk did not decode alone and was decoded behind its predecessors. */
  joined: boolean;
}

/** Containers whose continuation slices have no header of their own. */
function headerOf(head: Uint8Array): 'webm' | 'ogg' | 'mp4' | 'wav' | undefined {
  const at = (sig: string, off = 0) => head.length >= off + sig.length && [...sig].every((c, i) => head[off + i] === c.charCodeAt(0));
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'webm';
  if (at('OggS')) return 'ogg';
  if (at('ftyp', 4)) return 'mp4';
  if (at('RIFF') && at('WAVE', 8)) return 'wav';
  return undefined;
}

async function firstBytes(s: ReopenableSource, n = 12): Promise<Uint8Array> {
  if (s instanceof Uint8Array) return s.subarray(0, n);
  if ('path' in s) {
    const fh = await fs.promises.open(s.path, 'r');
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }
  const r = await s.open();
  try {
    for await (const piece of r) return (piece as Buffer).subarray(0, n);
    return new Uint8Array();
  } finally {
    r.destroy();
  }
}

/**
 * Whether a chunk starts like a file of its own (a container header, or MP3
 * frames that decode alone) rather than a headerless continuation slice.
 */
export async function looksStandalone(source: ReopenableSource): Promise<boolean> {
  return standsAlone(await firstBytes(source));
}

function standsAlone(head: Uint8Array): boolean {
  if (headerOf(head) !== undefined) return true;
  const id3 = head[0] === 0x49 && head[1] === 0x44 && head[2] === 0x33;
  const mp3Sync = head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0;
  return id3 || mp3Sync;
}

/**
 * Decodes `current`, the chunk after `predecessors` (every earlier chunk of the
 * session, in sequence order). Throws UndecodableAudioError when it decodes
 * neither alone nor joined, FfmpegMissingError when there is no ffmpeg.
 */
export async function decodeChunk(
  current: ReopenableSource,
  predecessors: readonly ReopenableSource[],
  options: ChunkDecodeOptions = {},
): Promise<DecodedChunk> {
  const { precedingSamples, ...decodeOptions } = options;
  // A continuation slice of a headered stream goes straight to joining: probing
  // it alone could mistake random Opus bytes for some other format.
  let continuation = false;
  if (predecessors.length > 0) {
    const [firstHead, ownHead] = await Promise.all([firstBytes(predecessors[0]!), firstBytes(current)]);
    const streamKind = headerOf(firstHead);
    // A file of another kind (a WAV after a WebM, an Ogg after an MP3) is a file of its own;
    // a slice that starts like its stream's own pages (Ogg) is tried alone first.
    continuation = streamKind !== undefined && streamKind !== 'wav' && !standsAlone(ownHead);
  }
  if (!continuation) {
    try {
      return { ...(await decodeToPcm(current, decodeOptions)), joined: false };
    } catch (err) {
      if (!(err instanceof UndecodableAudioError) || predecessors.length === 0) throw err;
    }
  }
  if (predecessors.length === 0) throw new UndecodableAudioError('chunk does not decode and has no predecessor to join');
  // `maxSeconds` bounds the chunk's own audio: each predecessor gets as much, the joined decode the sum.
  const own = decodeOptions.maxSeconds;
  const skip =
    precedingSamples ??
    (await countSamples([...predecessors], { ...decodeOptions, ...(own !== undefined ? { maxSeconds: own * predecessors.length } : {}) }));
  try {
    const tail = await decodeTail([...predecessors, current], skip, {
      ...decodeOptions,
      ...(own !== undefined ? { maxSeconds: own + samplesToSeconds(skip) } : {}),
    });
    return { pcm: tail.pcm, sampleRate: tail.sampleRate, durationSec: tail.durationSec, truncated: tail.truncated, joined: true };
  } catch (err) {
    if (err instanceof UndecodableAudioError) {
      throw new UndecodableAudioError(`chunk decodes neither alone nor joined to its ${predecessors.length} predecessor(s)`, err.detail, { cause: err });
    }
    throw err;
  }
}
