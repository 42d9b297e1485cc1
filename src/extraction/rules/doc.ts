/** The transcript as the rules see it: normalised lines split into sentences. */
import type { Evidence, ExtractionInput, Speaker } from '../../core/ports/extractor.js';
import { answerPolarity, isQuestion } from './negation.js';
import { evidenceOf, normalizeText, splitSentences, type NormText, type Sentence } from './text.js';

export interface DocSentence extends Sentence {
  /** Position among all sentences of the document. */
  idx: number;
  speaker: Speaker;
  question: boolean;
}

export interface DocLine {
  index: number;
  speaker: Speaker;
  nt: NormText;
  sentences: DocSentence[];
}

export interface Doc {
  mode: ExtractionInput['mode'];
  lines: DocLine[];
  sentences: DocSentence[];
}

/** Longest line considered; longer lines are cut (a transcript line is rarely > 5k chars). */
const MAX_LINE = 20_000;

export function buildDoc(input: ExtractionInput): Doc {
  const lines: DocLine[] = [];
  const sentences: DocSentence[] = [];
  const src = Array.isArray(input?.lines) ? input.lines : [];
  src.forEach((l, index) => {
    const text = typeof l?.text === 'string' ? l.text.slice(0, MAX_LINE) : '';
    const speaker: Speaker = l?.speaker === 'doctor' || l?.speaker === 'patient' ? l.speaker : input?.mode === 'dictation' ? 'doctor' : 'unknown';
    const nt = normalizeText(text);
    const ss: DocSentence[] = splitSentences(index, nt.norm).map((s) => ({
      ...s,
      idx: 0,
      speaker,
      question: isQuestion(s.text),
    }));
    for (const s of ss) {
      s.idx = sentences.length;
      sentences.push(s);
    }
    lines.push({ index, speaker, nt, sentences: ss });
  });
  return { mode: input?.mode === 'dictation' ? 'dictation' : 'consultation', lines, sentences };
}

/** Evidence for `[s, e)` of line `line`'s normalised text. */
export function ev(doc: Doc, line: number, s: number, e: number): Evidence {
  const l = doc.lines[line]!;
  return evidenceOf(line, l.nt, s, e);
}

/** Whether the speaker is the clinician (doctor, or unlabelled narration). */
export function isClinician(s: { speaker: Speaker }): boolean {
  return s.speaker !== 'patient';
}

/**
 * For a question asked by the doctor: how the patient's next line answers it
 * ('yes' | 'no' | null when unclear or unanswered).
 */
export function answerTo(doc: Doc, q: DocSentence): { polarity: 'yes' | 'no' | null; line: number | null } {
  if (q.speaker === 'patient') return { polarity: null, line: null };
  // only the last question of a turn is what the patient answers
  const line = doc.lines[q.line]!;
  // the patient answers the end of the turn: a statement after the question means it was not
  // what they replied to (several questions in a row share the reply)
  const laterStatement = line.sentences.some((s) => s.idx > q.idx && !s.question && s.text.split(/\s+/).length > 2);
  if (laterStatement) return { polarity: null, line: null };
  for (let i = q.line + 1; i < Math.min(doc.lines.length, q.line + 3); i++) {
    const l = doc.lines[i]!;
    if (l.speaker === 'patient') {
      const first = l.sentences[0];
      return { polarity: first ? answerPolarity(first.text) : null, line: i };
    }
    if (l.speaker === 'doctor' && l.sentences.some((s) => s.text.split(/\s+/).length > 2)) break;
  }
  return { polarity: null, line: null };
}
