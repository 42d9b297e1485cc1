/**
 * Whether a reading was taken at this visit (or is the patient's own current home reading)
 * or at another encounter: "I see that it was 180 over 95 when you went into the emergency
 * room", or "looks like your blood pressure was 200 over 90" right after the patient's ER
 * visit was discussed. Those are historical: a fact of the history, not today's vital sign.
 * A cue of this visit ("today", "right now", "in the office", "when you came in", "your
 * vitals") keeps a reading present.
 */
import type { Doc, DocSentence } from './doc.js';
import type { VitalAssertion, VitalReading } from './vitals.js';

/** Another place or time of care. */
const OTHER_ENCOUNTER = /\b(?:er|e r|emergency (?:room|department)|a&e|urgent care|(?:the|a) hospital|hospitalized|hospitalised|ambulance|paramedics?|admitted|admission|discharge|last (?:visit|time|appointment)|previous (?:visit|appointment)|your (?:last|previous) (?:visit|appointment))\b/;
/** This visit. */
const THIS_VISIT = /\b(?:today|right now|now|currently|this morning|this afternoon|in (?:the )?(?:office|clinic)|here in|when you came in|on arrival|came in today|vitals?|vital signs|(?:physical )?exam(?:ination)?|i reviewed|my (?:nurse|assistant)|the nurse)\b/;
/** The reading is told in the past tense. */
const PAST = /\b(?:was|were|had been|went up to|got up to|spiked to|peaked at|reached|as high as)\b/;
/** How many lines back the talk can have been about the other encounter. */
const CONTEXT_LINES = 3;

export function vitalEncounter(doc: Doc, s: DocSentence, r: Pick<VitalReading, 'start' | 'valueStart' | 'valueEnd'>): { assertion: VitalAssertion; cue: string | null } | null {
  const t = s.text;
  const local = t.slice(Math.max(0, r.valueStart - 100), Math.min(t.length, r.valueEnd + 60));
  if (THIS_VISIT.test(local)) return null;
  const near = OTHER_ENCOUNTER.exec(local);
  if (near) return { assertion: 'historical', cue: near[0] };
  // past tense with the other encounter just discussed: earlier in the turn or in the lines before
  if (!PAST.test(t.slice(Math.max(0, r.start - 30), r.valueStart))) return null;
  const earlier = [t.slice(0, Math.max(0, r.valueStart - 100))];
  for (let i = s.line - 1; i >= Math.max(0, s.line - CONTEXT_LINES); i--) earlier.push(doc.lines[i]!.nt.norm);
  for (const text of earlier) {
    const m = OTHER_ENCOUNTER.exec(text);
    if (m) return { assertion: 'historical', cue: m[0] };
  }
  return null;
}
