/**
 * Symptoms with status (present / absent through negation and the patient's answer to
 * the doctor's question) and duration ("fever for three days", "since 2 days",
 * "3/7 hx", or the reply to "how long has it been?").
 */
import { answerTo, ev, type Doc, type DocSentence } from './doc.js';
import { findDurations, formatDuration, type Duration, type Found } from './dosing.js';
import { SYMPTOMS } from './lexicon/clinical.js';
import { PhraseMatcher } from './lexicon/matcher.js';
import { negationStatus } from './negation.js';
import type { Evidence } from '../../core/ports/extractor.js';
import type { SymptomItem } from './types.js';

export interface SymptomMention {
  name: string;
  status: 'present' | 'absent';
  duration: Duration | null;
  sentence: DocSentence;
  /** Offsets in the line's normalised text. */
  start: number;
  end: number;
  /** Where the duration sits, when found. */
  durationSpan: { line: number; start: number; end: number } | null;
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
  if (p === 'side') return lat ? `${cap(lat.replace(/-?sided/, ''))}-sided pain` : 'Flank pain';
  const side = lat ? (/both|bilateral/.test(lat) ? 'Bilateral ' : `${cap(lat.replace(/[- ]sided/, ''))} `) : '';
  const base = p === 'lower back' || p === 'upper back' ? 'back' : p;
  const name = `${p === 'lower back' ? 'lower back' : p === 'upper back' ? 'upper back' : base} pain`;
  return side ? side + name : cap(name);
}
const cap = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

const COLD_NOT = /^(?:\s+(?:water|weather|feet|hands|sores?|sensitivity|intolerance|compress|packs?|drinks?|food|foods|turkey|air|room|outside|spell|temperatures?|and hot|or hot|sweats?|shower|medicine|medicines|medication|brew|snap|call|feeling|storage|chain))/;
const HYPOTHETICAL = /\b(?:if|in case|should you|unless|whenever|watch (?:out )?for|look out for|warning signs?|red flags?|call (?:me|us|the office)|come back|return|seek|side effects?|can cause|could cause|may cause|might cause|cause|causes|risk of|prevent|to avoid|worried about|concerned about|worry about|rule out|signs of|symptoms of|symptoms like)\b/;
const FAMILY = /\b(?:mother|father|mom|mum|dad|brother|sister|son|daughter|grandmother|grandfather|grandma|grandpa|aunt|uncle|family|wife|husband|children|kids|cousin|friend|friends|colleague|flatmates?|roommates?|partner|others?|everyone|somebody|someone|people)\b/;

function clauseBefore(text: string, at: number, maxChars = 60): string {
  const pre = text.slice(Math.max(0, at - maxChars), at);
  const cut = Math.max(pre.lastIndexOf(','), pre.lastIndexOf(' but '), pre.lastIndexOf(' and '));
  return cut >= 0 && cut < pre.length - 2 ? pre.slice(cut) : pre;
}

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

export function findSymptomMentions(doc: Doc): SymptomMention[] {
  const out: SymptomMention[] = [];
  for (const s of doc.sentences) {
    const spans = symptomSpans(s);
    if (!spans.length) continue;
    const durations = findDurations(s.text).map((d) => ({ ...d, start: d.start + s.start, end: d.end + s.start }));
    let answer: ReturnType<typeof answerTo> | null = null;
    for (let i = 0; i < spans.length; i++) {
      const sp = spans[i]!;
      const rel = sp.start - s.start;
      const before = clauseBefore(s.text, rel);
      if (HYPOTHETICAL.test(before)) continue;
      if (FAMILY.test(before) && !/\b(?:i|i'm|i've|me|my)\b/.test(before)) continue;
      let status: 'present' | 'absent';
      if (s.question) {
        answer ??= answerTo(doc, s);
        if (answer.polarity === null) continue;
        status = answer.polarity === 'yes' ? 'present' : 'absent';
        // "Any fever?" "No fever but…" — the negation inside the question does not matter
      } else {
        status = negationStatus(s.text, rel, sp.end - s.start).negated ? 'absent' : 'present';
      }
      const dur = status === 'present' ? pickDuration(spans, i, durations, s.text, s.start) : null;
      out.push({
        name: sp.name,
        status,
        duration: dur?.value ?? null,
        sentence: s,
        start: sp.start,
        end: sp.end,
        durationSpan: dur ? { line: s.line, start: dur.start, end: dur.end } : null,
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

/** One item per symptom; present beats absent; laterality-specific names absorb plain ones. */
export function aggregateSymptoms(doc: Doc, mentions: SymptomMention[]): SymptomItem[] {
  const byName = new Map<string, SymptomMention[]>();
  for (const m of mentions) {
    const list = byName.get(m.name) ?? [];
    list.push(m);
    byName.set(m.name, list);
  }
  // "Knee pain" into "Right knee pain" when both are present
  for (const name of [...byName.keys()]) {
    const specific = [...byName.keys()].find((o) => o !== name && o.toLowerCase().endsWith(' ' + name.toLowerCase()));
    if (specific) {
      byName.get(specific)!.push(...byName.get(name)!);
      byName.delete(name);
    }
  }
  const items: (SymptomItem & { first: number })[] = [];
  for (const [name, ms] of byName) {
    const present = ms.filter((m) => m.status === 'present');
    const chosen = present.length ? present : ms;
    const withDur = chosen.find((m) => m.duration);
    const evidence: Evidence[] = [];
    for (const m of chosen) {
      evidence.push(ev(doc, m.sentence.line, m.start, m.end));
    }
    if (withDur?.durationSpan) {
      const d = withDur.durationSpan;
      const e = ev(doc, d.line, d.start, d.end);
      if (!evidence.some((x) => x.line === e.line && x.start === e.start)) evidence.push(e);
    }
    items.push({
      name,
      status: present.length ? 'present' : 'absent',
      assertion: present.length ? 'present' : 'absent',
      assertion_cue: null,
      duration: withDur?.duration ? formatDuration(withDur.duration) : null,
      duration_days: withDur?.duration ? withDur.duration.days : null,
      evidence,
      first: Math.min(...chosen.map((m) => m.sentence.idx)),
    });
  }
  return items.sort((a, b) => a.first - b.first).map(({ first: _f, ...rest }) => rest);
}
