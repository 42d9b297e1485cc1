/**
 * Diagnoses / impressions, allergies, investigations, advice, follow-up and referrals.
 */
import type { Evidence } from '../../core/ports/extractor.js';
import { assertionOf, questionQualifier } from './assertion.js';
import { answerFor, questionStart } from './dialogue.js';
import { answerTo, ev, isClinician, type Doc, type DocSentence } from './doc.js';
import { findDurations, formatDuration } from './dosing.js';
import { ALLERGENS } from './lexicon/allergens.js';
import { CONDITIONS, INVESTIGATIONS, SPECIALTIES } from './lexicon/clinical.js';
import { PhraseMatcher } from './lexicon/matcher.js';
import { drugMatcher, type AllergyDrugHit } from './medications.js';
import { negationStatus } from './negation.js';
import { tokenize } from './text.js';
import type { AdviceItem, Assertion, AllergyItem, DiagnosisItem, DiagnosisStatus, FollowUpItem, InvestigationItem, ReferralItem, ReviewItem } from './types.js';

const lazy = <T>(make: () => T): (() => T) => {
  let v: T | undefined;
  return () => (v ??= make());
};
const conditionMatcher = lazy(() => new PhraseMatcher(CONDITIONS.flatMap((t) => t.forms.map((f) => [f, t.name] as const))));
const investigationMatcher = lazy(() => new PhraseMatcher(INVESTIGATIONS.flatMap((t) => t.forms.map((f) => [f, t.name] as const))));
const specialtyMatcher = lazy(() => new PhraseMatcher(SPECIALTIES.flatMap((t) => t.forms.map((f) => [f, t.name] as const))));

const addEvidence = (list: Evidence[], e: Evidence) => {
  if (!list.some((x) => x.line === e.line && x.start === e.start && x.end === e.end)) list.push(e);
};

