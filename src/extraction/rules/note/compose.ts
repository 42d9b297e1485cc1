/**
 * The clinical note written from the analysis, in the sections clinicians use (chief
 * complaint, history of present illness, review of systems, physical examination,
 * results, assessment and plan). Structured facts are stated in note form ("Denies
 * fever and chills."); narrative comes from the speakers' own sentences, cleaned and
 * turned into the note's voice, chosen by what they carry and kept near the length of
 * a clinician's note. Every sentence keeps the evidence it was written from.
 */
import type { Evidence } from '../../../core/ports/extractor.js';
import type { Analysis, ClassifiedSentence } from '../analyze.js';
import type { SoapSection } from '../types.js';
import { ev, isClinician } from '../doc.js';
import { joinList, lowerFirst, medicationLine, medicationPhrase, symptomPhrase } from '../phrasing.js';
import { sentenceCase, tokenize } from '../text.js';
import { latestReadings } from '../vitals.js';
import { asSentence, cleanSpeech, clinicianToNote, patientToThird, personFor, type Person } from './rewrite.js';
import { SALIENCE } from './salience.generated.js';
import { SYSTEM_ORDER, systemOf } from './systems.js';

export interface NoteSection {
  title: string;
  content: string;
  evidence: Evidence[];
}

export interface Demographics {
  age: number | null;
  sex: 'male' | 'female' | null;
  evidence: Evidence[];
}

