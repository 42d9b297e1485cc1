/**
 * Symptoms with status (present / absent through negation and the patient's answer to
 * the doctor's question) and duration ("fever for three days", "since 2 days",
 * "3/7 hx", or the reply to "how long has it been?").
 */
import { assertionOf, questionQualifier } from './assertion.js';
import { answerFor, questionStart } from './dialogue.js';
import { ev, type Doc, type DocSentence } from './doc.js';
import { findDurations, formatDuration, type Duration, type Found } from './dosing.js';
import { SYMPTOMS } from './lexicon/clinical.js';
import { PhraseMatcher } from './lexicon/matcher.js';
import type { Evidence } from '../../core/ports/extractor.js';
import type { Assertion, ReviewItem, SymptomItem } from './types.js';

export interface SymptomMention {
  name: string;
  status: 'present' | 'absent';
  assertion: Assertion;
  assertion_cue: string | null;
  /** 'answer': set by the patient's reply to the clinician's question. */
  source: 'statement' | 'answer';
  duration: Duration | null;
  sentence: DocSentence;
  /** Offsets in the line's normalised text. */
  start: number;
  end: number;
  /** Where the duration sits, when found. */
  durationSpan: { line: number; start: number; end: number } | null;
  /** The reply that settled a question's finding. */
  replySpan: { line: number; start: number; end: number } | null;
}

let matcher: PhraseMatcher<string> | null = null;
function symptomMatcher(): PhraseMatcher<string> {
  if (!matcher) matcher = new PhraseMatcher(SYMPTOMS.flatMap((t) => t.forms.map((f) => [f, t.name] as const)));
  return matcher;
}

const PART = '(lower back|upper back|back|head|chest|abdominal|abdomen|stomach|belly|tummy|knee|knees|shoulder|shoulders|neck|joint|joints|ear|ears|eye|eyes|tooth|teeth|throat|leg|legs|arm|arms|hand|hands|wrist|elbow|hip|hips|ankle|ankles|foot|feet|heel|finger|fingers|thumb|toe|toes|pelvic|flank|rib|ribs|muscle|muscles|calf|thigh|jaw|groin|buttock|side)';
const LAT = '(?:(left|right|bilateral|both|left-sided|right-sided|left sided|right sided)\\s+)?';
const PAIN_RES: RegExp[] = [
  new RegExp(`\\b${LAT}${PART}\\s+(?:pain|pains|ache|aches|discomfort)\\b`, 'g'),
  new RegExp(`\\b(?:pain|ache|discomfort)\\s+(?:in|on|over|at|around)\\s+(?:my|the|his|her|your|both)?\\s*${LAT}${PART}\\b`, 'g'),
  new RegExp(`\\b(?:my|the|his|her|your)\\s+${LAT}${PART}\\s+(?:is\\s+|are\\s+|has been\\s+|have been\\s+|been\\s+|keeps\\s+|still\\s+|really\\s+|just\\s+)*(?:hurts?|hurting|painful|sore|aching|killing me)\\b`, 'g'),
];
const PART_NAME: Record<string, string> = {
  abdominal: 'abdominal', abdomen: 'abdominal', stomach: 'abdominal', belly: 'abdominal', tummy: 'abdominal',
  knees: 'knee', shoulders: 'shoulder', joints: 'joint', ears: 'ear', eyes: 'eye', teeth: 'tooth', legs: 'leg',
  arms: 'arm', hands: 'hand', hips: 'hip', ankles: 'ankle', feet: 'foot', fingers: 'finger', toes: 'toe',
  ribs: 'rib', muscles: 'muscle', 'upper back': 'upper back', 'lower back': 'lower back',
};

function painName(lat: string | undefined, part: string): string {
  const p = PART_NAME[part] ?? part;
  if (p === 'head') return 'Headache';
  if (p === 'throat') return 'Sore throat';
  if (p === 'side') return lat ? `${cap(lat.replace(/-?sided/, ''))}-sided pain` : 'Flank pain';
  const side = lat ? (/both|bilateral/.test(lat) ? 'Bilateral ' : `${cap(lat.replace(/[- ]sided/, ''))} `) : '';
  const base = p === 'lower back' || p === 'upper back' ? 'back' : p;
  const name = `${p === 'lower back' ? 'lower back' : p === 'upper back' ? 'upper back' : base} pain`;
  return side ? side + name : cap(name);
}
const cap = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

