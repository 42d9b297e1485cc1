import type { Logger } from 'pino';
import {
  decodeChunk, decodePcmStream, looksStandalone, SAMPLE_RATE, secondsToSamples, SileroVad, slicePcm, splitAtPauses, UndecodableAudioError,
  VadUnavailableError, type ReopenableSource,
} from '../speech/audio/index.js';
import type { ChunkSegment, ChunkTranscript, ProcessingError, Session, StoredChunk } from '../core/session.js';
import type { BlobStore } from '../core/ports/blob-store.js';
import type { Clock } from '../core/ports/clock.js';
import type { SessionStore } from '../core/ports/session-store.js';
import type { Transcriber } from '../core/ports/transcriber.js';

export interface ChunkTranscriberDeps {
  store: SessionStore;
  blobs: BlobStore;
  clock: Clock;
  transcriber: Transcriber;
  log: Logger;
  maxChunkDurationSeconds: number;
  /** A `single` upload is decoded up to this long (the session limit); the rest is reported, not decoded. */
  maxSessionDurationSeconds: number;
}

/** Over the advertised limit by more than this, a chunk is skipped rather than processed. */
export const CHUNK_DURATION_TOLERANCE_S = 5;
/** 10 ms at 16 kHz. */
const MIN_CHUNK_SAMPLES = 160;
/** Longest piece given to an engine that does not cut at pauses itself. */
const MAX_PIECE_S = 20;
/**
 * A `single` upload is decoded as a stream and recognised a block at a time: at most
 * twice this much PCM is held, however long the recording (an hour was 115 MB, twice).
 */
const BLOCK_S = 60;

export type TranscribePhase = 'incremental' | 'at_end';

const skipped = (chunk: StoredChunk, samples: number | null, message: string): ChunkTranscript => ({
  blobKey: chunk.blobKey,
  seq: chunk.seq,
  outcome: 'skipped',
  samples,
  language: null,
  segments: [],
  error: { type: 'audio_file_skipped', file: chunk.name, message } satisfies ProcessingError,
});

/**
 * Turns one stored chunk into its transcript and stores it by blob key. The same
 * chunk asked for twice in this process (its own job and End Session racing)
 * is recognised once: the second caller joins the first.
 */
export class ChunkTranscriber {
  private readonly inFlight = new Map<string, Promise<ChunkTranscript | undefined>>();
  private vad: Promise<SileroVad | undefined> | undefined;
  /** Chunks recognised, by when: while recording (`incremental`) or after End Session (`at_end`). */
  readonly counts: Record<TranscribePhase, number> = { incremental: 0, at_end: 0 };

  constructor(private readonly deps: ChunkTranscriberDeps) {}

  /**
   * `predecessors` are the stored chunks before this one, in order; `complete`
   * says whether they are all there (no gap in the sequence). Resolves to
   * undefined when the chunk is a headerless continuation whose predecessors
   * have not all arrived: it is decided later, not guessed at.
   */
  transcribe(
    session: Session,
    chunk: StoredChunk,
    predecessors: readonly StoredChunk[],
    opts: { complete: boolean; precedingSamples?: number; phase: TranscribePhase },
  ): Promise<ChunkTranscript | undefined> {
    const running = this.inFlight.get(chunk.blobKey);
    if (running) return running;
    const work = this.run(session, chunk, predecessors, opts).finally(() => this.inFlight.delete(chunk.blobKey));
    this.inFlight.set(chunk.blobKey, work);
    return work;
  }

  /** Whether the chunk carries a container header of its own (decodes without its predecessors). */
  standsAlone(chunk: StoredChunk): Promise<boolean> {
    return looksStandalone(this.source(chunk));
  }

  private source(chunk: StoredChunk): ReopenableSource {
    return { open: () => this.deps.blobs.get(chunk.blobKey) };
  }

