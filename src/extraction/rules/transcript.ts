/**
 * Plain text → TranscriptLine[]. Understands speaker prefixes in the forms people and
 * datasets write them: "Doctor:", "Dr:", "D:", "D|", "[doctor]", "Patient:", "Pt:",
 * "P:", "P|", "[patient]"; "[patient_guest]" (a relative, ACI-BENCH's tag) and other
 * tags are `unknown`. Unlabelled lines get `defaultSpeaker` (or, inside a labelled
 * transcript, continue the previous speaker's turn as a new line).
 */
import type { Speaker, TranscriptLine } from '../../core/ports/extractor.js';

const PREFIX = /^\s*(?:\[\s*(doctor|dr|clinician|physician|patient|pt|speaker\s*\d+|guest_?\w*|\w+_guest|unknown)\s*\]|(doctor|dr\.?|clinician|physician|gp|d|patient|pt|p|speaker\s*\d+|unknown)\s*[:|>]|(d|p)\s*\|)\s?/i;

function speakerOf(label: string): Speaker {
  const l = label.toLowerCase().replace(/\.$/, '');
  if (['doctor', 'dr', 'clinician', 'physician', 'gp', 'd'].includes(l)) return 'doctor';
  if (['patient', 'pt', 'p'].includes(l)) return 'patient';
  return 'unknown';
}

export interface ParseOptions {
  /** Speaker for lines without a label when no line has one (default 'unknown'). */
  defaultSpeaker?: Speaker;
}

export function parseTranscriptText(text: string, opts: ParseOptions = {}): TranscriptLine[] {
  if (typeof text !== 'string') return [];
  const raw = text.replace(/\r\n?/g, '\n').split('\n');
  const parsed = raw.map((line) => {
    const m = PREFIX.exec(line);
    if (!m) return { speaker: null as Speaker | null, text: line.trim() };
    const label = m[1] ?? m[2] ?? m[3] ?? '';
    return { speaker: speakerOf(label), text: line.slice(m[0].length).trim() };
  });
  const labelled = parsed.some((p) => p.speaker !== null);
  const out: TranscriptLine[] = [];
  let last: Speaker = opts.defaultSpeaker ?? 'unknown';
  for (const p of parsed) {
    if (!p.text) continue;
    const speaker = p.speaker ?? (labelled ? last : opts.defaultSpeaker ?? 'unknown');
    last = speaker;
    out.push({ speaker, text: p.text });
  }
  return out;
}
