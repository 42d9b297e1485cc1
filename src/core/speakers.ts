import type { TranscriptLine } from './ports/extractor.js';

/**
 * Speaker labels for a consultation recorded on one channel: each recognised
 * utterance is a turn, and what is said decides the role — questions, examination
 * and prescribing language are the clinician's; first-person complaints are the
 * patient's. An utterance with no cue continues the alternation of turns.
 */
const DOCTOR_CUES = [
  /\?\s*$/,
  /^(how|what|when|where|why|which|do|does|did|are|is|have|has|can|could|any)\b/i,
  /\b(i('ll| will) (start|prescribe|give|refer|order|increase|reduce|stop)|let'?s|we('ll| will)|your (blood pressure|pulse|sugar|test|report)s?)\b/i,
  /\b(tablets?|once daily|after food|follow[- ]up|examination|on examination|review|prescribe|start you)\b/i,
];
const PATIENT_CUES = [
  /\b(i('ve| have)? (been|had|feel|get|got)|i am|i'm|my (head|chest|stomach|back|leg|arm)|it hurts|since (yesterday|last)|doctor)\b/i,
  /^(yes|yeah|no|okay|ok|thank you|thanks)\b/i,
];

function score(text: string, cues: RegExp[], pronouns: RegExp): number {
  // Person of the pronouns counts too: "my", "I" lean patient; "you", "your" lean clinician.
  return cues.reduce((n, re) => n + (re.test(text) ? 1 : 0), 0) + 0.5 * (text.match(pronouns)?.length ?? 0);
}

const FIRST_PERSON = /\b(i|i'm|i've|my|me|mine)\b/gi;
const SECOND_PERSON = /\b(you|your|you're|you've)\b/gi;

export function labelSpeakers(utterances: Array<{ text: string; start: number; end: number }>): TranscriptLine[] {
  let previous: 'doctor' | 'patient' = 'patient';
  return utterances.map((u) => {
    const d = score(u.text, DOCTOR_CUES, SECOND_PERSON);
    const p = score(u.text, PATIENT_CUES, FIRST_PERSON);
    const speaker = d > p ? 'doctor' : p > d ? 'patient' : previous === 'doctor' ? 'patient' : 'doctor';
    previous = speaker;
    return { speaker, text: u.text, start: u.start, end: u.end };
  });
}

/** `Doctor: …` / `Patient: …` lines, or plain text for dictation. */
export function transcriptText(lines: TranscriptLine[], mode: 'dictation' | 'consultation'): string {
  if (mode === 'dictation') return lines.map((l) => l.text).join(' ').trim();
  const label = { doctor: 'Doctor', patient: 'Patient', unknown: 'Speaker' } as const;
  return lines.map((l) => `${label[l.speaker]}: ${l.text}`).join('\n');
}

/** Transcript lines of recognised segments: turns labelled in a consultation, one speaker in a dictation. */
export function transcriptLines(segments: Array<{ text: string; start: number; end: number }>, mode: 'dictation' | 'consultation'): TranscriptLine[] {
  return mode === 'consultation'
    ? labelSpeakers(segments)
    : segments.map((s) => ({ speaker: 'doctor' as const, text: s.text, start: s.start, end: s.end }));
}
