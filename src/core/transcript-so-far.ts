import type { ChunkSegment, ChunkTranscript, Session, StoredChunk } from './session.js';
import { transcriptLines, transcriptText } from './speakers.js';

/** `ChunkTranscript.samples` are at 16 kHz. */
const SAMPLE_RATE = 16_000;

/**
 * Appends a chunk's segments to `into`, moved from chunk-local times to the whole
 * recording's (`offsetSec` = the decoded length of the chunks before it); returns
 * the offset of the chunk after it.
 */
export function appendChunkSegments(into: ChunkSegment[], t: ChunkTranscript, offsetSec: number): number {
  for (const s of t.segments) into.push({ start: s.start + offsetSec, end: s.end + offsetSec, text: s.text });
  return offsetSec + (t.samples ?? 0) / SAMPLE_RATE;
}

/**
 * What a recording or processing session shows as its transcript: the chunks
 * recognised so far, in an unbroken run from the first (a chunk still waiting
 * for the recogniser ends the run, so nothing is shown out of place).
 */
export function transcriptSoFar(session: Pick<Session, 'mode' | 'committedFiles'>, chunks: StoredChunk[], transcripts: ChunkTranscript[]): string {
  const byKey = new Map(transcripts.map((t) => [t.blobKey, t]));
  const committed = session.committedFiles ? new Set(session.committedFiles) : undefined;
  const ordered = chunks.filter((c) => !committed || committed.has(c.name)).sort((a, b) => a.seq - b.seq);
  const segments: ChunkSegment[] = [];
  let offset = 0;
  for (const chunk of ordered) {
    const t = byKey.get(chunk.blobKey);
    if (!t) break;
    offset = appendChunkSegments(segments, t, offset);
  }
  return transcriptText(transcriptLines(segments, session.mode), session.mode);
}