// ── Diagnoses ───────────────────────────────────────────────────────────────
const PROVISIONAL = /\b(?:rule out|r\/o|to exclude|exclude|query|possible|possibly|probable|probably|likely|suspect|suspected|suspicion of|could be|might be|may be|maybe|concern for|concerned (?:about|for)|worried about|differential|versus|vs|question of|cannot rule out|can't rule out|consider|considering|think about)\b|\?\s*$/;
const HISTORY = /\b(?:history of|h\/o|hx of|known case of|k\/c\/o|known|diagnosed with|diagnosed|past medical history|pmh|with a history|chronic|long-standing|longstanding|years ago|since childhood|for my|for his|for her|for your|your|my|his|her|had|have had|has had|on treatment for|being treated for|managed|well controlled|controlled|under control)\b/;
const ASSESS = /\b(?:i think|i believe|impression|diagnosis|assessment|looks like|look like|consistent with|suggestive of|suggests|it's|it is|this is|that is|that's|you have|you've got|you got|he has|she has|seems|seem to have|suffering from|due to|secondary to|caused by|because of|presents with|presenting with|problem is|confirms?|confirmed|shows?|showed|has)\b/;
const SUGAR_DM = /\b(?:for|with|of) (?:my|his|her|your) sugars?\b|\bsugar patient\b|\bsugar problem\b|\bsugar disease\b|\bhigh sugars?\b/g;

const KIND = new Map(CONDITIONS.map((c) => [c.name, c.kind] as const));
const conditionNames = (s: DocSentence) => conditionMatcher().match(s.text).map((m) => m.value);

export function findDiagnoses(doc: Doc): DiagnosisItem[] {
  interface Hit { name: string; status: DiagnosisStatus; assertion: Assertion; cue: string | null; e: Evidence; idx: number; clinician: boolean }
  const hits: Hit[] = [];
  for (const s of doc.sentences) {
    const found: { name: string; start: number; end: number }[] = conditionMatcher().match(s.text).map((m) => ({ name: m.value, start: m.start, end: m.end }));
    SUGAR_DM.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = SUGAR_DM.exec(s.text)) !== null) found.push({ name: 'Diabetes mellitus', start: m.index, end: m.index + m[0].length });
    if (!found.length) continue;
    const tests = investigationMatcher().match(s.text);
    const qAt = questionStart(doc, s);
    const qNames = qAt >= 0 ? found.filter((f) => f.start >= qAt).map((f) => f.name) : [];
    for (const f of found) {
      // "dengue NS1 antigen", "HIV test" name a test, not a diagnosis
      const test = tests.find((t) => f.start < t.end && t.start < f.end && t.end - t.start > f.end - f.start);
      if (test) {
        // "your covid test came back negative" does settle it
        const r = /^\s*(?:[a-z]+\s+){0,3}?(?:came back|was|is|were|are|turned out)?\s*(negative|positive)\b/.exec(s.text.slice(test.end));
        if (r && isClinician(s)) {
          const neg = r[1] === 'negative';
          hits.push({ name: f.name, status: neg ? 'ruled_out' : 'confirmed', assertion: neg ? 'absent' : 'present', cue: `test ${r[1]}`, e: ev(doc, s.line, s.start + f.start, s.start + f.end), idx: s.idx, clinician: true });
        }
        continue;
      }
      const before = s.text.slice(Math.max(0, f.start - 60), f.start);
      const chronic = KIND.get(f.name) !== 'acute';
      let status: DiagnosisStatus;
      let assertion: Assertion;
      let cue: string | null;
      if (qAt >= 0 && f.start >= qAt) {
        // asked: "have you ever had asthma?" — the reply decides; "rule out" in a question is still a plan
        if (/\b(?:rule out|r\/o)\b/.test(before)) {
          hits.push({ name: f.name, status: 'provisional', assertion: 'possible', cue: 'rule out', e: ev(doc, s.line, s.start + f.start, s.start + f.end), idx: s.idx, clinician: true });
          continue;
        }
        const qual = questionQualifier(s.text, qAt, f.start, f.end);
        if (qual === 'hypothetical') continue;
        const a = answerFor(doc, s, f.name, qNames, conditionNames);
        if (a.how !== 'yes' && a.how !== 'no') continue;
        if (qual === 'family' && a.how === 'no') continue;
        cue = `answered "${a.cue ?? a.how}"`;
        if (qual === 'family') [status, assertion] = ['history', 'family'];
        else if (a.how === 'no') [status, assertion] = ['ruled_out', 'absent'];
        else [status, assertion] = ['history', chronic && !/\b(?:ever|before|past|previously)\b/.test(s.text) ? 'present' : 'historical'];
      } else {
        const a = assertionOf(s.text, f.start, f.end, s.speaker, 'diagnosis');
        // "if you get pneumonia", "side effects": not a diagnosis to list (kept out as before)
        if (a.conditional) continue;
        cue = a.cue;
        assertion = a.assertion;
        if (a.assertion === 'family') status = 'history';
        else if (a.assertion === 'absent') status = 'ruled_out';
        else if (a.assertion === 'possible' || (!isClinician(s) && s.text.trim().endsWith('?'))) [status, assertion] = ['provisional', 'possible'];
        else if (a.assertion === 'historical') status = 'history';
        else if (!isClinician(s)) {
          // the patient's own conditions: known (chronic, still present) or a past acute illness
          status = 'history';
          if (!chronic && /\b(?:had|got|caught|was diagnosed|recovered)\b/.test(before)) [assertion, cue] = ['historical', 'had'];
        } else if (PROVISIONAL.test(before.slice(-40)) || /^\s*\?/.test(s.text.slice(f.end))) {
          [status, assertion] = ['provisional', 'possible'];
        } else if (ASSESS.test(before.slice(-40)) && !/\b(?:history of|h\/o|known case of|k\/c\/o|past medical history)\b/.test(before)) {
          status = 'confirmed';
        } else if (HISTORY.test(before.slice(-40))) {
          status = 'history';
          if (!chronic) assertion = 'historical';
        } else {
          status = doc.mode === 'dictation' ? 'confirmed' : 'history';
        }
      }
      hits.push({ name: f.name, status, assertion, cue, e: ev(doc, s.line, s.start + f.start, s.start + f.end), idx: s.idx, clinician: isClinician(s) && !(qAt >= 0 && f.start >= qAt) });
    }
  }
  // merge: the most assertive status wins (confirmed > provisional > history > ruled_out); someone else's stays apart
  const rank: Record<DiagnosisStatus, number> = { confirmed: 4, provisional: 3, history: 2, ruled_out: 1 };
  const byName = new Map<string, DiagnosisItem & { idx: number; byClinician: boolean }>();
  const keyOf = (name: string, a: Assertion) => (a === 'family' ? `${name}\u0000family` : name);
  for (const h of hits) {
    const key = keyOf(h.name, h.assertion);
    const cur = byName.get(key);
    if (!cur) byName.set(key, { name: h.name, status: h.status, evidence: [h.e], idx: h.idx, assertion: h.assertion, assertion_cue: h.cue, byClinician: h.clinician });
    else {
      // the clinician's later ruling ("I don't think it's covid") settles the patient's guess
      const overrules = h.clinician && !cur.byClinician && cur.status === 'provisional';
      if (overrules || rank[h.status] > rank[cur.status] || (h.status === cur.status && h.assertion === 'present' && cur.assertion === 'historical')) {
        cur.byClinician = h.clinician;
        cur.status = h.status;
        cur.assertion = h.assertion;
        cur.assertion_cue = h.cue;
      }
      addEvidence(cur.evidence, h.e);
    }
  }
  // "Diabetes mellitus" joins a more specific type when one is named
  for (const fam of ['', '\u0000family']) {
    const specificDm = [...byName.keys()].find((n) => /^Type [12] diabetes/.test(n) && n.endsWith(fam) && (fam || !n.includes('\u0000')));
    const generic = byName.get('Diabetes mellitus' + fam);
    if (specificDm && generic) {
      const sp = byName.get(specificDm)!;
      for (const e of generic.evidence) addEvidence(sp.evidence, e);
      if (rank[generic.status] > rank[sp.status]) Object.assign(sp, { status: generic.status, assertion: generic.assertion, assertion_cue: generic.assertion_cue });
      byName.delete('Diabetes mellitus' + fam);
    }
  }
  return [...byName.values()].sort((a, b) => a.idx - b.idx).map(({ idx: _i, byClinician: _b, ...d }) => d);
}

