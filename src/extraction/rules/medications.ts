/**
 * Medication mentions from the drug lexicon, each with dose, route, frequency,
 * duration, instructions and the action (start / continue / increase / decrease / stop
 * / hold) read from the words around it; mentions of the same drug are merged.
 */
import type { Evidence } from '../../core/ports/extractor.js';
import { answerTo, ev, isClinician, type Doc, type DocSentence } from './doc.js';
import {
  findAction, findConditions, findDoses, findDurations, findFrequency, findInstructions, findRoute, formatDose, formatDuration,
  type ActionCue, type Dose, type Duration, type Found, type Frequency, type MedAction,
} from './dosing.js';
import { DRUGS, type DrugEntry, type Route } from './lexicon/drugs.js';
import { PhraseMatcher } from './lexicon/matcher.js';
import { negationStatus } from './negation.js';
import { isNumberGlue, isNumberWord, parseNumberRun } from './numbers.js';
import { sentenceCase } from './text.js';
import type { Assertion, MedicationItem, ReviewItem } from './types.js';
import { DOSE_QUESTION, neighbourAttributes } from './med-context.js';

interface DrugHit {
  entry: DrugEntry;
  /** The lexicon term that matched. */
  term: string;
  kind: 'generic' | 'brand' | 'alias' | 'ambiguous';
  /** Set on approximate (edit-distance) matches: the word heard. */
  fuzzy?: string;
}

let matcher: PhraseMatcher<DrugHit> | null = null;
export function drugMatcher(): PhraseMatcher<DrugHit> {
  if (!matcher) {
    const entries: [string, DrugHit][] = [];
    for (const e of DRUGS) {
      entries.push([e.generic, { entry: e, term: e.generic, kind: 'generic' }]);
      for (const b of e.brands) entries.push([b, { entry: e, term: b, kind: 'brand' }]);
      for (const a of e.aliases) entries.push([a, { entry: e, term: a, kind: 'alias' }]);
      for (const a of e.ambiguous) entries.push([a, { entry: e, term: a, kind: 'ambiguous' }]);
    }
    matcher = new PhraseMatcher(entries);
  }
  return matcher;
}

/** Generic name for a drug named any way the lexicon knows (for evaluation and tests). */
export function normalizeDrugName(name: string): string | null {
  const hit = drugMatcher().lookup(name.toLowerCase());
  return hit ? hit.entry.generic : null;
}

export interface AllergyDrugHit {
  generic: string;
  surface: string;
  line: number;
  start: number;
  end: number;
}

export interface MedicationMention {
  hit: DrugHit;
  sentence: DocSentence;
  start: number;
  end: number;
  dose: Found<Dose> | null;
  /** The dose before a change said in the same breath ("from 10 mg to 20 mg"); not in the output schema. */
  previousDose: Found<Dose> | null;
  frequency: Found<Frequency> | null;
  duration: Found<Duration> | null;
  route: Route | null;
  instructions: Found<string>[];
  action: MedAction;
  explicit: boolean;
  /** The clinician states what to take from now on (a prescription, an order, "we'll go with"). */
  plan: boolean;
  /** Furthest end of any attribute, for evidence. */
  spanStart: number;
  spanEnd: number;
  /** What the mention says about the patient taking it; only present / planned ones are on the list. */
  assertion: Assertion;
  assertion_cue: string | null;
  /** The word heard when the name only matched the lexicon approximately. */
  heard: string | null;
  /** Where attributes said in a neighbouring sentence or turn came from. */
  extraEvidence: Evidence[];
}

