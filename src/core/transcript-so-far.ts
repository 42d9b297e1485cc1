import type { ChunkTranscript, Session, StoredChunk } from './session.js';
import { transcriptLines, transcriptText } from './speakers.js';

const SAMPLE_RATE = 16_000;

/**
 * What a recording or processing session shows as its transcript: the chunks
 * recognised so far, in an unbroken run from the first (a chunk still waiting
 * for the recogniser ends the run, so nothing is shown out of place).
 */
export function transcriptSoFar(session: Pick<Session, 'mode' | 'committedFiles'>, chunks: StoredChunk[], transcripts: ChunkTranscript[]): string {
  const byKey = new Map(transcripts.map((t) => [t.blobKey, t]));
  const committed = session.committedFiles ? new Set(session.committedFiles) : undefined;
  const ordered = chunks.filter((c) => !committed || committed.has(c.name)).sort((a, b) => a.seq - b.seq);
  const segments: Array<{ start: number; end: number; text: string }> = [];
  let offset = 0;
  for (const chunk of ordered) {
    const t = byKey.get(chunk.blobKey);
    if (!t) break;
    for (const s of t.segments) segments.push({ start: s.start + offset, end: s.end + offset, text: s.text });
    offset += (t.samples ?? 0) / SAMPLE_RATE;
  }
  return transcriptText(transcriptLines(segments, session.mode), session.mode);
}