// ── Allergies ───────────────────────────────────────────────────────────────
const NO_ALLERGY = /\b(?:no known (?:drug |medication |food )?allergies|nkda|nka|no (?:drug |medication |food |known )?allergies|not allergic to (?:anything|any)|no allergies to (?:any )?(?:medications?|medicines?|drugs?)|don't have any allergies|do n't have any allergies|do not have any allergies|not allergic)\b/;
const ALLERGY_TO = /\b(?:allergic|allergy|allergies|reaction|intolerant|intolerance|sensitive)\s+(?:to|with)\s+([a-z][a-z0-9 ,/-]{1,60}?)(?=\s*(?:[.;?!]|$|\bbut\b|\bwhich\b|\bit\b|\bthat\b|\bcauses?\b|\bgives?\b|\bmakes?\b|\bi\b|\bbreak|\bget\b|\bgot\b|\bso\b|\bokay\b))/g;
const X_ALLERGY = /\b([a-z]+(?:\s+[a-z]+)?)\s+allerg(?:y|ies)\b/g;
const REACTION = /\b(?:rash|hives|swelling|anaphylaxis|itching|itchy|breathing difficulty|trouble breathing|shortness of breath|throat closing|vomiting|diarrhea|diarrhoea|stomach upset|nausea|angioedema|blisters)\b/;

/**
 * Allergies: drugs named as allergens (found by medications.ts), and what "allergic to …",
 * "allergy to …" or "… allergy" names when it is an allergen of the lexicon (a drug class, a
 * food, a material, a sting, pollen…). Other words there are not allergens ("just allergies to
 * medications", "a quite severe allergy to it, is that right?"); an unknown word that is
 * plainly what the patient is allergic to ("allergic to regulin") goes to the review list.
 */