  private async run(
    session: Session,
    chunk: StoredChunk,
    predecessors: readonly StoredChunk[],
    opts: { complete: boolean; precedingSamples?: number; phase: TranscribePhase },
  ): Promise<ChunkTranscript | undefined> {
    const own = this.source(chunk);
    if (!opts.complete && !(await looksStandalone(own))) return undefined;
    const limit = this.deps.maxChunkDurationSeconds;
    const single = session.uploadType === 'single';
    if (single && predecessors.length === 0) return this.runSingle(session, chunk, opts.phase);
    // Decoding stops just past what may be used: a file declaring hours of audio costs no more.
    const maxSeconds = single ? this.deps.maxSessionDurationSeconds : limit + CHUNK_DURATION_TOLERANCE_S + 1;
    let decoded;
    try {
      decoded = await decodeChunk(own, opts.complete ? predecessors.map((c) => this.source(c)) : [], {
        maxSeconds,
        ...(opts.precedingSamples !== undefined ? { precedingSamples: opts.precedingSamples } : {}),
      });
    } catch (err) {
      if (!(err instanceof UndecodableAudioError)) throw err;
      if (!opts.complete) return undefined;
      return this.save(session, skipped(chunk, null, `Audio file ${chunk.name} could not be decoded`));
    }
    const samples = decoded.pcm.length;
    // Bytes that decode to (almost) nothing are as good as undecodable.
    if (samples < MIN_CHUNK_SAMPLES) return this.save(session, skipped(chunk, samples, `Audio file ${chunk.name} contains no decodable audio`));
    if (!single && decoded.durationSec > limit + CHUNK_DURATION_TOLERANCE_S) {
      const length = decoded.truncated ? `over ${Math.floor(decoded.durationSec)} s` : `${decoded.durationSec.toFixed(1)} s`;
      return this.save(session, skipped(chunk, samples, `Audio file ${chunk.name} is ${length} long, over the ${limit} s chunk limit`));
    }
    const language = session.transcriptLanguage[0] ?? session.languageHint[0];
    const { segments, language: detected } = await this.recognise(decoded.pcm, decoded.durationSec, language);
    this.counts[opts.phase]++;
    // A single upload longer than a session may be: its first part is transcribed, the rest reported.
    const error: ProcessingError | null = decoded.truncated
      ? {
          type: 'audio_truncated',
          file: chunk.name,
          message: `Audio file ${chunk.name} is longer than the ${maxSeconds} s session limit; only the first ${maxSeconds} s were processed`,
        }
      : null;
    return this.save(session, { blobKey: chunk.blobKey, seq: chunk.seq, outcome: 'transcribed', samples, language: detected, segments, error });
  }

