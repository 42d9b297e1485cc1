/** Runs every rule over a transcript once; templates are views of the result. */
import type { Evidence, ExtractionInput } from '../../core/ports/extractor.js';
import { buildDoc, ev, isClinician, type Doc, type DocSentence } from './doc.js';
import { findAdvice, findAllergies, findDiagnoses, findFollowUp, findInvestigations, findReferrals } from './findings.js';
import { aggregateMedications, findMedicationMentions, medicationReview } from './medications.js';
import { classifySentence, emptyFacts, type SentenceFacts } from './sections.js';
import { aggregateSymptoms, findingReview, findSymptomMentions } from './symptoms.js';
import type {
  AdviceItem, AllergyItem, DiagnosisItem, FollowUpItem, InvestigationItem, MedicationItem, ReferralItem, SoapSection,
  ReviewItem, Statement, SymptomItem, VitalItem,
} from './types.js';
import { implausibility } from './plausibility.js';
import { vitalEncounter } from './vital-context.js';
import { findVitals, formatVital } from './vitals.js';

export interface ChiefComplaint {
  text: string;
  evidence: Evidence[];
}

export interface Analysis {
  doc: Doc;
  chiefComplaint: ChiefComplaint | null;
  symptoms: SymptomItem[];
  /** Readings of this visit (and the patient's own current readings): what is reported as vitals. */
  vitals: VitalItem[];
  /** Numbers said with a vital's name that are not one: targets, thresholds, ranges, other encounters' readings. */
  otherVitals: VitalItem[];
  medications: MedicationItem[];
  diagnoses: DiagnosisItem[];
  allergies: AllergyItem[];
  noKnownAllergies: Evidence | null;
  investigations: InvestigationItem[];
  advice: AdviceItem[];
  followUp: FollowUpItem | null;
  referrals: ReferralItem[];
  /** Sentences by SOAP section, in transcript order. */
  sections: Record<SoapSection, Statement[]>;
  /** What the clinician should check before signing (implausible values, weak matches, conflicts). */
  review: ReviewItem[];
  /** Every sentence given a section, with what was extracted from it: the composed notes choose from these. */
  classified: ClassifiedSentence[];
}

export interface ClassifiedSentence {
  sentence: DocSentence;
  section: SoapSection;
  facts: SentenceFacts;
}


export function analyze(input: ExtractionInput): Analysis {
  const doc = buildDoc(input);
  const facts = new Map<number, SentenceFacts>();
  const fact = (idx: number) => {
    let f = facts.get(idx);
    if (!f) facts.set(idx, (f = emptyFacts()));
    return f;
  };
  const sentenceAt = (line: number, start: number): DocSentence | undefined =>
    doc.lines[line]?.sentences.find((s) => s.start <= start && start < s.end);

  // symptoms
  const symptomMentions = findSymptomMentions(doc);
  for (const m of symptomMentions) fact(m.sentence.idx).symptoms++;
  const symptoms = aggregateSymptoms(doc, symptomMentions);
  const findingConflicts = findingReview(doc, symptomMentions);

  // vitals (clinician and patient: patients report home readings)
  const vitals: VitalItem[] = [];
  const review: ReviewItem[] = [];
  const otherVitals: VitalItem[] = [];
  for (const s of doc.sentences) {
    for (const r of findVitals(s.text)) {
      const e = ev(doc, s.line, s.start + r.start, s.start + r.end);
      let { assertion, assertion_cue } = r;
      if (assertion === 'present') {
        const enc = vitalEncounter(doc, s, r);
        if (enc) ({ assertion, cue: assertion_cue } = enc);
      }
      const item: VitalItem = { type: r.type, value: r.value, value2: r.value2, unit: r.unit, qualifier: r.qualifier, text: formatVital(r), evidence: [e], assertion, assertion_cue };
      // a target, threshold, range or another encounter's reading is not a measurement of today
      if (assertion !== 'present') {
        otherVitals.push(item);
        // still a statement about the patient's readings: history, not examination
        fact(s.idx).vitalsOther++;
        continue;
      }
      const why = implausibility(r);
      if (why) {
        review.push({ field: `vitals.${r.type}`, reason: why, evidence: [e] });
        continue;
      }
      vitals.push(item);
      fact(s.idx).vitals++;
    }
  }

  // medications
  const { mentions, allergies: allergyDrugHits } = findMedicationMentions(doc);
  for (const m of mentions) {
    // a denied, past or hypothetical drug says nothing about the patient's treatment
    if (m.assertion !== 'present' && m.assertion !== 'planned') continue;
    const f = fact(m.sentence.idx);
    if (m.explicit && isClinician(m.sentence) && m.action !== 'continue') f.medsPlanned++;
    else if (m.explicit && isClinician(m.sentence) && m.action === 'continue' && /\b(?:continue|refill|keep|stay)\b/.test(m.sentence.text)) f.medsPlanned++;
    else f.medsCurrent++;
  }
  const medications = aggregateMedications(doc, mentions);
  review.push(...medicationReview(doc, mentions));

  const diagnoses = findDiagnoses(doc);
  for (const d of diagnoses) {
    for (const e of d.evidence) {
      const s = sentenceAt(e.line, toNorm(doc, e));
      if (!s) continue;
      if (d.status === 'confirmed' || d.status === 'provisional') fact(s.idx).diagnosesAssessed++;
      else fact(s.idx).diagnosesHistory++;
    }
  }
  const { items: allergies, noneKnown, review: allergyReview } = findAllergies(doc, allergyDrugHits);
  review.push(...allergyReview);
  for (const a of allergies) for (const e of a.evidence) {
    const s = sentenceAt(e.line, toNorm(doc, e));
    if (s) fact(s.idx).allergy++;
  }
  const investigations = findInvestigations(doc);
  for (const i of investigations) for (const e of i.evidence) {
    const s = sentenceAt(e.line, toNorm(doc, e));
    if (!s) continue;
    if (i.status === 'ordered' && isClinician(s)) fact(s.idx).ordered++;
    else if (i.status === 'result') fact(s.idx).results++;
  }
  const medSpans = mentions.map((m) => ({ line: m.sentence.line, start: m.spanStart, end: m.spanEnd }));
  const advice = findAdvice(doc, medSpans);
  for (const a of advice) for (const e of a.evidence) {
    const s = sentenceAt(e.line, toNorm(doc, e));
    if (s) fact(s.idx).advice++;
  }
  const followUp = findFollowUp(doc);
  if (followUp) for (const e of followUp.evidence) {
    const s = sentenceAt(e.line, toNorm(doc, e));
    if (s) fact(s.idx).followUp++;
  }
  const referrals = findReferrals(doc);
  for (const r of referrals) for (const e of r.evidence) {
    const s = sentenceAt(e.line, toNorm(doc, e));
    if (s) fact(s.idx).referral++;
  }

  const sections: Record<SoapSection, Statement[]> = { subjective: [], objective: [], assessment: [], plan: [] };
  const classified: ClassifiedSentence[] = [];
  for (const s of doc.sentences) {
    const f = facts.get(s.idx) ?? emptyFacts();
    const sec = classifySentence(doc, s, f);
    if (!sec) continue;
    classified.push({ sentence: s, section: sec, facts: f });
    const e = ev(doc, s.line, s.start, s.end);
    sections[sec].push({ text: e.text.trim(), evidence: [e] });
  }

  return {
    doc,
    chiefComplaint: chiefComplaint(doc, symptoms, symptomMentions, diagnoses),
    symptoms,
    vitals,
    otherVitals,
    medications,
    diagnoses,
    allergies,
    noKnownAllergies: noneKnown,
    investigations,
    advice,
    followUp,
    referrals,
    sections,
    review: [...findingConflicts, ...review],
    classified,
  };
}

