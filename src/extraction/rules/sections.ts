/**
 * Sentence → SOAP section. Each sentence is scored from what was extracted from it
 * (symptoms, vitals, diagnoses, medication actions, orders, advice, follow-up) and from
 * cue words, by who said it. Small talk and bare questions get no section.
 */
import type { Doc, DocSentence } from './doc.js';
import { isClinician } from './doc.js';
import { EXAM_CUES, RESULT_SENTENCE } from './findings.js';
import { tokenize } from './text.js';
import type { SoapSection } from './types.js';

/** What the extractors found in a sentence (by sentence idx). */
export interface SentenceFacts {
  symptoms: number;
  vitals: number;
  /** Vital numbers that are not today's reading: a past encounter's, a target, a threshold or range of the patient's. */
  vitalsOther: number;
  diagnosesAssessed: number;
  diagnosesHistory: number;
  medsPlanned: number;
  medsCurrent: number;
  ordered: number;
  results: number;
  advice: number;
  followUp: number;
  referral: number;
  allergy: number;
}

export const emptyFacts = (): SentenceFacts => ({
  symptoms: 0, vitals: 0, vitalsOther: 0, diagnosesAssessed: 0, diagnosesHistory: 0, medsPlanned: 0, medsCurrent: 0,
  ordered: 0, results: 0, advice: 0, followUp: 0, referral: 0, allergy: 0,
});

const FILLER = new Set([
  'ok', 'okay', 'alright', 'right', 'yes', 'yeah', 'yep', 'no', 'nope', 'hmm', 'mm', 'hmm', 'mm-hmm', 'uh', 'um', 'uh-huh',
  'thank', 'thanks', 'you', 'doctor', 'doc', 'good', 'morning', 'afternoon', 'evening', 'hello', 'hi', 'hey', 'bye',
  'great', 'sure', 'fine', 'so', 'well', 'oh', 'sorry', 'see', 'i', 'the', 'a', 'and', 'that', 'it', "it's", 'is', 'very',
  'much', 'perfect', 'cool', 'nice', 'to', 'meet', 'again', 'too', 'how', 'are', 'doing', 'today', 'sounds', 'got', 'it',
  'understood', 'understand', 'will', 'do', 'sir', "ma'am", 'maam', 'please', 'wonderful', 'awesome', 'exactly', 'correct',
  'absolutely', 'definitely', 'really', 'gosh', 'wow', 'dragon', 'hey', 'just', 'let', 'me', 'know', 'what', 'brings', 'in',
  'come', 'have', 'seat', 'take', 'nurse', 'told', 'about', 'dax', 'bit', 'little', 'there', 'here', 'we', 'go', 'now', 'lot',
]);
const ASSESS_CUES = /\b(?:impression|assessment|diagnosis|diagnosed|i think (?:this|it|you|that|she|he)|i believe|likely|consistent with|suggestive of|looks like (?:a|an|you|it)|probably|most likely|my concern|differential|rule out|i suspect)\b/;
const PLAN_CUES = /\b(?:plan|i'll|i will|we'll|we will|i'm going to|i am going to|i'm gon na|we're gon na|we are going to|let's|i want you to|i'd like you to|you should|you need to|please|prescribe|recommend|advise|i've ordered|i have ordered|order(?:ing)?|schedule|refer(?:ral)?|follow(?:\s|-)?up)\b/;

function contentWords(s: DocSentence): number {
  return tokenize(s.text).filter((t) => /[a-z0-9]/.test(t.text) && !FILLER.has(t.text)).length;
}

export function classifySentence(doc: Doc, s: DocSentence, f: SentenceFacts): SoapSection | null {
  const words = contentWords(s);
  if (words === 0) return null;
  const clin = isClinician(s);
  if (!clin) {
    if (s.question) return null;
    if (f.symptoms || f.medsCurrent || f.diagnosesHistory || f.allergy || f.vitals || f.vitalsOther || f.results) return 'subjective';
    return words >= 4 ? 'subjective' : null;
  }
  // clinician
  const planItems = f.medsPlanned + f.ordered + f.advice + f.followUp + f.referral;
  if (s.question) {
    return null;
  }
  if (planItems > 0) return 'plan';
  if (f.diagnosesAssessed > 0 || (ASSESS_CUES.test(s.text) && (f.diagnosesHistory > 0 || f.symptoms > 0))) return 'assessment';
  if (f.vitals > 0 || f.results > 0 || EXAM_CUES.test(s.text)) return 'objective';
  if (PLAN_CUES.test(s.text) && words >= 4 && (f.medsCurrent > 0 || /\b(?:medication|medicine|tablet|test|scan|therapy|treatment)\b/.test(s.text))) return 'plan';
  if (f.symptoms || f.diagnosesHistory || f.medsCurrent || f.allergy || f.vitalsOther) return 'subjective';
  if (RESULT_SENTENCE.test(s.text) && /\b(?:x-?ray|scan|mri|ct|labs?|blood work|results?|echo|ekg|ecg)\b/.test(s.text)) return 'objective';
  if (doc.mode === 'dictation' && words >= 3) return 'subjective';
  return null;
}