const AGE_SEX = /\b(\d{1,3})[- ](?:year|yr)s?[- ]old\b(?:\s+(?:white |black |asian |hispanic |pleasant )?(male|female|man|woman|gentleman|lady|boy|girl))?/;
const MALE = /\b(?:he|him|his|himself|mr|gentleman|male|man|boy|sir)\b/g;
const FEMALE = /\b(?:she|her|hers|herself|mrs|ms|miss|lady|female|woman|girl|ma'am)\b/g;

/** Age and sex as the clinician stated them; sex also from how the clinician refers to the patient. */
export function demographics(a: Analysis): Demographics {
  const out: Demographics = { age: null, sex: null, evidence: [] };
  for (const s of a.doc.sentences) {
    if (!isClinician(s)) continue;
    const m = AGE_SEX.exec(s.text);
    if (!m) continue;
    const age = Number(m[1]);
    if (age > 0 && age < 120) {
      out.age = age;
      if (m[2]) out.sex = /^(?:male|man|gentleman|boy)$/.test(m[2]) ? 'male' : 'female';
      out.evidence.push(ev(a.doc, s.line, s.start + m.index, s.start + m.index + m[0].length));
      break;
    }
  }
  if (!out.sex) {
    let male = 0;
    let female = 0;
    for (const s of a.doc.sentences) {
      if (!isClinician(s)) continue;
      male += s.text.match(MALE)?.length ?? 0;
      female += s.text.match(FEMALE)?.length ?? 0;
    }
    if (male >= 3 && male >= 2 * female) out.sex = 'male';
    else if (female >= 3 && female >= 2 * male) out.sex = 'female';
  }
  return out;
}

const STOP = new Set(['the', 'a', 'an', 'and', 'or', 'to', 'of', 'in', 'on', 'it', 'is', 'was', 'that', 'this', 'for', 'with', 'be', 'he', 'she', 'they', 'his', 'her', 'i', 'you', 'we', 'so', 'but', 'at', 'as', 'have', 'has', 'do', 'does', 'did', 'are', 'there', 'what', 'if', 'not', 'just', 'like', 'get', 'go', 'going', 'know', 'think', 'want', 'about', 'can', 'will', 'would', 'me', 'my', 'your', 'been', 'some', 'any', 'all', 'one', 'out', 'up', 'now', 'then', 'okay', 'yeah', 'right', 'well', 'um', 'uh', 'mm', 'hmm', 'oh', 'see', 'say', 'said', 'lot', 'really', 'thing', 'things', 'kind', 'sort', 'little', 'bit']);
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
const contentCount = (s: string) => tokenize(s).filter((t) => /^[a-z0-9]/.test(t.text) && !STOP.has(t.text)).length;
let salience: Map<string, number> | null = null;
/** How likely clinicians are to write a spoken word into the note (0–1); rare words are content words. */
function salienceOf(t: string): number {
  if (!salience) salience = new Map(SALIENCE.split(' ').map((x) => { const [w, p] = x.split(':'); return [w!, Number(p) / 100] as const; }));
  return salience.get(t) ?? 0.5;
}
const factCount = (c: ClassifiedSentence) => Object.values(c.facts).reduce((x, y) => x + y, 0);

/** Commands to a voice assistant, stage directions and fragments that lean on a missing clause. */
const ASIDE = /\b(?:dragon|dax|alexa|siri)\b|^(?:and then|or)\b|\b(?:hop up|lie back|take a deep breath|breathe in|breathe out)\b/;

interface Written {
  text: string;
  /** Transcript order (sentence, then clause). */
  idx: number;
  /** The sentence it was written from. */
  sent: number;
  evidence: Evidence;
  score: number;
}

/** A stretch of one classified sentence: the whole sentence, or one clause of a run-on. */
interface Unit {
  c: ClassifiedSentence;
  start: number;
  end: number;
  order: number;
  section: SoapSection;
  /** States a test result. */
  result: boolean;
}

// Run-on speech ("... so i reviewed your x-ray so it's normal so let's talk about ...") splits
// into clauses at the spoken joints, each classified by what it says.
const JOINT = /\s(?=(?:so(?! (?:that|much|far|many|bad|good|long|i guess)\b)|okay|ok|alright|all right|and then|but|now|because|um|uh)\b)|,\s/g;
const SPLIT_OVER = 20;
const MIN_CLAUSE = 6;
const EXAM_C = /\b(?:exam|examination|palpation|tender|tenderness|murmur|lungs?|auscultation|range of motion|swelling|edema|erythema|reflexes|pulses?|strength|sensation|i (?:hear|feel|see|don't hear|do not hear|notice))\b/;
const RESULT_C = /\b(?:x-?rays?|mri|ct|scan|labs?|blood work|results?|echo|echocardiogram|ekg|ecg|a1c|ultrasound|urine|culture)\b/;
const PLAN_C = /\b(?:i will|we will|i'll|we'll|i'm going to|we're going to|going to|let's|i want you to|i'd like|prescribe|order|refer|referral|follow up|recommend|continue|start|schedule|increase|decrease)\b/;
const ASSESS_C = /\b(?:i think|likely|consistent with|diagnosis|sounds like|looks like|appears|my assessment|i believe|i suspect)\b/;

const EXAM_SYSTEMS: [string, RegExp][] = [
  ['Cardiovascular', /\b(?:heart|murmurs?|rubs?|gallops?|regular rate|rhythm|carotid|bruits?|pulses?|cardiac)\b/],
  ['Respiratory', /\b(?:lungs?|breath sounds|wheez\w*|crackles|rales|rhonchi|auscultation)\b/],
  ['Gastrointestinal', /\b(?:abdomen|abdominal|bowel sounds|belly|liver|rebound|guarding)\b/],
  ['Neurological', /\b(?:neuro\w*|reflexes|sensation|cranial|gait|numbness)\b/],
  ['Musculoskeletal', /\b(?:knee|shoulder|hip|ankle|wrist|elbow|back|spine|neck|joint|range of motion|strength|muscles?|finger|hand|foot|leg|arm|tenderness|swelling|edema)\b/],
  ['Integumentary', /\b(?:skin|rash|lesions?|wound|incision|bruis\w*|erythema)\b/],
  ['HEENT', /\b(?:ears?|eyes?|throat|nose|sinus\w*|tonsils?|pupils?|thyroid|lymph)\b/],
];
const EXAM_ORDER = ['', 'HEENT', 'Respiratory', 'Cardiovascular', 'Gastrointestinal', 'Musculoskeletal', 'Neurological', 'Integumentary'];

function clauseSection(text: string, parent: SoapSection, clinician: boolean): SoapSection {
  if (!clinician) return parent;
  if (PLAN_C.test(text)) return 'plan';
  if (ASSESS_C.test(text) && parent !== 'objective') return 'assessment';
  if (RESULT_C.test(text) || EXAM_C.test(text)) return 'objective';
  return parent;
}

function unitsOf(c: ClassifiedSentence): Unit[] {
  const s = c.sentence;
  const whole: Unit = { c, start: s.start, end: s.end, order: s.idx * 100, section: c.section, result: c.facts.results > 0 };
  if (words(s.text) <= SPLIT_OVER) return [whole];
  const cuts = [0];
  for (const m of s.text.matchAll(JOINT)) {
    const at = m.index! + m[0].length;
    if (words(s.text.slice(cuts[cuts.length - 1]!, at)) >= MIN_CLAUSE) cuts.push(at);
  }
  // a short tail joins the clause before it
  if (cuts.length > 1 && words(s.text.slice(cuts[cuts.length - 1]!)) < MIN_CLAUSE) cuts.pop();
  if (cuts.length === 1) return [whole];
  return cuts.map((from, k) => {
    const to = k + 1 < cuts.length ? cuts[k + 1]! : s.text.length;
    const text = s.text.slice(from, to);
    return { c, start: s.start + from, end: s.start + to - (text.length - text.trimEnd().length), order: s.idx * 100 + Math.min(k, 99), section: clauseSection(text, c.section, isClinician(s)), result: c.facts.results > 0 && RESULT_C.test(text) };
  });
}

/** A unit in the note's voice, or null when nothing worth stating is left. */
function write(a: Analysis, u: Unit, p: Person): Written | null {
  const { c } = u;
  const s = c.sentence;
  if (s.question) return null;
  const e = ev(a.doc, s.line, u.start, u.end);
  const cleaned = cleanSpeech(e.text);
  if (words(cleaned) < 4 || contentCount(cleaned) < 2) return null;
  if (ASIDE.test(cleaned)) return null;
  // a reply that only makes sense with its question ("probably since labor day") stays out
  if (!isClinician(s) && !/\b(?:i|i'm|i've|my|me|it|it's|we|they|this|that|there)\b/.test(cleaned)) return null;
  const voiced = isClinician(s) ? clinicianToNote(cleaned, p) : patientToThird(cleaned, p);
  const facts = factCount(c);
  const ts = cleaned.match(/[a-z]+/g) ?? [];
  const sal = ts.reduce((n, t) => n + salienceOf(t), 0);
  return { text: asSentence(voiced), idx: u.order, sent: s.idx, evidence: e, score: sal / Math.pow(ts.length, 0.7) + 0.5 * facts };
}

/** The best sentences within a word budget, in transcript order. */
function choose(items: Written[], budget: number): Written[] {
  const ranked = [...items].sort((x, y) => y.score - x.score);
  const out: Written[] = [];
  let used = 0;
  for (const w of ranked) {
    const n = words(w.text);
    if (used + n > budget && out.length) continue;
    out.push(w);
    used += n;
    if (used >= budget) break;
  }
  return out.sort((x, y) => x.idx - y.idx);
}

const SOCIAL = /\b(?:smoke|smoked|smoking|cigarettes?|vape|vaping|tobacco|alcohol|drink|drinks|drinking|beers?|wine|liquor|marijuana|cannabis|drugs recreationally|work as|i work|my job|retired|married|divorced|widowed|live with|lives with|living with|my wife|my husband|my kids|children|exercise|gym|walk every|run every)\b/;
const AGREES = /^(?:yes|yeah|yep|okay|ok|alright|all right|sure|sounds good|that sounds good|that's fine|that sounds fine|great|perfect|i understand|understood|fine|that works|that makes sense|thank you|thanks)\b/;

export function composeNote(a: Analysis): NoteSection[] {
  const style = noteStyle(a);
  const demo = demographics(a);
  const p = personFor(demo.sex);
  const he = sentenceCase(p.subject);
  const totalWords = a.doc.sentences.reduce((n, s) => n + words(s.text), 0);
  const budget = Math.max(120, Math.min(650, Math.round(totalWords * 0.3)));
  const used = new Set<number>();
  const sections: NoteSection[] = [];
  const add = (title: string, lines: string[], evidence: Evidence[]) => {
    const content = lines.filter(Boolean).join('\n').trim();
    if (content) sections.push({ title, content, evidence });
  };
  const units = a.classified.flatMap(unitsOf);
  const pool = (pred: (c: ClassifiedSentence, section: SoapSection, u: Unit) => boolean) =>
    units.filter((u) => !used.has(u.order) && pred(u.c, u.section, u)).map((u) => write(a, u, p)).filter((w): w is Written => w !== null);
  const take = (ws: Written[]) => {
    for (const w of ws) used.add(w.idx);
    return ws;
  };

  // chief complaint
  // each complaint named once ("left shoulder pain for 3 weeks, left shoulder pain for 3 weeks")
  const cc = a.chiefComplaint ? [...new Map(a.chiefComplaint.text.split(', ').map((x) => [x.toLowerCase(), x] as const)).values()].join(', ') : null;
  if (a.chiefComplaint && cc) add('Chief complaint', [asSentence(cc)], a.chiefComplaint.evidence);

  // history of present illness
  const present = a.symptoms.filter((s) => s.assertion === 'present');
  const absent = a.symptoms.filter((s) => s.assertion === 'absent');
  const hpiEvidence: Evidence[] = [...demo.evidence];
  const intro = a.classified.find((c) => isClinician(c.sentence) && AGE_SEX.test(c.sentence.text));
  const hpi: string[] = [];
  let opening: { text: string; evidence: Evidence[] } | null = null;
  if (intro) {
    const w = write(a, { c: intro, start: intro.sentence.start, end: intro.sentence.end, order: intro.sentence.idx * 100, section: intro.section, result: false }, p);
    if (w) {
      hpi.push(w.text);
      opening = { text: w.text, evidence: [...demo.evidence, w.evidence] };
      for (const u of units) if (u.c === intro) used.add(u.order);
      hpiEvidence.push(w.evidence);
    }
  } else if (a.chiefComplaint || present.length) {
    // the note's opening line, from what was stated: age and sex when said, the complaint
    const who = demo.age ? `a ${demo.age}-year-old ${demo.sex ?? 'patient'}` : demo.sex ? `a ${demo.sex}` : null;
    const why = cc ? lowerFirst(cc.replace(/[.\s]+$/, '')) : joinList(present.slice(0, 3).map(symptomPhrase));
    hpi.push(`The patient is ${who ?? 'seen'} ${who ? 'who presents' : ''} today for the evaluation of ${why}.`.replace(/\s+/g, ' ').replace('is seen today', 'presents today'));
    opening = { text: hpi[hpi.length - 1]!, evidence: [...demo.evidence, ...(a.chiefComplaint ? a.chiefComplaint.evidence : present.slice(0, 3).flatMap((s) => s.evidence))] };
    hpiEvidence.push(...(a.chiefComplaint ? a.chiefComplaint.evidence : present.slice(0, 3).flatMap((s) => s.evidence)));
  }
  // social history: work, habits, home, as the patient tells them
  const social = take(choose(pool((c) => !isClinician(c.sentence) && SOCIAL.test(c.sentence.text)), Math.round(budget * 0.08)));

  const narrative = take(choose(pool((c, sec) => sec === 'subjective'), Math.round(budget * 0.4)));
  hpi.push(narrative.map((w) => w.text).join('\n'));
  hpiEvidence.push(...narrative.map((w) => w.evidence));
  if (absent.length) {
    hpi.push(`${he} denies ${joinList(absent.map((s) => lowerFirst(s.name)))}.`);
    hpiEvidence.push(...absent.flatMap((s) => s.evidence));
  }
  const current = a.medications.filter((m) => m.assertion === 'present' && m.action !== 'start');
  if (current.length) {
    hpi.push(`Current medications: ${current.map(medicationPhrase).join('; ')}.`);
    hpiEvidence.push(...current.flatMap((m) => m.evidence));
  }
  if (a.allergies.length) {
    hpi.push(`Allergies: ${a.allergies.map((x) => x.substance + (x.reaction ? ` (${x.reaction})` : '')).join(', ')}.`);
    hpiEvidence.push(...a.allergies.flatMap((x) => x.evidence));
  } else if (a.noKnownAllergies) {
    hpi.push('No known allergies.');
    hpiEvidence.push(a.noKnownAllergies);
  }
  add('History of present illness', [hpi.filter(Boolean).join('\n')], hpiEvidence);
  add('Social history', social.map((w) => w.text), social.map((w) => w.evidence));

  // review of systems: what the patient endorses and denies, by system
  const bySystem = new Map<string, { yes: string[]; no: string[] }>();
  for (const s of [...present, ...absent]) {
    const sys = systemOf(s.name);
    if (!sys) continue;
    const e = bySystem.get(sys) ?? { yes: [], no: [] };
    (s.assertion === 'present' ? e.yes : e.no).push(lowerFirst(s.name));
    bySystem.set(sys, e);
  }
  const ros = SYSTEM_ORDER.filter((x) => bySystem.has(x)).map((x) => {
    const e = bySystem.get(x)!;
    return `• ${x}: ${[e.yes.length ? `Endorses ${joinList(e.yes)}.` : '', e.no.length ? `Denies ${joinList(e.no)}.` : ''].filter(Boolean).join(' ')}`;
  });
  add('Review of systems', ros, [...present, ...absent].flatMap((s) => s.evidence));

  // physical examination: vitals, then what the clinician found
  const vit = vitalsLine(a);
  const exam = take(choose(pool((c, sec, u) => sec === 'objective' && isClinician(c.sentence) && !u.result && (u.start !== c.sentence.start || u.end !== c.sentence.end || c.facts.vitals === 0)), Math.round(budget * 0.15)));
  add('Physical examination', [vit.text, ...examBySystem(exam)], [...vit.evidence, ...exam.map((w) => w.evidence)]);

  // results
  const res = take(choose(pool((c, sec, u) => sec === 'objective' && u.result), Math.round(budget * 0.1)));
  const resultNames = a.investigations.filter((i) => i.status === 'result');
  add('Results', res.length ? res.map((w) => w.text) : resultNames.length ? [`${joinList(resultNames.map((i) => i.name))} reviewed.`] : [], res.length ? res.map((w) => w.evidence) : resultNames.flatMap((i) => i.evidence));

  // assessment and plan, grouped by problem: each problem numbered, then the clinician's
  // reasoning and the treatment for it (what was said while that problem was the topic)
  const dx = a.diagnoses.filter((d) => d.assertion === 'present' || d.assertion === 'possible');
  const ap: string[] = [];
  const apEvidence: Evidence[] = [];
  // the assessment opens with who the patient is and why they came, as the history did
  if (opening && style === 'assistant' && totalWords >= 400) {
    ap.push(opening.text);
    apEvidence.push(...opening.evidence);
  }
  const reasoning = take(choose(pool((c, sec) => sec === 'assessment' && isClinician(c.sentence)), Math.round(budget * 0.12)));
  const planned = a.medications.filter((m) => m.assertion === 'planned' || (m.assertion === 'present' && m.action !== 'continue'));
  const plan = take(choose(pool((c, sec) => sec === 'plan' && isClinician(c.sentence) && !(a.followUp && c.facts.followUp > 0)), Math.round(budget * 0.25)));
  const topics = problemTopics(a, units, dx);
  const groups = dx.map(() => ({ reasoning: [] as Written[], treatment: [] as { text: string; evidence: Evidence[]; order: number }[] }));
  const general = { reasoning: [] as Written[], treatment: [] as { text: string; evidence: Evidence[]; order: number }[] };
  for (const w of reasoning) (groups[topics.at(w.idx)] ?? general).reasoning.push(w);
  for (const w of plan) (groups[topics.at(w.idx)] ?? general).treatment.push({ text: w.text, evidence: [w.evidence], order: w.idx });
  for (const m of planned) {
    const e = m.evidence[0];
    const order = e ? topics.orderOf(e) : Infinity;
    (groups[topics.at(order)] ?? general).treatment.push({ text: `${medicationLine(m)}.`, evidence: m.evidence, order });
  }
  const block = (g: typeof general) => {
    const out: string[] = [];
    g.reasoning.forEach((w, i) => out.push(i ? w.text : `- Medical Reasoning: ${w.text}`));
    const ts = g.treatment.sort((x, y) => x.order - y.order);
    for (const [label, items] of [
      ['Additional Testing', ts.filter((t) => planKind(t.text) === 'testing')],
      ['Medical Treatment', ts.filter((t) => planKind(t.text) === 'treatment')],
      ['Patient Education and Counseling', ts.filter((t) => planKind(t.text) === 'education')],
    ] as const) items.forEach((t, i) => out.push(i ? t.text : `- ${label}: ${t.text}`));
    apEvidence.push(...g.reasoning.map((w) => w.evidence), ...g.treatment.flatMap((t) => t.evidence));
    return out;
  };
  // problems in the order the plan takes them up; those the plan never reached after them
  const firstSaid = (i: number) => Math.min(...groups[i]!.reasoning.map((w) => w.idx), ...groups[i]!.treatment.map((t) => t.order), Infinity);
  const order = dx.map((_, i) => i).sort((x, y) => firstSaid(x) - firstSaid(y) || topics.first(x) - topics.first(y));
  if (general.reasoning.length || general.treatment.length) ap.push(...block(general), '');
  order.forEach((i, k) => {
    const d = dx[i]!;
    ap.push(`${k + 1}. ${d.assertion === 'possible' ? `Possible ${lowerFirst(d.name)}` : d.name}.`, ...block(groups[i]!), '');
    apEvidence.push(...d.evidence);
  });
  if (a.followUp) {
    ap.push(asSentence(`Follow up${a.followUp.interval ? (a.followUp.interval === 'as needed' ? ' as needed' : ` in ${a.followUp.interval}`) : ''}${a.followUp.condition ? ` ${a.followUp.condition}` : ''}`));
    apEvidence.push(...a.followUp.evidence);
  }
  const agreed = agreement(a, plan);
  if (agreed) {
    ap.push('Patient Agreements: The patient understands and agrees with the recommended medical treatment plan.');
    apEvidence.push(agreed);
  }
  add('Assessment and plan', ap, apEvidence);
  return sections;
}

const TESTING = /\b(?:order|ordering|labs?|blood work|x-?rays?|mri|ct|scan|ultrasound|echo\w*|ekg|ecg|panel|biopsy|a1c|culture|test|testing)\b/i;
const EDUCATION = /\b(?:advised|advise|recommend\w*|avoid|make sure|important|try to|should|ice|icing|rest|elevate|diet|exercise|fluids|discussed|educat\w*|counsel\w*)\b/i;
/** What a plan sentence is: a test ordered, a treatment, or advice to the patient. */
function planKind(text: string): 'testing' | 'treatment' | 'education' {
  if (/^(?:start|stop|continue|increase|decrease|prescribe)\b/i.test(text)) return 'treatment';
  if (TESTING.test(text)) return 'testing';
  if (EDUCATION.test(text)) return 'education';
  return 'treatment';
}

/** Exam findings under the body system they are about ("Cardiovascular: ..."), as clinicians dictate them. */
function examBySystem(exam: Written[]): string[] {
  const by = new Map<string, string[]>();
  for (const w of exam) {
    const sys = EXAM_SYSTEMS.find(([, re]) => re.test(w.text.toLowerCase()))?.[0] ?? '';
    by.set(sys, [...(by.get(sys) ?? []), w.text]);
  }
  return [...by.entries()].sort((x, y) => EXAM_ORDER.indexOf(x[0]) - EXAM_ORDER.indexOf(y[0]))
    .flatMap(([sys, ts]) => (sys ? ts.map((t, i) => (i ? t : `${sys}: ${t}`)) : ts));
}

/**
 * Which problem each stretch of the transcript is about: a problem becomes the topic where
 * its name is spoken ("for your hypertension ...") and stays it until another is named.
 */
function problemTopics(a: Analysis, units: Unit[], dx: Analysis['diagnoses']) {
  const spoken = dx.map((d) => [...new Set([d.name.toLowerCase(), ...d.evidence.map((e) => e.text.toLowerCase().trim())])].filter((t) => t.length > 2));
  const marks: { order: number; dx: number }[] = [];
  const sorted = [...units].sort((x, y) => x.order - y.order);
  for (const u of sorted) {
    const t = u.c.sentence.text.slice(u.start - u.c.sentence.start, u.end - u.c.sentence.start).toLowerCase();
    let best = -1;
    let at = -1;
    spoken.forEach((forms, i) => {
      for (const f of forms) {
        const k = t.lastIndexOf(f);
        if (k > at) { at = k; best = i; }
      }
    });
    if (best >= 0) marks.push({ order: u.order, dx: best });
  }
  const line = new Map<number, Unit[]>();
  for (const u of sorted) line.set(u.c.sentence.line, [...(line.get(u.c.sentence.line) ?? []), u]);
  return {
    /** The topic at transcript position `order` (-1 before any problem is named). */
    at(order: number): number {
      let cur = -1;
      for (const m of marks) { if (m.order > order) break; cur = m.dx; }
      return cur;
    },
    first(i: number): number {
      return marks.find((m) => m.dx === i)?.order ?? Infinity;
    },
    /** The transcript position of an evidence span. */
    orderOf(e: Evidence): number {
      const us = line.get(e.line) ?? [];
      let o = -1;
      for (const u of us) { const ue = ev(a.doc, u.c.sentence.line, u.start, u.end); if (ue.start <= e.start) o = u.order; }
      return o >= 0 ? o : us[0]?.order ?? Infinity;
    },
  };
}

function vitalsLine(a: Analysis): { text: string; evidence: Evidence[] } {
  if (!a.vitals.length) return { text: '', evidence: [] };
  const label: Record<string, string> = {
    blood_pressure: 'Blood pressure', pulse: 'Heart rate', respiratory_rate: 'Respiratory rate', temperature: 'Temperature',
    spo2: 'Oxygen saturation', weight: 'Weight', height: 'Height', bmi: 'BMI', blood_sugar: 'Blood sugar',
  };
  const vs = latestReadings(a.vitals);
  return { text: `Vitals: ${vs.map((v) => `${label[v.type] ?? v.type} ${v.text}`).join(', ')}.`, evidence: vs.flatMap((v) => v.evidence) };
}

/**
 * The house style of the note. A consultation run with a voice assistant ("dragon, show me
 * the vitals") is written in that assistant's template, whose assessment restates the
 * patient's opening line before the problems; otherwise the plain clinic style.
 */
export type NoteStyle = 'assistant' | 'clinic';
export function noteStyle(a: Analysis): NoteStyle {
  return a.doc.sentences.some((s) => isClinician(s) && /\b(?:hey )?dragon\b/.test(s.text)) ? 'assistant' : 'clinic';
}

/** The patient's assent after the last plan sentence, when there is one. */
function agreement(a: Analysis, plan: Written[]): Evidence | null {
  const last = plan[plan.length - 1];
  if (!last) return null;
  const at = a.doc.sentences[last.sent]!;
  for (let i = at.line + 1; i < Math.min(a.doc.lines.length, at.line + 4); i++) {
    const l = a.doc.lines[i]!;
    if (l.speaker !== 'patient') continue;
    const first = l.sentences[0];
    if (first && AGREES.test(first.text.trim())) return ev(a.doc, l.index, first.start, first.end);
    return null;
  }
  return null;
}
