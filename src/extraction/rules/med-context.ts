/**
 * Dose, frequency, duration and instructions of a drug said in a neighbouring sentence or
 * turn: "I take ibuprofen regularly. That's 400 mg, twice a day, after food", or the patient's
 * reply to "what dose?" / "how often?". Only sentences that name no other drug count.
 */
import type { Evidence } from '../../core/ports/extractor.js';
import { ev, isClinician, type Doc, type DocSentence } from './doc.js';
import { findConditions, findDoses, findDurations, findFrequency, findInstructions, type Dose, type Duration, type Found, type Frequency } from './dosing.js';

export interface NeighbourAttrs {
  dose: Dose | null;
  frequency: Frequency | null;
  duration: Duration | null;
  instructions: string[];
  evidence: Evidence[];
}

/** A question asking how the drug is taken. */
export const DOSE_QUESTION = /\b(?:how (?:much|often|many|frequently|regularly)|what (?:dose|dosage|strength|milligrams?|mg)|which dose|what do you take|how (?:do|are) you (?:take|taking|using)|when do you take|how many times|what's the dose|what is the dose)\b/;
/** A question without its question mark (punctuation lost): "are you using it". */
const ASKING = /\b(?:are|do|did|have|were) you\b|^(?:and |so )?(?:any|what|how)\b/;
/** Words that point back at a medicine ("that's", "it", "one tablet"). */
const ANAPHOR = /\b(?:it|its|it's|that|that's|thats|those|them|they|one|ones|tablets?|pills?|capsules?|puffs?|dose|doses|i take|take)\b/;
/** A bare number answering "what dose?": "five hundred". */
const BARE_NUMBER = /^(?:(?:um|uh|er|oh|it's|its|it is|i think|about|like|the)[\s,]+)*(\d+(?:\.\d+)?)\b(?!\s*(?:times|days?|weeks?|months?|years?|hours?|%))/;

/**
 * Attributes for a mention at `s`, from at most two following sentences of the turn and, when the
 * drug was asked about or a dose question follows, the patient's reply. `hasDrug` tells whether a
 * sentence names a drug (those belong to that drug).
 */
export function neighbourAttributes(doc: Doc, s: DocSentence, hasDrug: (x: DocSentence) => boolean): NeighbourAttrs {
  const out: NeighbourAttrs = { dose: null, frequency: null, duration: null, instructions: [], evidence: [] };
  const take = (x: DocSentence, reply: boolean, bareOk = false) => {
    const t = x.text;
    const doses = findDoses(t);
    const dose = doses.find((d) => d.value.kind === 'strength') ?? doses[0] ?? null;
    const freq = findFrequency(t);
    // a neighbour sentence counts when it is about dosing: it has a dose, or points back and has a frequency
    if (!reply && !dose && !(freq && ANAPHOR.test(t))) return;
    const spans: Found<unknown>[] = [];
    if (!out.dose) {
      if (dose) { out.dose = dose.value; spans.push(dose); }
      else if (bareOk) {
        const m = BARE_NUMBER.exec(t);
        const v = m ? Number(m[1]) : 0;
        if (m && v > 0 && v <= 2000) {
          out.dose = { value: v, max: null, unit: 'mg', kind: 'strength' };
          spans.push({ value: null, start: m.index + m[0].indexOf(m[1]!), end: m.index + m[0].length });
        }
      }
    }
    if (!out.frequency && freq) { out.frequency = freq.value; spans.push(freq); }
    if (!out.duration && (dose || freq || reply)) {
      const d = findDurations(t).find((x) => /^(?:for|x)\b/.test(t.slice(x.start, x.end)));
      if (d) { out.duration = d.value; spans.push(d); }
    }
    for (const f of [...findInstructions(t), ...findConditions(t)]) {
      if (!out.instructions.includes(f.value)) { out.instructions.push(f.value); spans.push(f); }
    }
    if (spans.length) {
      const a = Math.min(...spans.map((f) => f.start));
      const b = Math.max(...spans.map((f) => f.end));
      out.evidence.push(ev(doc, x.line, x.start + a, x.start + b));
    }
  };
  const line = doc.lines[s.line]!;
  // the rest of the turn
  for (const x of line.sentences.filter((y) => y.idx > s.idx).slice(0, 2)) {
    if (hasDrug(x)) break;
    take(x, false);
  }
  // the reply to the drug asked about, or to a dose question that follows it
  let replyLine: number | null = null;
  let asked = s;
  const next = doc.lines[s.line + 1];
  const isLast = !line.sentences.some((y) => y.idx > s.idx && !hasDrug(y) && y.text.split(/\s+/).length > 3);
  if (isClinician(s) && (s.question || ASKING.test(s.text)) && isLast && next?.speaker === 'patient') replyLine = s.line + 1;
  else if (s.speaker === 'patient' && next && isClinician(next) && next.sentences.some((y) => DOSE_QUESTION.test(y.text))
    && !next.sentences.some(hasDrug) && doc.lines[s.line + 2]?.speaker === 'patient') {
    replyLine = s.line + 2;
    asked = next.sentences.find((y) => DOSE_QUESTION.test(y.text))!;
  }
  const bareOk = /\b(?:dose|dosage|strength|milligrams?|mg|how much)\b/.test(asked.text);
  if (replyLine !== null) {
    for (const x of doc.lines[replyLine]!.sentences.slice(0, 2)) {
      if (hasDrug(x)) break;
      take(x, true, bareOk);
    }
  }
  return out;
}