/** Offset of an evidence span in its line's normalised text. */
function toNorm(doc: Doc, e: Evidence): number {
  const nt = doc.lines[e.line]?.nt;
  if (!nt) return 0;
  const i = nt.starts.findIndex((x) => x >= e.start);
  return i < 0 ? nt.norm.length - 1 : i;
}

const OPENING_Q = /\b(?:what brings you|what brought you|how can i help|what can i do for you|what's going on|what is going on|what seems to be|what's the problem|what is the problem|tell me (?:about|what)|how are you|what happened|what's been going on|reason for (?:your|the) visit|here for|in today)\b/;

/** The presenting complaint: present symptoms of the patient's first answer, else the first present ones. */
function chiefComplaint(
  doc: Doc,
  symptoms: SymptomItem[],
  mentions: ReturnType<typeof findSymptomMentions>,
  diagnoses: DiagnosisItem[],
): ChiefComplaint | null {
  const present = mentions.filter((m) => m.status === 'present');
  let chosen: typeof present = [];
  const opening = doc.sentences.find((s) => isClinician(s) && OPENING_Q.test(s.text) && s.idx < 40);
  if (opening) {
    const lines = doc.lines.slice(opening.line + 1, opening.line + 5).filter((l) => l.speaker === 'patient').map((l) => l.index);
    for (const li of lines) {
      chosen = present.filter((m) => m.sentence.line === li);
      if (chosen.length) break;
    }
  }
  if (!chosen.length && present.length) {
    const firstIdx = present[0]!.sentence.idx;
    chosen = present.filter((m) => m.sentence.idx === firstIdx);
  }
  if (chosen.length) {
    const names = [...new Set(chosen.map((m) => m.name))].slice(0, 4);
    const parts = names.map((n) => {
      const item = symptoms.find((s) => s.name === n || s.name.toLowerCase().endsWith(' ' + n.toLowerCase()));
      const dur = item?.duration;
      return dur ? `${item!.name} for ${dur}` : (item?.name ?? n);
    });
    const text = parts.map((p, i) => (i === 0 ? p : p[0]!.toLowerCase() + p.slice(1))).join(', ');
    return { text, evidence: chosen.map((m) => ev(doc, m.sentence.line, m.start, m.end)) };
  }
  const dx = diagnoses.find((d) => d.status !== 'ruled_out');
  if (dx) return { text: `Follow-up of ${dx.name.toLowerCase()}`, evidence: dx.evidence.slice(0, 1) };
  return null;
}