export function findAllergies(doc: Doc, drugHits: AllergyDrugHit[]): { items: AllergyItem[]; noneKnown: Evidence | null; review: ReviewItem[] } {
  const items: AllergyItem[] = [];
  const review: ReviewItem[] = [];
  let noneKnown: Evidence | null = null;
  const add = (substance: string, reaction: string | null, e: Evidence) => {
    const key = substance.toLowerCase();
    const cur = items.find((i) => i.substance.toLowerCase() === key);
    if (cur) {
      addEvidence(cur.evidence, e);
      cur.reaction ??= reaction;
    } else items.push({ substance, reaction, evidence: [e] });
  };
  for (const h of drugHits) {
    const s = doc.sentences.find((x) => x.line === h.line && x.start <= h.start && h.end <= x.end);
    if (s && (s.question || negationStatus(s.text, h.start - s.start, h.end - s.start).negated)) {
      if (s.question && answerTo(doc, s).polarity !== 'yes') continue;
      if (!s.question) continue;
    }
    const r = s ? REACTION.exec(s.text) : null;
    add(h.generic, r ? r[0] : null, ev(doc, h.line, h.start, h.end));
  }
  for (const s of doc.sentences) {
    if (NO_ALLERGY.test(s.text)) {
      const m = NO_ALLERGY.exec(s.text)!;
      noneKnown ??= ev(doc, s.line, s.start + m.index, s.start + m.index + m[0].length);
      continue;
    }
    if (s.question && answerTo(doc, s).polarity !== 'yes') continue;
    for (const re of [ALLERGY_TO, X_ALLERGY]) {
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(s.text)) !== null) {
        if (negationStatus(s.text, m.index, m.index + m[0].length).negated) continue;
        const groupAt = m.index + m[0].indexOf(m[1]!);
        const reactionAfter = REACTION.exec(s.text.slice(m.index + m[0].length));
        const allergens = allergenMatcher().match(s.text, groupAt, groupAt + m[1]!.length);
        for (const x of allergens) {
          // a drug of the lexicon is medications.ts's ("allergic to penicillin")
          if (drugMatcher().match(x.surface).some((d) => d.value.kind !== 'ambiguous')) continue;
          add(x.value, reactionAfter ? reactionAfter[0] : null, ev(doc, s.line, s.start + x.start, s.start + x.end));
        }
        if (allergens.length || re !== ALLERGY_TO || !/^allerg/.test(m[0])) continue;
        // "allergic to percocet, vicodin and regulin": an item of the list unknown to both lexicons
        const ITEM = /(^|,|\band\b|\bor\b|\/)\s*([a-z][a-z-]{3,})\b/g;
        let it: RegExpExecArray | null;
        while ((it = ITEM.exec(m[1]!)) !== null) {
          const word = it[2]!;
          if (NOT_AN_ALLERGEN.test(word) || drugMatcher().match(word).length) continue;
          const at = s.start + groupAt + it.index + it[0].length - word.length;
          review.push({
            field: `allergies.${word}`,
            reason: `allergy to '${word}' named, which is not a known drug or allergen; check the name`,
            evidence: [ev(doc, s.line, at, at + word.length)],
          });
        }
      }
    }
  }
  return { items, noneKnown, review };
}

const allergenMatcher = lazy(() => new PhraseMatcher(ALLERGENS.flatMap((t) => t.forms.split(',').map((f) => [f.trim(), t.name] as const))));
/** Words after "allergic to" that are not a substance: pronouns, quantifiers, fillers, generic nouns. */
const NOT_AN_ALLERGEN = /^(?:that|this|them|these|those|then|there|they|what|which|anything|everything|something|nothing|some|many|much|more|most|other|others|certain|several|medicines?|medications?|meds|drugs?|tablets?|pills?|shots?|things?|stuff|foods?|testing|tests?|season|seasons|symptoms?|flare|just|like|really|actually|maybe|probably|about|only|also|even|from|with|when|well|yeah|okay|sure|kind|sort|have|having|been|being|were|does|doing|know|think|said|some|your|yours|their|mine|ones?|because|since|before|after|again|still|very|quite|pretty|severe|mild|little|bit)$/;

