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
  idx: number;
  evidence: Evidence;
  score: number;
}

/** A classified sentence in the note's voice, or null when nothing worth stating is left. */
function write(a: Analysis, c: ClassifiedSentence, p: Person): Written | null {
  const s = c.sentence;
  if (s.question) return null;
  const e = ev(a.doc, s.line, s.start, s.end);
  const cleaned = cleanSpeech(e.text);
  if (words(cleaned) < 4 || contentCount(cleaned) < 2) return null;
  if (ASIDE.test(cleaned)) return null;
  // a reply that only makes sense with its question ("probably since labor day") stays out
  if (!isClinician(s) && !/\b(?:i|i'm|i've|my|me|it|it's|we|they|this|that|there)\b/.test(cleaned)) return null;
  const voiced = isClinician(s) ? clinicianToNote(cleaned, p) : patientToThird(cleaned, p);
  const facts = factCount(c);
  const ts = cleaned.match(/[a-z]+/g) ?? [];
  const sal = ts.reduce((n, t) => n + salienceOf(t), 0);
  return { text: asSentence(voiced), idx: s.idx, evidence: e, score: sal / Math.pow(ts.length, 0.7) + 0.5 * facts };
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
  const pool = (pred: (c: ClassifiedSentence) => boolean) =>
    a.classified.filter((c) => !used.has(c.sentence.idx) && pred(c)).map((c) => write(a, c, p)).filter((w): w is Written => w !== null);
  const take = (ws: Written[]) => {
    for (const w of ws) used.add(w.idx);
    return ws;
  };

  // chief complaint
  if (a.chiefComplaint) add('Chief complaint', [asSentence(a.chiefComplaint.text)], a.chiefComplaint.evidence);

  // history of present illness
  const present = a.symptoms.filter((s) => s.assertion === 'present');
  const absent = a.symptoms.filter((s) => s.assertion === 'absent');
  const hpiEvidence: Evidence[] = [...demo.evidence];
  const intro = a.classified.find((c) => isClinician(c.sentence) && AGE_SEX.test(c.sentence.text));
  const hpi: string[] = [];
  if (intro) {
    const w = write(a, intro, p);
    if (w) {
      hpi.push(w.text);
      used.add(w.idx);
      hpiEvidence.push(w.evidence);
    }
  } else if (demo.age && present.length) {
    hpi.push(`${demo.age}-year-old ${demo.sex ?? 'patient'} presenting with ${joinList(present.slice(0, 3).map(symptomPhrase))}.`);
    hpiEvidence.push(...present.slice(0, 3).flatMap((s) => s.evidence));
  }
  // social history: work, habits, home, as the patient tells them
  const social = take(choose(pool((c) => !isClinician(c.sentence) && SOCIAL.test(c.sentence.text)), Math.round(budget * 0.08)));

  const narrative = take(choose(pool((c) => c.section === 'subjective'), Math.round(budget * 0.4)));
  hpi.push(narrative.map((w) => w.text).join(' '));
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
  add('History of present illness', [hpi.filter(Boolean).join(' ')], hpiEvidence);
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
  const exam = take(choose(pool((c) => c.section === 'objective' && isClinician(c.sentence) && c.facts.results === 0 && c.facts.vitals === 0), Math.round(budget * 0.15)));
  add('Physical examination', [vit.text, ...exam.map((w) => w.text)], [...vit.evidence, ...exam.map((w) => w.evidence)]);

  // results
  const res = take(choose(pool((c) => c.section === 'objective' && c.facts.results > 0), Math.round(budget * 0.1)));
  const resultNames = a.investigations.filter((i) => i.status === 'result');
  add('Results', res.length ? res.map((w) => w.text) : resultNames.length ? [`${joinList(resultNames.map((i) => i.name))} reviewed.`] : [], res.length ? res.map((w) => w.evidence) : resultNames.flatMap((i) => i.evidence));

  // assessment and plan
  const dx = a.diagnoses.filter((d) => d.assertion === 'present' || d.assertion === 'possible');
  const ap: string[] = [];
  const apEvidence: Evidence[] = [];
  for (const d of dx) {
    ap.push(d.assertion === 'possible' ? `Possible ${lowerFirst(d.name)}.` : `${d.name}.`);
    apEvidence.push(...d.evidence);
  }
  const reasoning = take(choose(pool((c) => c.section === 'assessment' && isClinician(c.sentence)), Math.round(budget * 0.12)));
  if (reasoning.length) ap.push(reasoning.map((w) => w.text).join(' '));
  apEvidence.push(...reasoning.map((w) => w.evidence));
  const planned = a.medications.filter((m) => m.assertion === 'planned' || (m.assertion === 'present' && m.action !== 'continue'));
  for (const m of planned) {
    ap.push(`${medicationLine(m)}.`);
    apEvidence.push(...m.evidence);
  }
  const plan = take(choose(pool((c) => c.section === 'plan' && isClinician(c.sentence) && !(a.followUp && c.facts.followUp > 0)), Math.round(budget * 0.25)));
  if (plan.length) ap.push(plan.map((w) => w.text).join(' '));
  apEvidence.push(...plan.map((w) => w.evidence));
  if (a.followUp) {
    ap.push(asSentence(`Follow up${a.followUp.interval ? (a.followUp.interval === 'as needed' ? ' as needed' : ` in ${a.followUp.interval}`) : ''}${a.followUp.condition ? ` ${a.followUp.condition}` : ''}`));
    apEvidence.push(...a.followUp.evidence);
  }
  const agreed = agreement(a, plan);
  if (agreed) {
    ap.push('The patient understands and agrees with the plan.');
    apEvidence.push(agreed);
  }
  add('Assessment and plan', ap, apEvidence);
  return sections;
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

/** The patient's assent after the last plan sentence, when there is one. */
function agreement(a: Analysis, plan: Written[]): Evidence | null {
  const last = plan[plan.length - 1];
  if (!last) return null;
  const at = a.doc.sentences[last.idx]!;
  for (let i = at.line + 1; i < Math.min(a.doc.lines.length, at.line + 4); i++) {
    const l = a.doc.lines[i]!;
    if (l.speaker !== 'patient') continue;
    const first = l.sentences[0];
    if (first && AGREES.test(first.text.trim())) return ev(a.doc, l.index, first.start, first.end);
    return null;
  }
  return null;
}
