import type { TranscriptSegment } from '../../../core/ports/transcriber.js';
import type { RawSegment } from './protocol.js';

/** Whisper's annotations for what is not speech: `[BLANK_AUDIO]`, `(music)`, `*coughs*`, `[ Silence ]`. */
const NON_SPEECH = /^(\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|♪+)$/;

/** whisper.cpp segments (ms) → port segments (s), non-speech annotations dropped, times kept inside the audio. */
export function toTranscriptSegments(raw: readonly RawSegment[], durationSec: number): TranscriptSegment[] {
  const out: TranscriptSegment[] = [];
  for (const s of raw) {
    const text = s.text.replace(/\s+/g, ' ').trim();
    if (!text || NON_SPEECH.test(text)) continue;
    const start = Math.min(durationSec, Math.max(0, s.t0 / 1000));
    const end = Math.min(durationSec, Math.max(start, s.t1 / 1000));
    out.push({ start, end, text });
  }
  return out;
}