// ── Investigations ──────────────────────────────────────────────────────────
const ORDER_CUES = /\b(?:get|getting|order|ordering|ordered|do|doing|done|check|checking|send|sending|schedule|scheduling|scheduled|arrange|arranging|obtain|obtaining|repeat|recheck|advise|advised|need|needs|want|recommend|recommending|go for|book|perform|run|draw|we'll|we will|i'll|i will|let's|let us|plan|request|requesting|refer|set up|gon na|going to|please|would like|investigations?|to rule out|rule out|prescribe)\b/;
const FUTURE_CUES = /\b(?:get|order|ordering|schedule|arrange|obtain|repeat|recheck|advise|need|needs|want|recommend|go for|book|we'll|we will|i'll|i will|let's|let us|plan|please|gon na|going to|would like|request)\b/;
const RESULT_CUES = /\b(?:showed|shows|show|showing|revealed|reveals|reveal|demonstrated|demonstrates|came back|results?|was normal|were normal|is normal|normal|abnormal|elevated|high|low|raised|positive|negative|unremarkable|within normal limits|reviewed|reviewing|looked at|look at|looking at|findings|was done|were done|had an?|did an?|i see|we see|see here|report|reading|values?|level was)\b/;

export function findInvestigations(doc: Doc): InvestigationItem[] {
  const byName = new Map<string, InvestigationItem & { idx: number }>();
  const rank = { ordered: 3, result: 2, mentioned: 1 } as const;
  for (const s of doc.sentences) {
    for (const m of investigationMatcher().match(s.text)) {
      const neg = negationStatus(s.text, m.start, m.end);
      let status: InvestigationItem['status'];
      const window = s.text.slice(Math.max(0, m.start - 80), Math.min(s.text.length, m.end + 50));
      const pre = s.text.slice(Math.max(0, m.start - 60), m.start);
      const orders = ORDER_CUES.test(window);
      const future = FUTURE_CUES.test(pre) || /^\s*(?:done|today|tomorrow|as well|please|and|,)/.test(s.text.slice(m.end, m.end + 12)) && ORDER_CUES.test(pre);
      const results = RESULT_CUES.test(window);
      if (s.speaker === 'patient') status = results || /\b(?:had|did|done|got)\b/.test(pre) ? 'result' : 'mentioned';
      else if (s.question && !orders) status = 'mentioned';
      else if (neg.negated && !/\b(?:no|not)\s+(?:need|needed)\b/.test(pre)) status = results ? 'result' : 'mentioned';
      else if (future || (orders && !results)) status = 'ordered';
      else if (results) status = 'result';
      else status = doc.mode === 'dictation' ? 'ordered' : 'mentioned';
      if (/\b(?:no need|don't need|do n't need|not need|won't need|unnecessary|hold off on|not going to)\b/.test(pre)) status = 'mentioned';
      const e = ev(doc, s.line, s.start + m.start, s.start + m.end);
      const cur = byName.get(m.value);
      if (!cur) byName.set(m.value, { name: m.value, status, evidence: [e], idx: s.idx });
      else {
        if (rank[status] > rank[cur.status]) cur.status = status;
        addEvidence(cur.evidence, e);
      }
    }
  }
  // "Chest X-ray" makes a bare "X-ray" redundant
  if (byName.has('Chest X-ray') && byName.has('X-ray')) {
    const x = byName.get('X-ray')!;
    if (x.status !== 'ordered' || byName.get('Chest X-ray')!.status === 'ordered') byName.delete('X-ray');
  }
  return [...byName.values()].sort((a, b) => a.idx - b.idx).map(({ idx: _i, ...d }) => d);
}

// ── Advice ──────────────────────────────────────────────────────────────────
const ADVICE_RES: RegExp[] = [
  /\b(?:reduce|cut down on|cut back on|cut down|limit|limiting|avoid|avoiding|low|less|decrease|restrict|no added|watch)\s+(?:your\s+|the\s+|on\s+)?(?:salt|sodium|sugar|sugary|sweets|oil|oily|fried|fatty|fat|carbs|carbohydrates|alcohol|caffeine|coffee|tea|spicy|junk|processed|red meat)\b/,
  /\b(?:walk|walking|exercise|exercising|physical activity|yoga|stretching|stretches|work out|workout|cardio|swimming)\b/,
  /\b(?:drink|drinking|plenty of|more|increase|push|oral|adequate|lots of)\s+(?:oral\s+)?(?:water|fluids|liquids)\b|\bstay hydrated\b|\bhydrat(?:e|ed|ion)\b|\bfluids?\b/,
  /\b(?:bed rest|rest|resting|elevate|elevation|ice|icing|heat pack|hot pack|warm compress|cold compress|steam inhalation|steam|salt water gargles?|gargles?|gargling|brace|splint|crutches|sling|compression stockings?|compression)\b/,
  /\b(?:quit|stop|avoid|cut down|reduce|cutting down|cessation)\s+(?:on\s+)?(?:smoking|tobacco|drinking|alcohol|cigarettes|vaping)\b|\bsmoking cessation\b/,
  /\b(?:diet|dietary|healthy eating|eat healthy|eating healthy|weight loss|lose weight|losing weight|weight reduction|soft diet|bland diet|brat diet|small frequent meals|nutrition)\b/,
  /\b(?:monitor|monitoring|check|checking|record|recording|keep track of|track|tracking|log|measure)\s+(?:your\s+|his\s+|her\s+|the\s+)?(?:blood pressures?|bp|sugars?|blood sugars?|blood glucose|glucose|weight|temperature|temp|symptoms|daily weight|readings)\b/,
  /\b(?:keep|maintain)\s+(?:a\s+)?(?:headache|symptom|food|trigger|bp|sugar|pain)?\s*diary\b|\bdiary\b/,
  /\b(?:come back|return|seek (?:medical )?(?:attention|care|help)|go to (?:the )?(?:er|emergency|a&e|hospital)|call (?:me|us|the office|911)|contact (?:me|us|the office)|let (?:me|us) know|report)\b[^.?!]{0,60}\bif\b|\bif\b[^.?!]{0,60}\b(?:come back|return|seek (?:medical )?(?:attention|care|help)|go to (?:the )?(?:er|emergency|a&e|hospital)|call (?:me|us|the office|911)|contact (?:me|us|the office)|let (?:me|us) know)\b|\bred flags?\b|\bwarning signs?\b/,
  /\b(?:physical therapy|physiotherapy|occupational therapy|pt exercises|home exercises)\b/,
  /\b(?:avoid|stop|no|refrain from|limit)\s+(?:heavy\s+)?(?:lifting|strenuous|running|sports|driving|contact sports|bending|activities|activity|straining|screens?)\b/,
  /\b(?:sleep hygiene|good sleep|adequate sleep|sleep well|get enough sleep|regular sleep)\b/,
  /\b(?:wear|use)\s+(?:gloves|a mask|sunscreen|glasses|supportive shoes|proper shoes|a brace|a splint|a sling)\b/,
  /\bavoid\s+(?:the\s+)?(?:trigger|triggers|allergens?|dust|pollen|sun|cold|scratching|irritants?|soaps?|perfumes?)\b/,
];
const CLAUSE_BREAK = /\b(?:okay|alright|all right|so|um|uh|anyway|also|and then|then|and(?= (?:i|we)\b)|but)\b|[,;:.?!]/g;

function clauseAround(text: string, start: number, end: number): [number, number] {
  let a = 0;
  let b = text.length;
  CLAUSE_BREAK.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CLAUSE_BREAK.exec(text)) !== null) {
    const ms = m.index;
    const me = m.index + m[0].length;
    if (me <= start && /[.;?!]/.test(m[0])) a = me;
    else if (me <= start && start - me > 0 && m[0] !== ',' && start - me < 140) a = Math.max(a, me);
    if (ms >= end && /[.;?!]/.test(m[0])) {
      b = Math.min(b, ms + 1);
      break;
    }
    if (ms >= end && m[0] !== ',' && ms - end > 15) {
      b = Math.min(b, ms);
      break;
    }
  }
  // at most ~30 words
  const toks = tokenize(text.slice(a, b));
  if (toks.length > 32) {
    const relS = start - a;
    const firstIdx = Math.max(0, toks.findIndex((t) => t.end > relS) - 10);
    const lastIdx = Math.min(toks.length - 1, firstIdx + 30);
    return [a + toks[firstIdx]!.start, a + toks[lastIdx]!.end];
  }
  while (a < b && /[\s,]/.test(text[a]!)) a++;
  while (b > a && /\s/.test(text[b - 1]!)) b--;
  return [a, b];
}

export function findAdvice(doc: Doc, exclude: { line: number; start: number; end: number }[]): AdviceItem[] {
  const out: (AdviceItem & { line: number; s: number; e: number })[] = [];
  for (const s of doc.sentences) {
    if (!isClinician(s) || s.question) continue;
    for (const re of ADVICE_RES) {
      const m = re.exec(s.text);
      if (!m) continue;
      // "fluids" as advice only when the clinician says so, not "retaining fluid"
      if (/^fluids?$/.test(m[0]) && !/\b(?:drink|plenty|more|push|oral|take|have|lots|adequate|increase|encourage|hydrat)/.test(s.text)) continue;
      if (/^(?:ice|steam|compression|rest|diet)$/.test(m[0]) && negationStatus(s.text, m.index, m.index + m[0].length).negated) continue;
      const [a, b] = clauseAround(s.text, m.index, m.index + m[0].length);
      const line = s.line;
      const start = s.start + a;
      const end = s.start + b;
      if (end - start < 3) continue;
      if (out.some((o) => o.line === line && start < o.e && o.s < end)) continue;
      if (exclude.some((x) => x.line === line && x.start >= start && x.end <= end && end - start < (x.end - x.start) + 25)) continue;
      const e = ev(doc, line, start, end);
      out.push({ text: tidy(e.text), evidence: [e], line, s: start, e: end });
    }
  }
  return out.map(({ line: _l, s: _s, e: _e, ...a }) => a);
}

function tidy(s: string): string {
  const t = s.trim().replace(/\s+/g, ' ').replace(/\s+([,.;?!])/g, '$1').replace(/^(?:and|so|also|then|okay|alright)\s+/i, '');
  return t ? t[0]!.toUpperCase() + t.slice(1) : t;
}

// ── Follow-up ───────────────────────────────────────────────────────────────
const FU_KEY = /\b(?:follow(?:\s|-)?up|followup|f\/u|review|come back|see you|see me|see him|see her|return(?: to (?:the )?(?:clinic|office))?|revisit|check back|check in|come and see me|come see me|come in|next (?:visit|appointment)|appointment|back in|rtc|recheck you|touch base)\b/g;
const FU_WHEN = /^(?:[^.?!]{0,50}?)\b(?:in|after|within|next|for|about)\s+(?:about\s+|another\s+|approximately\s+|around\s+|roughly\s+)?(\d+(?:\.\d+)?|a|an|one|a couple of|couple of|a couple|a few|few)(?:\s*(?:-|to|or)\s*(\d+))?\s*(days?|weeks?|months?|years?|wks?|d|w)\b/;
const FU_WHEN_BEFORE = /(\d+(?:\.\d+)?|a|an|one)(?:\s*(?:-|to|or)\s*(\d+))?[\s-]*(days?|weeks?|months?|years?)[\s-]*(?:follow(?:\s|-)?up|followup|review|recheck|visit|appointment)\b/g;
const FU_UK = /^(?:[^.?!]{0,40}?)\b(?:in|after|within)?\s*(\d+)(?:\s*-\s*(\d+))?\s*\/\s*(7|52|12)\b/;
const FU_RELATIVE = /^(?:[^.?!]{0,40}?)\b(next week|next month|tomorrow|day after tomorrow|a week from now|next year)\b/;
const FU_PRN = /^(?:[^.?!]{0,30}?)\b(as needed|as required|prn|if needed|if necessary|if (?:symptoms|things|it|they|that) (?:persist|worsen|get worse|don't improve|do not improve|do n't improve))\b/;

export function findFollowUp(doc: Doc): FollowUpItem | null {
  const found: (FollowUpItem & { idx: number; hasInterval: boolean })[] = [];
  for (const s of doc.sentences) {
    if (!isClinician(s)) continue;
    if (s.question && !/\b(?:follow(?:\s|-)?up|come back|see you)\b/.test(s.text)) continue;
    let got: { interval: string | null; days: number | null; start: number; end: number } | null = null;
    FU_WHEN_BEFORE.lastIndex = 0;
    const b = FU_WHEN_BEFORE.exec(s.text);
    if (b) {
      const d = findDurations(`for ${b[1]}${b[2] ? ' to ' + b[2] : ''} ${b[3]}`)[0];
      if (d) got = { interval: formatDuration(d.value), days: d.value.days, start: b.index, end: b.index + b[0].length };
    }
    FU_KEY.lastIndex = 0;
    let k: RegExpExecArray | null;
    while (!got && (k = FU_KEY.exec(s.text)) !== null) {
      const keyword = k[0];
      const after = s.text.slice(k.index + keyword.length);
      // "review" / "appointment" / "come in" need a time to count; "review the results" is not a visit
      const w = FU_WHEN.exec(after);
      if (w) {
        const d = findDurations(`for ${w[1]}${w[2] ? ' to ' + w[2] : ''} ${w[3]!.replace(/^w$/, 'weeks').replace(/^d$/, 'days')}`)[0];
        if (d) {
          got = { interval: formatDuration(d.value), days: d.value.days, start: k.index, end: k.index + keyword.length + w[0].length };
          break;
        }
      }
      const uk = FU_UK.exec(after);
      if (uk) {
        const d = findDurations(`${uk[1]}${uk[2] ? '-' + uk[2] : ''}/${uk[3]}`)[0];
        if (d) {
          got = { interval: formatDuration(d.value), days: d.value.days, start: k.index, end: k.index + keyword.length + uk[0].length };
          break;
        }
      }
      const rel = FU_RELATIVE.exec(after);
      if (rel) {
        const r = rel[1]!;
        const days = r === 'tomorrow' ? 1 : r === 'day after tomorrow' ? 2 : /week/.test(r) ? 7 : /month/.test(r) ? 30 : 365;
        got = { interval: r, days, start: k.index, end: k.index + keyword.length + rel[0].length };
        break;
      }
      if (/^(?:follow|followup|f\/u|come back|see you|see me|return|check back)/.test(keyword)) {
        const prn = FU_PRN.exec(after);
        if (prn) {
          got = { interval: 'as needed', days: null, start: k.index, end: k.index + keyword.length + prn[0].length };
          break;
        }
        if (/^follow/.test(keyword) && !/\b(?:with (?:the |your |a |an )?(?:[a-z]+ologist|specialist|surgeon|therapist|[a-z]+ician)|on (?:the|those|these|your) (?:results?|labs?))/.test(after.slice(0, 40))) {
          // "follow up with me after physical therapy" — a visit without a fixed interval
          const end = Math.min(s.text.length, k.index + keyword.length + 50);
          found.push({ interval: null, days: null, condition: null, text: '', evidence: [ev(doc, s.line, s.start + k.index, s.start + end)], idx: s.idx, hasInterval: false });
        }
      }
    }
    if (!got) continue;
    const rest = s.text.slice(got.end);
    const cond = /^[^.?!]{0,20}?\b((?:or (?:earlier|sooner|before(?: that)?)|earlier|sooner|if|unless)\b[^.?!]{0,120})/.exec(rest);
    let end = got.end;
    let condition: string | null = null;
    if (cond) {
      condition = cond[1]!.trim().replace(/[\s,]+$/, '');
      end = got.end + cond.index + cond[0].length;
    }
    const e = ev(doc, s.line, s.start + got.start, s.start + end);
    found.push({ interval: got.interval, days: got.days, condition, text: tidy(e.text), evidence: [e], idx: s.idx, hasInterval: true });
  }
  if (!found.length) return null;
  // the last interval the clinician gave is the plan; earlier mentions are evidence
  const withInterval = found.filter((f) => f.hasInterval);
  const best = withInterval[withInterval.length - 1] ?? found[found.length - 1]!;
  if (!best.text) best.text = tidy(best.evidence[0]!.text);
  const { idx: _i, hasInterval: _h, ...item } = best;
  return item;
}

// ── Referrals ───────────────────────────────────────────────────────────────
const REFER = /\b(?:refer(?:ral|red|ring)?|send (?:you|him|her) to|see an?|see the|consult(?:ation)? with|get you in with|set you up with|get you set up with|appointment with|follow up with (?:an?|the|your))\b/;

export function findReferrals(doc: Doc): ReferralItem[] {
  const out: ReferralItem[] = [];
  for (const s of doc.sentences) {
    if (!isClinician(s) || s.question) continue;
    for (const m of specialtyMatcher().match(s.text)) {
      const pre = s.text.slice(Math.max(0, m.start - 60), m.start);
      if (!REFER.test(pre)) continue;
      if (negationStatus(s.text, m.start, m.end).negated) continue;
      const r = REFER.exec(pre)!;
      const startRel = m.start - pre.length + r.index;
      const e = ev(doc, s.line, s.start + startRel, s.start + m.end);
      const cur = out.find((o) => o.specialty === m.value);
      if (cur) addEvidence(cur.evidence, e);
      else out.push({ specialty: m.value, text: tidy(e.text), evidence: [e] });
    }
  }
  return out;
}

/** A sentence with an exam / examination finding said by the clinician. */
export const EXAM_CUES = /\b(?:on exam(?:ination)?|examination|exam|examined|examining|auscultation|palpation|palpate|tender(?:ness)?|non-?tender|lungs? (?:are |is |sound )?clear|clear to auscultation|heart sounds|murmurs?|gallops?|rubs|regular rate|range of motion|reflexes|neuro(?:logically)? intact|alert and oriented|pupils|tonsils|inflamed|swollen|looks? (?:well|unwell|red|swollen|inflamed|good|normal|fine)|i (?:can )?see (?:some|a|an|that)|i (?:can )?feel|i (?:do )?appreciate|i hear|on inspection|effusion|crepitus|erythema|bruising|ecchymosis|vital signs?|vitals|jvd|jugular|edema|oedema|rales|crackles|wheezes|rhonchi|soft|distended|bowel sounds|capillary refill|sensation|strength (?:is )?(?:5|normal|intact)|no (?:lymphadenopathy|adenopathy)|lymph nodes|heart (?:is |sounds )?(?:regular|normal)|abdomen (?:is )?soft)\b/;

export const RESULT_SENTENCE = RESULT_CUES;