const COLD_NOT = /^(?:\s+(?:water|weather|feet|hands|sores?|sensitivity|intolerance|compress|packs?|drinks?|food|foods|turkey|air|room|outside|spell|temperatures?|and hot|or hot|sweats?|shower|medicine|medicines|medication|brew|snap|call|feeling|storage|chain))/;
/** Symptom phrases of one sentence (offsets in the line's normalised text). */
export function symptomSpans(s: DocSentence): { name: string; start: number; end: number }[] {
  const out: { name: string; start: number; end: number }[] = [];
  for (const re of PAIN_RES) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s.text)) !== null) {
      const start = s.start + m.index;
      const end = start + m[0].length;
      if (out.some((o) => start < o.end && o.start < end)) continue;
      out.push({ name: painName(m[1], m[2]!), start, end });
    }
  }
  for (const m of symptomMatcher().match(s.text)) {
    const start = s.start + m.start;
    const end = s.start + m.end;
    if (out.some((o) => start < o.end && o.start < end)) continue;
    if (m.value === 'Cold' && (COLD_NOT.test(s.text.slice(m.end)) || /\b(?:hot|hot and|hot or|hot\/|feel|feeling|felt|so|very|too|a bit|little|is|it's)\s*$/.test(s.text.slice(0, m.start)))) continue;
    if (m.value === 'Fatigue' && m.surface === 'tired' && /\b(?:of|sick and)\s*$/.test(s.text.slice(0, m.start))) continue;
    out.push({ name: m.value, start, end });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** "My vision is fine", "breathing's okay": a function said to be normal denies its symptoms. */
const FINE = /\b(vision|eyesight|eyes|breathing|chest|appetite|sleep|sleeping|bowels|stools?|bowel movements|waterworks|urine|peeing|heart|balance|hearing|memory|mood|weight|skin|joints|stomach|tummy|head)\s+(?:is|are|has been|have been|'s|seems?|feels?)\s+(?:\w+\s+)?(?:fine|normal|okay|ok|good|alright|all right|great|clear|perfect|unchanged)\b/g;
const FINE_NAMES: Record<string, string[]> = {
  vision: ['Blurred vision'], eyesight: ['Blurred vision'], eyes: ['Blurred vision', 'Eye pain'], breathing: ['Shortness of breath'],
  chest: ['Chest pain'], appetite: ['Loss of appetite'], sleep: ['Insomnia'], sleeping: ['Insomnia'], bowels: ['Diarrhoea', 'Constipation'],
  stool: ['Diarrhoea', 'Constipation'], stools: ['Diarrhoea', 'Constipation'], 'bowel movements': ['Diarrhoea', 'Constipation'],
  waterworks: ['Dysuria'], urine: ['Dysuria'], peeing: ['Dysuria'], heart: ['Palpitations'], balance: ['Dizziness'], mood: ['Low mood'],
  weight: ['Weight loss'], skin: ['Rash'], joints: ['Joint pain'], stomach: ['Abdominal pain'], tummy: ['Abdominal pain'], head: ['Headache'],
};
function fineSpans(s: DocSentence): { name: string; start: number; end: number }[] {
  if (s.speaker !== 'patient' || NOT_FINE.test(s.text)) return [];
  const out: { name: string; start: number; end: number }[] = [];
  FINE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = FINE.exec(s.text)) !== null) for (const name of FINE_NAMES[m[1]!] ?? []) out.push({ name, start: s.start + m.index, end: s.start + m.index + m[0].length });
  return out;
}
const NOT_FINE = /\b(?:not|n't|except|but)\b/;

const spanNames = (s: DocSentence) => [...symptomSpans(s), ...fineSpans(s)].map((x) => x.name);

export function findSymptomMentions(doc: Doc): SymptomMention[] {
  const out: SymptomMention[] = [];
  for (const s of doc.sentences) {
    const spans = symptomSpans(s);
    for (const f of fineSpans(s)) {
      if (spans.some((x) => x.name === f.name)) continue;
      out.push({ name: f.name, status: 'absent', assertion: 'absent', assertion_cue: 'fine', source: 'statement', duration: null, sentence: s, start: f.start, end: f.end, durationSpan: null, replySpan: null });
    }
    if (!spans.length) continue;
    const durations = findDurations(s.text).map((d) => ({ ...d, start: d.start + s.start, end: d.end + s.start }));
    const qAt = questionStart(doc, s);
    const qNames = qAt >= 0 ? spans.filter((x) => x.start - s.start >= qAt).map((x) => x.name) : [];
    for (let i = 0; i < spans.length; i++) {
      const sp = spans[i]!;
      const rel = sp.start - s.start;
      const relEnd = sp.end - s.start;
      let assertion: Assertion;
      let cue: string | null;
      let replySpan: SymptomMention['replySpan'] = null;
      if (qAt >= 0 && rel >= qAt) {
        // asked, not said: the patient's reply decides ("No fever but…" in the question itself does not)
        const qual = questionQualifier(s.text, qAt, rel, relEnd);
        if (qual === 'hypothetical') continue;
        const a = answerFor(doc, s, sp.name, qNames, spanNames);
        if (a.how !== 'yes' && a.how !== 'no') continue;
        if (qual === 'family' && a.how === 'no') continue;
        assertion = qual === 'family' ? 'family' : a.how === 'yes' ? 'present' : 'absent';
        cue = `answered "${a.cue ?? a.how}"`;
        const r = a.reply!.sentences[0]!;
        replySpan = { line: r.line, start: r.start, end: r.end };
      } else {
        const a = assertionOf(s.text, rel, relEnd, s.speaker, 'symptom');
        assertion = a.assertion;
        cue = a.cue;
      }
      const status = assertion === 'present' ? 'present' : 'absent';
      const dur = status === 'present' ? pickDuration(spans, i, durations, s.text, s.start) : null;
      out.push({
        name: sp.name,
        status,
        assertion,
        assertion_cue: cue,
        source: replySpan ? 'answer' : 'statement',
        duration: dur?.value ?? null,
        sentence: s,
        start: sp.start,
        end: sp.end,
        durationSpan: dur ? { line: s.line, start: dur.start, end: dur.end } : null,
        replySpan,
      });
    }
  }
  attachHowLongAnswers(doc, out);
  return out;
}

/** The duration that belongs to spans[i]: after it with only list words between, else the only one. */
function pickDuration(
  spans: { start: number; end: number }[],
  i: number,
  durations: Found<Duration>[],
  text: string,
  offset: number,
): Found<Duration> | null {
  if (!durations.length) return null;
  const sp = spans[i]!;
  for (const d of durations) {
    if (d.start < sp.end) continue;
    // spans between the symptom and the duration must be joined by list words
    const between = text.slice(sp.end - offset, d.start - offset);
    if (between.length > 80) break;
    const others = spans.filter((o) => o.start >= sp.end && o.end <= d.start);
    const glue = others.reduce((acc, o) => acc.replace(text.slice(o.start - offset, o.end - offset), ' '), between);
    if (/^(?:[\s,]|and|or|with|also|some|mild|severe|a|an|the|\/|having|been|had|has|have|i|i've|ive|it|its|it's|is|was|were|going|on|started|for|since|about|like|kind of|sort of|really|very|bad|terrible|constant|intermittent|on and off|mostly|mainly|in|my|his|her|of|this|that|there|been getting|getting|\s)*$/.test(glue)) return d;
    break;
  }
  // a single symptom in the sentence takes the sentence's duration ("for two weeks I've had headaches")
  if (spans.length === 1 && durations.length === 1) return durations[0]!;
  // "fever for three days and body ache": a following symptom joined by "and" shares the duration before it
  const prev = spans[i - 1];
  if (prev) {
    const d = durations.find((x) => x.start >= prev.end && x.end <= sp.start);
    if (d && /^\s*(?:and|with|,)\s*(?:a |some )?$/.test(text.slice(d.end - offset, sp.start - offset))) return d;
  }
  return null;
}

const HOW_LONG = /\b(?:how long|since when|when did (?:it|this|that|they|the [a-z]+|all this|these|those) (?:start|begin|happen)|how many days|how many weeks|when did you (?:first )?(?:notice|start|get)|how long ago)\b/;

/** "How long has this been going on?" → the patient's reply gives the most recent symptom its duration. */
function attachHowLongAnswers(doc: Doc, mentions: SymptomMention[]): void {
  for (const s of doc.sentences) {
    if (s.speaker === 'patient' || !HOW_LONG.test(s.text)) continue;
    const reply = doc.lines.slice(s.line + 1, s.line + 3).find((l) => l.speaker === 'patient');
    if (!reply) continue;
    const rs = reply.sentences[0];
    if (!rs) continue;
    const d = findDurations(rs.text)[0] ?? bareDuration(rs.text);
    if (!d) continue;
    // the latest present symptom mentioned shortly before (or in) the question
    const target = [...mentions]
      .reverse()
      .find((m) => m.status === 'present' && m.sentence.idx <= s.idx && m.sentence.line >= s.line - 4 && !m.duration);
    if (!target) continue;
    target.duration = d.value;
    target.durationSpan = { line: rs.line, start: rs.start + d.start, end: rs.start + d.end };
  }
}

function bareDuration(text: string): Found<Duration> | null {
  const m = /\b(\d+(?:\.\d+)?)(?:\s*(?:-|to|or)\s*(\d+))?\s*(days?|weeks?|months?|years?|hours?)\b/.exec(text);
  if (!m) return null;
  const f = findDurations(`for ${m[0]}`)[0];
  return f ? { value: f.value, start: m.index, end: m.index + m[0].length } : null;
}

/** Which assertion wins when a symptom is mentioned several times. */
const RANK: Record<Assertion, number> = { present: 6, absent: 5, historical: 4, possible: 3, planned: 2, allergy: 1, family: 0 };

/**
 * One item per symptom (someone else's kept apart, assertion 'family'); present beats
 * absent beats historical beats possible; laterality-specific names absorb plain ones.
 */
export function aggregateSymptoms(doc: Doc, mentions: SymptomMention[], opts: { qualified?: boolean } = {}): SymptomItem[] {
  // Until templates read `assertion`, only present / absent items go out by default: a
  // 'possible' rash would otherwise show as a pertinent negative.
  if (!opts.qualified) mentions = mentions.filter((m) => m.assertion === 'present' || m.assertion === 'absent');
  const byName = new Map<string, SymptomMention[]>();
  const keyOf = (m: SymptomMention) => (m.assertion === 'family' ? `${m.name}\u0000family` : m.name);
  for (const m of mentions) {
    const k = keyOf(m);
    const list = byName.get(k) ?? [];
    list.push(m);
    byName.set(k, list);
  }
  // "Knee pain" into "Right knee pain" when both are the patient's
  for (const name of [...byName.keys()]) {
    if (name.includes('\u0000')) continue;
    const specific = [...byName.keys()].find((o) => o !== name && !o.includes('\u0000') && o.toLowerCase().endsWith(' ' + name.toLowerCase()));
    if (specific) {
      byName.get(specific)!.push(...byName.get(name)!);
      byName.delete(name);
    }
  }
  const items: (SymptomItem & { first: number })[] = [];
  for (const [key, ms] of byName) {
    const name = key.split('\u0000')[0]!;
    const best = Math.max(...ms.map((m) => RANK[m.assertion]));
    const chosen = ms.filter((m) => RANK[m.assertion] === best);
    const lead = chosen[0]!;
    const withDur = chosen.find((m) => m.duration);
    const evidence: Evidence[] = [];
    const add = (e: Evidence) => {
      if (!evidence.some((x) => x.line === e.line && x.start === e.start)) evidence.push(e);
    };
    for (const m of chosen) {
      add(ev(doc, m.sentence.line, m.start, m.end));
      if (m.replySpan) add(ev(doc, m.replySpan.line, m.replySpan.start, m.replySpan.end));
    }
    if (withDur?.durationSpan) {
      const d = withDur.durationSpan;
      add(ev(doc, d.line, d.start, d.end));
    }
    items.push({
      name,
      status: lead.assertion === 'present' ? 'present' : 'absent',
      assertion: lead.assertion,
      assertion_cue: lead.assertion_cue,
      duration: withDur?.duration ? formatDuration(withDur.duration) : null,
      duration_days: withDur?.duration ? withDur.duration.days : null,
      evidence,
      first: Math.min(...chosen.map((m) => m.sentence.idx)),
    });
  }
  return items.sort((a, b) => a.first - b.first).map(({ first: _f, ...rest }) => rest);
}

/** Every symptom item, hypothetical, past and family ones included (each with its assertion). */
export function allSymptomItems(doc: Doc): SymptomItem[] {
  return aggregateSymptoms(doc, findSymptomMentions(doc), { qualified: true });
}

/**
 * Conflicts for the clinician to check: the patient both reported and denied the same
 * symptom (in their own words or by answering a question) at different points.
 */
export function findingReview(doc: Doc, mentions: SymptomMention[]): ReviewItem[] {
  const out: ReviewItem[] = [];
  const byName = new Map<string, SymptomMention[]>();
  for (const m of mentions) {
    if (m.assertion !== 'present' && m.assertion !== 'absent') continue;
    if (m.source === 'statement' && m.sentence.speaker !== 'patient') continue;
    const list = byName.get(m.name) ?? [];
    list.push(m);
    byName.set(m.name, list);
  }
  for (const [name, ms] of byName) {
    const yes = ms.find((m) => m.assertion === 'present');
    const no = ms.find((m) => m.assertion === 'absent');
    if (!yes || !no || yes.sentence.idx === no.sentence.idx) continue;
    const evOf = (m: SymptomMention) =>
      m.replySpan ? ev(doc, m.replySpan.line, m.replySpan.start, m.replySpan.end) : ev(doc, m.sentence.line, m.start, m.end);
    const [a, b] = yes.sentence.idx < no.sentence.idx ? [yes, no] : [no, yes];
    out.push({
      field: `symptoms.${name.toLowerCase()}`,
      reason: `The patient ${a === yes ? 'reported' : 'denied'} ${name.toLowerCase()} and later ${b === yes ? 'reported' : 'denied'} it`,
      evidence: [evOf(a), evOf(b)],
    });
  }
  return out;
}