  /**
   * A whole recording, decoded as a stream up to the session limit: every 2 × BLOCK_S of
   * PCM is cut at pauses and recognised, but for its last piece, which is carried into the
   * next block (it may go on past the block's end).
   */
  private async runSingle(session: Session, chunk: StoredChunk, phase: TranscribePhase): Promise<ChunkTranscript> {
    const maxSeconds = this.deps.maxSessionDurationSeconds;
    const language = session.transcriptLanguage[0] ?? session.languageHint[0];
    const options = language ? { language } : {};
    const { transcriber } = this.deps;
    const pieceSec = transcriber.splitsAtPauses ? BLOCK_S : MAX_PIECE_S;
    const vad = await this.loadVad();
    const segments: ChunkSegment[] = [];
    let detected: string | null = null;
    let held: Int16Array[] = [];
    let heldSamples = 0;
    let offset = 0; // samples before the held block
    let total = 0;
    const recogniseHeld = async (final: boolean) => {
      const pcm = concatPcm(held, heldSamples);
      const duration = pcm.length / SAMPLE_RATE;
      const speech = vad ? await vad.speechSegments(pcm) : [{ start: 0, end: duration }];
      const pieces = splitAtPauses(duration, speech, { maxPieceSec: pieceSec });
      const done = final ? pieces : pieces.slice(0, -1);
      for (const piece of done) {
        if (!piece.hasSpeech) continue;
        const t = await transcriber.transcribe(slicePcm(pcm, piece.start, piece.end), options);
        detected ??= t.language;
        const at = offset / SAMPLE_RATE + piece.start;
        for (const seg of t.segments) segments.push({ start: seg.start + at, end: seg.end + at, text: seg.text });
      }
      const keep = final ? pcm.length : secondsToSamples(pieces[pieces.length - 1]?.start ?? duration);
      held = keep < pcm.length ? [pcm.slice(keep)] : [];
      heldSamples = pcm.length - keep;
      offset += keep;
    };
    try {
      for await (const piece of decodePcmStream(this.source(chunk), { maxSeconds })) {
        held.push(piece);
        heldSamples += piece.length;
        total += piece.length;
        if (heldSamples >= 2 * BLOCK_S * SAMPLE_RATE) await recogniseHeld(false);
      }
    } catch (err) {
      if (!(err instanceof UndecodableAudioError)) throw err;
      return this.save(session, skipped(chunk, null, `Audio file ${chunk.name} could not be decoded`));
    }
    if (total < MIN_CHUNK_SAMPLES) return this.save(session, skipped(chunk, total, `Audio file ${chunk.name} contains no decodable audio`));
    await recogniseHeld(true);
    this.counts[phase]++;
    // Longer than a session may be: its first part is transcribed, the rest reported.
    const error: ProcessingError | null =
      total >= secondsToSamples(maxSeconds)
        ? {
            type: 'audio_truncated',
            file: chunk.name,
            message: `Audio file ${chunk.name} is longer than the ${maxSeconds} s session limit; only the first ${maxSeconds} s were processed`,
          }
        : null;
    return this.save(session, { blobKey: chunk.blobKey, seq: chunk.seq, outcome: 'transcribed', samples: total, language: detected, segments, error });
  }

  /** One engine call, or ≤ 20 s pieces cut at pauses for an engine that does not cut long audio itself. */
  private async recognise(pcm: Int16Array, durationSec: number, language: string | undefined) {
    const { transcriber } = this.deps;
    const options = language ? { language } : {};
    if (transcriber.splitsAtPauses || durationSec <= MAX_PIECE_S + CHUNK_DURATION_TOLERANCE_S) {
      const t = await transcriber.transcribe(pcm, options);
      return { segments: t.segments as ChunkSegment[], language: t.language };
    }
    const vad = await this.loadVad();
    const speech = vad ? await vad.speechSegments(pcm) : [{ start: 0, end: durationSec }];
    const segments: ChunkSegment[] = [];
    let detected: string | null = null;
    for (const piece of splitAtPauses(durationSec, speech, { maxPieceSec: MAX_PIECE_S })) {
      if (!piece.hasSpeech) continue;
      const t = await transcriber.transcribe(slicePcm(pcm, piece.start, piece.end), options);
      detected ??= t.language;
      for (const s of t.segments) segments.push({ start: s.start + piece.start, end: s.end + piece.start, text: s.text });
    }
    return { segments, language: detected };
  }

  private loadVad(): Promise<SileroVad | undefined> {
    this.vad ??= SileroVad.load().catch((err: unknown) => {
      if (!(err instanceof VadUnavailableError)) throw err;
      this.deps.log.warn({ err: err.message }, 'Silero VAD unavailable: long audio is cut every 20 s, not at pauses');
      return undefined;
    });
    return this.vad;
  }

  private async save(session: Session, transcript: ChunkTranscript): Promise<ChunkTranscript> {
    await this.deps.store.saveChunkTranscript(session.tenantId, session.id, transcript, this.deps.clock.now());
    return transcript;
  }

  async close(): Promise<void> {
    const vad = await this.vad?.catch(() => undefined);
    await vad?.close();
  }
}

function concatPcm(parts: Int16Array[], samples: number): Int16Array {
  if (parts.length === 1 && parts[0]!.length === samples) return parts[0]!;
  const out = new Int16Array(samples);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