const FORM_BEFORE = /\b(?:tab|tabs|tablet|tablets|cap|caps|capsule|capsules|syp|syrup|inj|injection|susp|suspension|cream|ointment|gel|drops|inhaler|spray|sachet|lotion)\.?\s*$/;
const NOT_A_DRUG_AFTER = /^\s*(?:level|levels|deficiency|deficient|allergy|allergies|allergic|toxicity|resistance|test|tests|testing|overload|studies|study|panel|sensitivity|intolerance|reaction|screen|stores|saturation|status|labs?|clinic|pump settings)\b/;
const NOT_A_DRUG_BEFORE = /\b(?:high|low|elevated|normal|raised|your|his|her)\s+(?:serum\s+)?$/;
const HORMONE_CLASSES = /androgen|oestrogen|progestogen|thyroid hormone|mineral|electrolyte|vitamin/;
const ALLERGY_CUE = /\b(?:allergic|allergy|allergies|reaction|reacts|sensitive|intolerant|intolerance)\s+(?:to|with|from)\b([\s,]*(?:[a-z-]+\s*(?:,|and|or)?\s*){0,4})$/;
/** Words that start a new clause between the cue and the drug ("allergic to X, I take Y"). */
const NEW_CLAUSE = /\b(?:i|i'm|im|he|she|we|they|you|take|takes|taking|took|but|so|on|use|using|prescribed)\b/;
function allergyBefore(before: string): boolean {
  const m = ALLERGY_CUE.exec(before);
  return !!m && !NEW_CLAUSE.test(m[1]!);
}
/** The cue words of a true allergy (not a side effect or an intolerance of a drug still taken); also
 * what makes a doctor's question one about allergies ("any allergies to medications?"). */
const ALLERGY_WORD = /\b(?:allergic|allergy|allergies)\b/;
/** A patient's reply naming what they take, not what they react to. */
const TAKING_WORDS = /\b(?:take|takes|taking|took|on|use|using|prescribed)\b/;

/**
 * Drugs given as examples of a class, as a menu ("antihistamines, things like loratadine or
 * piriton", "anti-inflammatories such as ibuprofen and naproxen"): a note records the class,
 * not each example. The marker sits right before the first drug of a list of two or more.
 */
const EXAMPLE_MARKER = /(?:\b(?:such as|e\.?g\.?|for example|for instance)|\b([a-z-]+)\s*,?\s+like|\b(?:things|stuff)(?:\s+(?:over the counter|from the (?:pharmacy|chemist|shop)|you can (?:buy|get)))?\s*,)[\s,:]*(?:the\s+|some\s+)?$/;
/** Words before "like" that make it a verb or comparison, not "examples like". */
const LIKE_NOT_EXAMPLE = new Set(['looks', 'sounds', 'seems', 'feels', 'is', 'was', 'does', 'goes', 'tastes', 'smells', 'works', 'has', 'this', 'its', "it's", 'us', 'yes', 'his', 'thus', 'less']);
/** Glue between the drugs of one list. */
const LIST_GLUE = /^[\s,]*(?:(?:or|and|and\/or|\/)\s*,?\s*)?(?:even\s+|maybe\s+|perhaps\s+)?(?:the\s+|some\s+)?$/;
/** "X on this occasion wouldn't be helpful", "X isn't needed": the clinician rules a drug out. */
const RULED_OUT_AFTER = /^[^.?!;]{0,40}?\b(?:(?:would|will|wo|should)\s*(?:not|n't)\s+(?:really\s+)?(?:be\s+)?(?:really\s+)?(?:helpful|help|necessary|needed|useful|appropriate|indicated|advisable|recommended|work|the right)|(?:is|are)\s*(?:not|n't)\s+(?:really\s+)?(?:needed|necessary|recommended|indicated|advisable|required|appropriate))\b/;
/** A family member's medicine: "my mum takes sumatriptan". */
const FAMILY_TAKES_BEFORE = /\b(?:my|his|her|your|their)\s+(?:mom|mum|mother|dad|father|husband|wife|partner|sister|brother|son|daughter|grandma|grandmother|grandpa|grandfather|aunt|uncle|cousin|parents?|kids?|child|children|boyfriend|girlfriend)\s+(?:[a-z']+\s+){0,2}?(?:takes|took|is on|was on|is taking|was taking|has been on|had been on|has been taking|uses|used|was given|got|gets|needed|needs)\b[^.?!]{0,30}$/;

/** The clinician describing usual practice, not this patient's medicine. */
const GENERAL_PRACTICE = /\b(?:we (?:used to|usually|normally|generally|typically|tend to|often|sometimes|would normally|would usually)\s+(?:\w+\s+)?(?:give|use|prescribe|recommend|start|try|suggest|go with|put people on)|(?:some|most|many|a lot of) (?:people|patients|women|men|kids|children)\s+(?:\w+\s+)?(?:take|use|are on|get|need)|people (?:often |usually |sometimes )?(?:take|use)|(?:the )?(?:options?|alternatives?) (?:are|is|include|would be)|first line (?:is|treatment)|it's common to)\b[^?!]*$/;
/** A past medicine, said before the drug. */
const PAST_BEFORE = /\b(?:used to (?:take|be on|use|have)|was on|were on|previously (?:on|took|taking|tried|had)|had been on|in the past i (?:took|had|used)|stopped(?: taking)?|came off|finished(?: the| my)?(?: course of)?)\b[^.?!]{0,40}$/;
/** A possibility rather than a medicine taken or prescribed. */
const MAYBE_BEFORE = /\b(?:avoid (?:going on|going to|starting|having to|needing)|may need|might need|may have to|might have to|would need|would have to|will need to go on|down the road|in the future|if (?:it|that|this|they|things|the \w+|you|your \w+|symptoms?)\b[^.?!]{0,50}\b(?:could|might|may|would|can)\b|(?:could|might) (?:consider|think about)|thinking about|think about (?:starting|trying|going on)|considering|wondering (?:about|if))\b[^.?!]{0,40}$/;

/** "my sister has diabetes and she takes metformin": the family member, then a pronoun. */
const FAMILY_PRONOUN_BEFORE = /\b(?:my|his|her|their)\s+(?:mom|mum|mother|dad|father|husband|wife|partner|sister|brother|son|daughter|grandma|grandmother|grandpa|grandfather|aunt|uncle|cousin|boyfriend|girlfriend)\b(?:(?!\b(?:i|i'm|i've|me)\b)[^.?!]){0,60}\b(?:she|he|they)(?:'s|\s+(?:takes|took|is on|was on|were on|is taking|was taking|has been on|had been on|uses|used|needs|needed|got|gets|had to take))\b[^.?!]{0,30}$/;

/** Drugs dosed in micrograms: a bare strength after them ("Thyronorm 50") is mcg. */
const MCG_DRUGS = /^(?:levothyroxine|liothyronine|fentanyl|digoxin|cyanocobalamin|vitamin b12)$/;

const MAX_PRE = 70;
const MAX_POST = 110;

// ── Speech-recogniser misspellings ("cisplacin", "etoside") ──────────────────
let fuzzyIndex: Map<string, { name: string; hit: DrugHit }[]> | null = null;
function fuzzyCandidates(prefix: string) {
  if (!fuzzyIndex) {
    fuzzyIndex = new Map();
    for (const e of DRUGS) {
      const names: [string, DrugHit['kind']][] = [[e.generic, 'generic'], ...e.brands.map((b) => [b, 'brand'] as [string, DrugHit['kind']]), ...e.aliases.map((a) => [a, 'alias'] as [string, DrugHit['kind']])];
      for (const [n, kind] of names) {
        if (!/^[a-z]{7,}$/.test(n)) continue;
        const k = n.slice(0, 2);
        const list = fuzzyIndex.get(k) ?? [];
        list.push({ name: n, hit: { entry: e, term: n, kind } });
        fuzzyIndex.set(k, list);
      }
    }
  }
  return fuzzyIndex.get(prefix) ?? [];
}
/** English words within an edit or two of a drug name. */
const FUZZY_STOP = new Set(['reaction', 'reactions', 'reactive', 'meantime', 'androgen', 'androgens', 'program', 'programs', 'cytology', 'nicotine', 'aspiring', 'insular', 'proscribe']);
const DRUG_CONTEXT = /\b(?:take|takes|taking|took|on|start|started|starting|prescribe|prescribed|continue|continuing|medication|medications|medicine|medicines|tablet|tablets|capsule|dose|chemo|chemotherapy|chemotherapies|inhaler|cream|injection|pill|pills|as well as|and|of)\s*(?:the\s+|your\s+|some\s+)?$/;

/** Damerau-Levenshtein distance, or max+1 when it exceeds max. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur: number[] = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

function fuzzyHits(text: string, taken: { start: number; end: number }[]) {
  const out: { start: number; end: number; surface: string; value: DrugHit }[] = [];
  const re = /[a-z]{7,}/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const w = m[0];
    const start = m.index;
    const end = start + w.length;
    if (FUZZY_STOP.has(w) || taken.some((t) => start < t.end && t.start < end)) continue;
    const before = text.slice(Math.max(0, start - 40), start);
    const after = text.slice(end, end + 25);
    if (!DRUG_CONTEXT.test(before) && !/^\s*-?\s*\d+(?:\.\d+)?\s*(?:mg|mcg|milligrams?|units?)\b/.test(after)) continue;
    let best: { d: number; hit: DrugHit } | null = null;
    for (const c of fuzzyCandidates(w.slice(0, 2))) {
      if (c.name === w) continue;
      const max = c.name.length >= 9 ? 2 : 1;
      const d = editDistance(w, c.name, max);
      if (d <= max && (!best || d < best.d)) best = { d, hit: c.hit };
    }
    if (best) out.push({ start, end, surface: w, value: { ...best.hit, fuzzy: w } });
  }
  return out;
}

type Hit = { start: number; end: number; surface: string; value: DrugHit };
const hitCache = new WeakMap<DocSentence, Hit[]>();
/** Drug mentions of one sentence, ambiguous names kept only next to a dose or form (cached per sentence). */
export function drugHits(s: DocSentence): Hit[] {
  let c = hitCache.get(s);
  if (!c) hitCache.set(s, (c = rawDrugHits(s)));
  return c;
}
function rawDrugHits(s: DocSentence): Hit[] {
  const exact = drugMatcher().match(s.text);
  const hits = [...exact, ...fuzzyHits(s.text, exact)].sort((a, b) => a.start - b.start);
  return hits.filter((h) => {
    const after = s.text.slice(h.end);
    const before = s.text.slice(0, h.start);
    if (h.value.kind === 'ambiguous') {
      if (!(FORM_BEFORE.test(before) || /^\s*-?\s*\d/.test(after))) return false;
    }
    if (NOT_A_DRUG_AFTER.test(after)) return false;
    if (HORMONE_CLASSES.test(h.value.entry.drugClass) && NOT_A_DRUG_BEFORE.test(before) && !/\b(?:your|his|her)\s+$/.test(before)) return false;
    return true;
  });
}

// ── Dose changes ("increase X from 10 mg to 20 mg") ─────────────────────────
/** What may stand between the old and the new dose of a change ("10 mg to 20 mg"; a misheard "to"). */
const CHANGE_GAP = /^[\s,]*(?:(?:(?:up|down|back)\s+)?(?:to|too|two|2)|(?:and\s+)?then|uh|um|er|erm|i mean|sorry)?[\s,]*$/;
/** The clinician says what to take from now on, right before the drug (or its dose). */
const PLAN_BEFORE = /(?:(?<!\bin\s)\b(?:order|ordering|prescribe|prescribing|e-?prescribe)|\b(?:go with|going with|let's do|let us do|we'll do|we will do|let's try|let's use|send in|sending in|new prescription for|put you on|have you on|make it))\b[^.?!;]{0,25}$/;

export interface DoseChange {
  prev: Found<Dose>;
  /** Null when only the old dose is said ("increase the lisinopril from 10 mg"). */
  next: Found<Dose> | null;
}

/**
 * A dose change said after the drug (offsets in `post`): "from 10 to 20 mg", "from 10 mg to
 * 20 mg", or two doses of the same unit governed by an increase / decrease ("increase X 10 mg
 * to 20 mg", the recogniser's "from ten milligrams ten twenty milligrams"): the later one is new.
 * `orig` gives the transcript's words for a span of `post`, to undo a "to" heard as a number.
 */
export function findDoseChange(post: string, direction: 'increase' | 'decrease' | null, orig: (start: number, end: number) => string): DoseChange | null {
  const doses = findDoses(post).filter((d) => d.value.kind === 'strength');
  const fromBefore = (d: Found<Dose>) => /\bfrom\s*$/.test(post.slice(0, d.start));
  // "from 10 to 20 mg" reads as a range; after "from" it is a change
  for (const d of doses) {
    if (d.value.max === null || !fromBefore(d) || !/\d\s*to\s*\d/.test(post.slice(d.start, d.end))) continue;
    return { prev: { ...d, value: { ...d.value, max: null } }, next: { ...d, value: { ...d.value, value: d.value.max, max: null } } };
  }
  for (let k = 0; k + 1 < doses.length; k++) {
    const a = doses[k]!;
    const b = doses[k + 1]!;
    if (a.value.unit !== b.value.unit || a.value.max !== null || b.value.max !== null) continue;
    if (!fromBefore(a) && !direction) continue;
    const gap = post.slice(a.end, b.start);
    if (!CHANGE_GAP.test(gap)) continue;
    let value = b.value.value;
    if (gap.trim() === '') value = misheardTo(orig(b.start, b.end), value, a.value.value, direction);
    return { prev: a, next: { ...b, value: { ...b.value, value } } };
  }
  // only the old dose: "increase the lisinopril from 10 mg" (a later dose is something else's)
  const first = doses[0];
  if (direction && first && fromBefore(first)) return { prev: first, next: null };
  return null;
}

/**
 * "ten twenty milligrams" after "from ten milligrams": the "to" was heard as "ten" or "two"
 * and glued to the number (1020, 220). Of the two readings, the one in the stated direction
 * and closest in ratio to the old dose.
 */
function misheardTo(origText: string, value: number, prev: number, direction: 'increase' | 'decrease' | null): number {
  const words = origText.toLowerCase().split(/[\s-]+/).filter(Boolean);
  if (words.length < 3 || (words[0] !== 'ten' && words[0] !== 'two')) return value;
  let n = 1;
  while (n < words.length && (isNumberWord(words[n]!) || isNumberGlue(words[n]!))) n++;
  if (n === 1 || n !== words.length - 1) return value;
  const groups = parseNumberRun(words.slice(1, n));
  if (groups.length !== 1) return value;
  const rest = Number(groups[0]!.value);
  if (!(rest > 0)) return value;
  const fits = (v: number) => (direction === 'increase' ? v > prev : direction === 'decrease' ? v < prev : v !== prev);
  const cands = [value, rest].filter(fits);
  if (!cands.length) return value;
  return cands.reduce((best, v) => (Math.abs(Math.log(v / prev)) < Math.abs(Math.log(best / prev)) ? v : best));
}

/** "going from 10 mg to 20 mg of X", "from 10 to 20 mg of X": the old dose before the new one. */
function changeBefore(pre: string, dose: Found<Dose>): { prev: Dose; next: Dose } | null {
  const d = dose.value;
  if (d.max !== null && /\d\s*to\s*\d/.test(pre.slice(dose.start, dose.end)) && /\bfrom\s*$/.test(pre.slice(0, dose.start))) {
    return { prev: { ...d, max: null }, next: { ...d, value: d.max, max: null } };
  }
  const m = /\bfrom\s+(\d+(?:\.\d+)?)(?:\s*([a-z]+))?\s+(?:(?:up|down)\s+)?(?:to|too|2)\s+$/.exec(pre.slice(0, dose.start));
  if (!m || d.kind !== 'strength' || d.max !== null) return null;
  if (m[2] !== undefined && findDoses(`${m[1]} ${m[2]}`)[0]?.value.unit !== d.unit) return null;
  return { prev: { ...d, value: Number(m[1]) }, next: d };
}

export function findMedicationMentions(doc: Doc): { mentions: MedicationMention[]; allergies: AllergyDrugHit[] } {
  const mentions: MedicationMention[] = [];
  const allergies: AllergyDrugHit[] = [];
  /** Drugs the patient is allergic to (affirmed): never on the medication list. */
  const allergic = new Set<string>();
  // the patient's reply to "any allergies to medications?" names allergies, not medicines
  const allergyReplyLines = new Set<number>();
  for (const q of doc.sentences) {
    if (!q.question || q.speaker === 'patient' || !ALLERGY_WORD.test(q.text)) continue;
    // only when it is the last question of the turn (else the reply may answer another one)
    if (doc.lines[q.line]!.sentences.some((x) => x.idx > q.idx && x.question)) continue;
    const a = answerTo(doc, q);
    if (a.line !== null && a.polarity !== 'no') allergyReplyLines.add(a.line);
  }
  for (const s of doc.sentences) {
    const hits = drugHits(s);
    const examples = exampleHits(s, hits);
    hits.forEach((h, i) => {
      const text = s.text;
      const before = text.slice(0, h.start);
      const inAllergyReply = s.speaker === 'patient' && allergyReplyLines.has(s.line) && !TAKING_WORDS.test(before);
      if (inAllergyReply || allergyBefore(before.slice(-60)) || /^\s*(?:allergy|allergies)\b/.test(text.slice(h.end))) {
        allergies.push({ generic: h.value.entry.generic, surface: h.surface, line: s.line, start: s.start + h.start, end: s.start + h.end });
        const affirmed = !negationStatus(text, h.start, h.end).negated && (!s.question || answerTo(doc, s).polarity === 'yes');
        if (affirmed && (inAllergyReply || ALLERGY_WORD.test(before.slice(-60)) || /^\s*(?:allergy|allergies)\b/.test(text.slice(h.end)))) allergic.add(h.value.entry.generic);
        return;
      }
      /** What the mention asserts; the first reason found wins. */
      let assertion: Assertion = 'present';
      let assertionCue: string | null = null;
      const mark = (a: Assertion, c: string | null) => {
        if (assertion === 'present') { assertion = a; assertionCue = c; }
      };
      // one of several examples of a class the clinician mentions ("things like X or Y")
      if (examples.has(i)) mark('possible', 'example');
      // a family member's medicine
      const fam = FAMILY_TAKES_BEFORE.exec(before) ?? FAMILY_PRONOUN_BEFORE.exec(before);
      if (fam) mark('family', fam[0].split(/\s+/).slice(0, 2).join(' '));
      // the clinician explains what is usually done ("we used to give X, now it's Y or Z")
      if (isClinician(s)) {
        const gen = GENERAL_PRACTICE.exec(before);
        if (gen) mark('possible', gen[0].trim());
      }
      const prevEnd = i > 0 ? hits[i - 1]!.end : 0;
      const nextStart = i + 1 < hits.length ? hits[i + 1]!.start : text.length;
      const postEnd = Math.min(nextStart, h.end + MAX_POST, text.length);
      let post = text.slice(h.end, postEnd);
      // a dose that belongs to the next drug ("… and 20 mg of lisinopril") is not ours
      if (i + 1 < hits.length) {
        const tail = /(?:,|\band\b|\bor\b|\bplus\b|\bwith\b)?\s*(?:\d+(?:\.\d+)?\s*[a-z%]+\s+(?:of\s+)?(?:the\s+)?|(?:tab|tablet|cap|capsule|syrup|inj)\.?\s+)$/.exec(post);
        if (tail && findDoses(tail[0]).length + (FORM_BEFORE.test(post) ? 1 : 0) > 0) post = post.slice(0, tail.index);
      }
      const preStart = Math.max(0, h.start - MAX_PRE);
      const pre = text.slice(preStart, h.start);
      const ownPre = text.slice(Math.max(prevEnd, preStart), h.start);

      // dose: after the name ("metformin 500 mg"), or right before it ("500 mg of metformin")
      const doses = findDoses(post);
      const toDose = doses.find((d) => /\bto\s*$/.test(post.slice(0, d.start)) && /\bfrom\b/.test(post.slice(0, d.start)));
      let dose: Found<Dose> | null = toDose ?? doses[0] ?? null;
      if (dose && dose.value.kind === 'quantity') {
        const strength = doses.find((d) => d.value.kind === 'strength');
        if (strength) dose = strength;
      }
      if (dose) dose = { ...dose, start: dose.start + h.end, end: dose.end + h.end };
      /** A change said before the drug ("from 10 mg to 20 mg of lisinopril"). */
      let preChange: { prev: Dose; next: Dose } | null = null;
      if (!dose) {
        const m = /(\d+(?:\.\d+)?\s*(?:-|to)?\s*(?:\d+(?:\.\d+)?)?\s*(?:mg|mcg|milligrams?|micrograms?|g|grams?|ml|units?|iu|tablets?|capsules?|puffs?|drops?|pills?)\s+(?:of\s+)?(?:the\s+|your\s+|his\s+|her\s+)?)$/.exec(ownPre);
        if (m) {
          const d = findDoses(m[1]!)[0];
          const at = h.start - ownPre.length + m.index;
          if (d) {
            dose = { ...d, start: at + d.start, end: at + d.end };
            preChange = changeBefore(ownPre, { ...d, start: m.index + d.start, end: m.index + d.end });
          }
        }
      }
      if (!dose) {
        // strength straight after a brand: "Dolo 650", "Pan 40", "Glycomet 500"
        const m = /^\s*-?\s*(\d+(?:\.\d+)?)(?!\s*(?:times|days?|weeks?|months?|years?|hours?|%|percent|\/|over|to|or|-))\b/.exec(post);
        if (m) {
          const v = Number(m[1]);
          if (v > 0 && v <= 2000) {
            const at = h.end + m.index + m[0].indexOf(m[1]!);
            dose = { value: { value: v, max: null, unit: MCG_DRUGS.test(h.value.entry.generic) ? 'mcg' : 'mg', kind: 'strength' }, start: at, end: at + m[1]!.length };
          }
        }
      }
      const freqRaw = findFrequency(post);
      const frequency = freqRaw ? { ...freqRaw, start: freqRaw.start + h.end, end: freqRaw.end + h.end } : null;
      const durRaw = findDurations(post).find((d) => !/^(?:since|ago|back|past|last|previous|over|about|around|approximately|almost|nearly|of)\b/.test(post.slice(d.start, d.end)));
      const duration = durRaw ? { ...durRaw, start: durRaw.start + h.end, end: durRaw.end + h.end } : null;
      const instructions = [...findInstructions(post), ...findConditions(post)].map((x) => ({ ...x, start: x.start + h.end, end: x.end + h.end }));
      const routeFound = findRoute(ownPre.slice(-25) + ' ' + h.surface + ' ' + post.slice(0, 60), ownPre.slice(-25).length + 1);
      const route: Route | null = routeFound?.value ?? h.value.entry.route ?? null;

      // action from the words around
      let cue: ActionCue | null = findAction(pre, post);
      // a verb inside a condition is not the action: "if you start to use the ventolin more than …"
      if (cue && cue.strength === 'strong' && /\b(?:if|when|whenever|unless|once)\b[^,;.]*$/.test(pre.slice(0, cue.start))) cue = { ...cue, strength: 'weak', action: 'continue' };
      let action: MedAction;
      let explicit = false;
      if (cue && cue.strength !== 'weak') {
        action = cue.action;
        explicit = true;
      } else if (FORM_BEFORE.test(ownPre) && isClinician(s)) {
        action = 'start';
        explicit = true;
      } else if (cue) {
        action = 'continue';
      } else if (isClinician(s) && doc.mode === 'dictation' && (frequency || duration)) {
        action = 'start';
      } else {
        action = 'continue';
      }
      // a dose change: the new dose is the dose; an increase / decrease unless a verb says otherwise
      const direction = cue && cue.strength !== 'weak' && (cue.action === 'increase' || cue.action === 'decrease') ? cue.action : null;
      let previousDose: Found<Dose> | null = null;
      if (preChange && dose) {
        previousDose = { ...dose, value: preChange.prev };
        dose = { ...dose, value: preChange.next };
      } else {
        const c = findDoseChange(post, direction, (a, b) => ev(doc, s.line, s.start + h.end + a, s.start + h.end + b).text);
        if (c) {
          previousDose = { ...c.prev, start: c.prev.start + h.end, end: c.prev.end + h.end };
          dose = c.next ? { ...c.next, start: c.next.start + h.end, end: c.next.end + h.end } : null;
        }
      }
      if (previousDose && dose && action !== 'stop' && action !== 'hold' && action !== 'increase' && action !== 'decrease' && dose.value.value !== previousDose.value.value) {
        action = dose.value.value > previousDose.value.value ? 'increase' : 'decrease';
        explicit = true;
      }
      // what the patient says they started is something they are on now
      if (s.speaker === 'patient' && (action === 'start' || action === 'increase' || action === 'decrease') && !/\b(?:should i|can i|could i|do i)\b/.test(pre)) {
        action = 'continue';
        explicit = false;
      }

      // the clinician rules it out: "paracetamol wouldn't be helpful", "antibiotics are not needed"
      if (isClinician(s) && action !== 'stop' && action !== 'hold' && RULED_OUT_AFTER.test(text.slice(h.end, nextStart))) mark('possible', 'ruled out');
      // a possibility: "may need X", "in the future", "if it doesn't settle we might try X"
      const maybe = MAYBE_BEFORE.exec(before);
      if (maybe) mark('possible', maybe[0].trim().split(/\s+/).slice(0, 3).join(' '));
      // negation: "not taking aspirin", "no ibuprofen" (a stop / hold keeps it)
      const neg = negationStatus(text, h.start, h.end);
      if (neg.negated && action !== 'stop' && action !== 'hold') {
        const mine = /\b(?:my|his|her|your)\s+$/.test(before.slice(-20));
        if (!mine) mark('absent', neg.trigger);
      }
      // a drug only asked about ("have you tried tylenol or ibuprofen?"): the reply decides;
      // a drug the patient names in the reply is picked up from there
      if (s.question && s.speaker !== 'patient' && action !== 'stop' && action !== 'hold') {
        const a = answerTo(doc, s);
        const reply = a.line !== null ? doc.lines[a.line]! : null;
        const replyDrugs = reply ? reply.sentences.flatMap((rs) => drugHits(rs)) : [];
        const ever = /\b(?:ever|before|in the past|previously)\b/.test(text);
        if (a.polarity === 'no') mark('absent', 'question answered no');
        else if (replyDrugs.length > 0) mark('possible', 'asked');
        else if (a.polarity === 'yes') { if (ever) mark('historical', 'ever'); }
        else if (!(reply && DOSE_QUESTION.test(text) && !/\b(?:not|never|don't|do n't|stopped)\b/.test(reply.nt.norm))) mark('possible', 'asked');
      }
      // the patient asks whether to take it
      if (s.speaker === 'patient' && /\b(?:should i|can i|could i|do i need to|would it help to|is it ok(?:ay)? to)\b[^.?!]{0,30}$/.test(before)) mark('possible', 'question');
      // a past medicine: "i used to take X", "i was on X", "i stopped X last year"
      const past = PAST_BEFORE.exec(before);
      if (past) mark('historical', past[0].trim().split(/\s+/).slice(0, 3).join(' '));
      if (s.speaker === 'patient' && action === 'stop' && /\b(?:stopped|quit|came off|gave up|no longer|finished)\b/.test(pre)) mark('historical', 'stopped');
      if (s.speaker === 'patient' && /^[^.?!]{0,30}?\b(?:but |and )?(?:i|we)(?: have| had|'ve)? (?:stopped|quit|came off|gave up) (?:it|them|that|taking (?:it|them))\b/.test(text.slice(h.end, nextStart))) mark('historical', 'stopped');
      // a self-correction: "penicillin or, I'm sorry, amoxicillin"
      if (i + 1 < hits.length && /^\s*,?\s*(?:or\s*,?\s*)?(?:i'm sorry|im sorry|sorry|i mean|rather|no wait|actually)\s*,?\s*$/.test(text.slice(h.end, hits[i + 1]!.start))) return;
      // a vitamin or mineral to be measured is a lab test: "recheck iron, ferritin, B12 and folate"
      // (also further down a list of tests: "recheck the cbc, iron, ferritin, b12 and folate")
      if (/vitamin|mineral|iron/.test(h.value.entry.drugClass) && /\b(?:check|checking|recheck|rechecking|test|testing|measure|levels? of|labs?|draw|order|blood work|bloodwork)\b[^.?!]{0,40}(?:(?:,|\band\b)[^,.?!]{0,25}){0,6}$/.test(before)) return;

      const starts = [h.start, dose?.start, previousDose?.start, frequency?.start, duration?.start, ...instructions.map((x) => x.start)].filter((x): x is number => x !== undefined);
      const ends = [h.end, dose?.end, previousDose?.end, frequency?.end, duration?.end, ...instructions.map((x) => x.end)].filter((x): x is number => x !== undefined);
      mentions.push({
        hit: h.value,
        sentence: s,
        start: s.start + h.start,
        end: s.start + h.end,
        dose: dose ? { ...dose, start: dose.start + s.start, end: dose.end + s.start } : null,
        previousDose: previousDose ? { ...previousDose, start: previousDose.start + s.start, end: previousDose.end + s.start } : null,
        frequency: frequency ? { ...frequency, start: frequency.start + s.start, end: frequency.end + s.start } : null,
        duration: duration ? { ...duration, start: duration.start + s.start, end: duration.end + s.start } : null,
        route,
        instructions: instructions.map((x) => ({ ...x, start: x.start + s.start, end: x.end + s.start })),
        action,
        explicit,
        plan: assertion === 'present' && isClinician(s) && !s.question && ((explicit && action !== 'stop' && action !== 'hold') || PLAN_BEFORE.test(ownPre)),
        assertion,
        assertion_cue: assertionCue,
        heard: h.value.fuzzy ?? null,
        extraEvidence: [],
        spanStart: s.start + Math.min(...starts),
        spanEnd: s.start + Math.max(...ends),
      });
    });
  }
  // a drug the patient is allergic to is not one of their medicines (unless it is being stopped)
  const kept = mentions.filter((m) => !allergic.has(m.hit.entry.generic) || m.action === 'stop' || m.action === 'hold');
  // dose, frequency and instructions said in the next sentence or in the reply to "what dose?"
  for (const m of kept) {
    if (m.assertion !== 'present' || (m.dose && m.frequency && m.instructions.length)) continue;
    const n = neighbourAttributes(doc, m.sentence, (x) => drugHits(x).length > 0);
    const at = { start: m.start, end: m.end };
    let used = false;
    if (!m.dose && n.dose) { m.dose = { value: n.dose, ...at }; used = true; }
    if (!m.frequency && n.frequency) { m.frequency = { value: n.frequency, ...at }; used = true; }
    if (!m.duration && n.duration) { m.duration = { value: n.duration, ...at }; used = true; }
    if (!m.instructions.length && n.instructions.length) { m.instructions = n.instructions.map((value) => ({ value, ...at })); used = true; }
    if (used) m.extraEvidence = n.evidence;
  }
  return { mentions: kept, allergies };
}

/**
 * Indices of the hits that are examples in a list of two or more drugs named by the
 * clinician after an example marker ("such as ibuprofen and naproxen").
 */
function exampleHits(s: DocSentence, hits: { start: number; end: number; value: DrugHit }[]): Set<number> {
  const out = new Set<number>();
  if (!isClinician(s) || hits.length < 2) return out;
  let i = 0;
  while (i < hits.length) {
    let j = i;
    while (j + 1 < hits.length && LIST_GLUE.test(s.text.slice(hits[j]!.end, hits[j + 1]!.start))) j++;
    const generics = new Set(hits.slice(i, j + 1).map((h) => h.value.entry.generic));
    if (generics.size >= 2) {
      const m = EXAMPLE_MARKER.exec(s.text.slice(Math.max(0, hits[i]!.start - 80), hits[i]!.start));
      const likeWord = m?.[1];
      const isExample = m && (likeWord === undefined || (/^(?:something|anything|stuff|[a-z-]+s)$/.test(likeWord) && !LIKE_NOT_EXAMPLE.has(likeWord)));
      // a dose or a stop makes it a decision about those drugs, not a menu
      const decided = /\b(?:stop|stopping|avoid|hold|discontinue)\b/.test(s.text.slice(0, hits[i]!.start))
        || hits.slice(i, j + 1).some((h) => /^\s*-?\s*\d/.test(s.text.slice(h.end)));
      if (isExample && !decided) for (let k = i; k <= j; k++) out.add(k);
    }
    i = j + 1;
  }
  return out;
}

/** One item per drug (by generic name), in order of first mention. */
export function aggregateMedications(doc: Doc, mentions: MedicationMention[]): MedicationItem[] {
  const groups = new Map<string, MedicationMention[]>();
  for (const m of mentions) {
    const g = groups.get(m.hit.entry.generic) ?? [];
    g.push(m);
    groups.set(m.hit.entry.generic, g);
  }
  const items: MedicationItem[] = [];
  for (const [generic, all] of groups) {
    // mentions saying it is taken or prescribed decide; without one, the item says why it is not on the list
    const listed = all.filter((m) => m.assertion === 'present');
    const ms = listed.length ? listed : all;
    // the deciding mention: the latest explicit one by the clinician, else the latest explicit, else the first
    const explicit = ms.filter((m) => m.explicit);
    const decider = [...explicit].reverse().find((m) => isClinician(m.sentence)) ?? explicit[explicit.length - 1] ?? ms[0]!;
    // after an increase / decrease, a dose said before it is the old one
    const changed = decider.action === 'increase' || decider.action === 'decrease';
    const since = changed ? ms.indexOf(decider) : 0;
    // the dose the clinician settles on: the latest one stated in the plan supersedes earlier ones
    const settled = [...ms.slice(since)].reverse().find((m) => m.dose && (m.plan || m === decider)) ?? null;
    // attributes: from that mention, the decider, else the nearest other mention that has them (later first)
    const order = [...new Set([...(settled ? [settled] : []), decider, ...[...ms].reverse()])];
    const pick = <K extends 'dose' | 'frequency' | 'duration'>(k: K) => order.find((m) => m[k])?.[k] ?? null;
    const dose = order.find((m) => m.dose && ms.indexOf(m) >= since)?.dose ?? null;
    // a plan dose that differs from the one the patient is on is an increase / decrease
    let action = decider.action;
    if (settled?.plan && settled.dose && (action === 'start' || action === 'continue')) {
      const old = settled.previousDose?.value ?? [...ms.slice(0, ms.indexOf(settled))].reverse().find((m) => m.dose && !m.plan)?.dose?.value;
      const now = settled.dose.value;
      if (old && old.kind === 'strength' && now.kind === 'strength' && old.unit === now.unit && old.max === null && now.max === null && old.value !== now.value) {
        action = now.value > old.value ? 'increase' : 'decrease';
      }
    }
    const frequency = pick('frequency');
    const duration = pick('duration');
    const instr = order.find((m) => m.instructions.length)?.instructions ?? [];
    const routeFromText = order.find((m) => m.route && m.route !== m.hit.entry.route)?.route;
    const route = routeFromText ?? decider.route ?? decider.hit.entry.route ?? null;
    const brandHit = ms.find((m) => m.hit.kind === 'brand' || (m.hit.kind === 'ambiguous'));
    const first = ms[0]!;
    const display = first.hit.kind === 'generic' || first.hit.kind === 'alias'
      ? sentenceCase(doc.lines[first.sentence.line]!.nt.orig.slice(...origRange(doc, first)).trim() || first.hit.term)
      : sentenceCase(first.hit.term);
    const evidence: Evidence[] = [];
    for (const m of ms) {
      for (const e of [ev(doc, m.sentence.line, m.spanStart, m.spanEnd), ...m.extraEvidence]) {
        if (!evidence.some((x) => x.line === e.line && x.start === e.start && x.end === e.end)) evidence.push(e);
      }
    }
    items.push({
      name: display,
      generic_name: generic,
      brand_name: brandHit ? sentenceCase(brandHit.hit.term) : null,
      drug_class: first.hit.entry.drugClass,
      dosage: dose ? formatDose(dose.value) : null,
      dose_value: dose ? dose.value.value : null,
      dose_unit: dose ? dose.value.unit : null,
      route,
      frequency: frequency ? frequency.value.code : null,
      frequency_per_day: frequency ? frequency.value.perDay : null,
      duration: duration ? formatDuration(duration.value) : null,
      duration_days: duration ? duration.value.days : null,
      instructions: instr.length ? [...new Set(instr.map((x) => x.value))].join('; ') : null,
      action,
      ...(listed.length ? { assertion: action === 'start' ? 'planned' as const : 'present' as const, assertion_cue: null } : offListAssertion(all)),
      evidence,
    });
  }
  return items;
}

/** Rank of the reasons a drug is off the list: a plain statement (denied, past, someone else's) beats a hypothetical. */
const OFF_LIST_RANK: Partial<Record<Assertion, number>> = { absent: 3, historical: 3, family: 2, allergy: 2, possible: 1 };
function offListAssertion(ms: MedicationMention[]): { assertion: Assertion; assertion_cue: string | null } {
  let best = ms[0]!;
  for (const m of ms) if ((OFF_LIST_RANK[m.assertion] ?? 0) >= (OFF_LIST_RANK[best.assertion] ?? 0)) best = m;
  return { assertion: best.assertion, assertion_cue: best.assertion_cue };
}

/** On the medication list: taken now or prescribed (not denied, past, someone else's or hypothetical). */
export function onMedicationList(m: { assertion: Assertion }): boolean {
  return m.assertion === 'present' || m.assertion === 'planned';
}

/**
 * Drugs whose spoken name only matched the lexicon approximately (a recogniser's misspelling):
 * the clinician should check the name before signing.
 */
export function medicationReview(doc: Doc, mentions: MedicationMention[]): ReviewItem[] {
  const out = new Map<string, ReviewItem>();
  for (const m of mentions) {
    if (!m.heard) continue;
    const key = `medications.${m.hit.entry.generic}`;
    const e = ev(doc, m.sentence.line, m.start, m.end);
    const item = out.get(key);
    if (item) { if (!item.evidence.some((x) => x.line === e.line && x.start === e.start)) item.evidence.push(e); continue; }
    out.set(key, { field: key, reason: `drug name matched approximately: heard '${e.text || m.heard}', read as ${m.hit.entry.generic}`, evidence: [e] });
  }
  return [...out.values()];
}

function origRange(doc: Doc, m: MedicationMention): [number, number] {
  const e = ev(doc, m.sentence.line, m.start, m.end);
  return [e.start, e.end];
}
