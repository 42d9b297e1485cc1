/**
 * Parsers for the parts of a prescription, on normalised text (lower case, numbers as
 * digits): dose, frequency (incl. Indian shorthand OD/BD/TDS/QID/HS/SOS and 1-0-1),
 * duration, route, instructions and the prescribing action.
 */
import type { Route } from './lexicon/drugs.js';
import { smallNumber } from './numbers.js';

export interface Found<T> {
  value: T;
  start: number;
  end: number;
}

// ── Dose ────────────────────────────────────────────────────────────────────
export interface Dose {
  value: number;
  /** Upper bound of a range ("5 to 10 mg"). */
  max: number | null;
  unit: string;
  /** Strength (mg, ml…) vs a count of dose units (tablets, puffs…). */
  kind: 'strength' | 'quantity';
}

const STRENGTH_UNITS: [RegExp, string][] = [
  [/^(?:mg|mgs|milligrams?|milligrammes?|milli grams?)$/, 'mg'],
  [/^(?:mcg|mcgs|micrograms?|µg|ug)$/, 'mcg'],
  [/^(?:g|gm|gms|grams?|grammes?)$/, 'g'],
  [/^(?:ml|mls|milliliters?|millilitres?|cc)$/, 'ml'],
  [/^(?:units?|iu|i\.u\.|international units?)$/, 'units'],
  [/^(?:%|percent|per cent)$/, '%'],
  [/^(?:meq|milliequivalents?)$/, 'mEq'],
  [/^(?:mg\/kg)$/, 'mg/kg'],
  [/^(?:gy|gray)$/, 'Gy'],
];
const QUANTITY_UNITS: [RegExp, string][] = [
  [/^(?:tablets?|tabs?|pills?)$/, 'tablet'],
  [/^(?:capsules?|caps?)$/, 'capsule'],
  [/^(?:puffs?|inhalations?)$/, 'puff'],
  [/^(?:drops?)$/, 'drop'],
  [/^(?:sprays?)$/, 'spray'],
  [/^(?:sachets?)$/, 'sachet'],
  [/^(?:teaspoons?|tsp|teaspoonfuls?)$/, 'teaspoon'],
  [/^(?:tablespoons?|tbsp)$/, 'tablespoon'],
  [/^(?:patch|patches)$/, 'patch'],
  [/^(?:injections?|shots?|ampoules?|vials?)$/, 'injection'],
  [/^(?:scoops?|capfuls?)$/, 'scoop'],
];

const UNIT_ALT = '(?:mg\\/kg|mgs?|milli ?grams?|milligrammes?|mcgs?|micrograms?|µg|ug|gms?|grams?|grammes?|g|mls?|milli(?:lit(?:er|re))s?|cc|units?|iu|international units?|%|percent|per cent|meq|gy|gray|tablets?|tabs?|pills?|capsules?|caps?|puffs?|inhalations?|drops?|sprays?|sachets?|teaspoons?|teaspoonfuls?|tsp|tablespoons?|tbsp|patch(?:es)?|injections?|shots?|ampoules?|vials?|scoops?|capfuls?)';
const NUM = '(\\d{1,3}(?:,\\d{3})+|\\d+(?:\\.\\d+)?|half (?:of )?an?|half|a half|one half|1\\/2|an?)';
const DOSE_RE = new RegExp(`(?<![a-z0-9./]|\\d,)${NUM}(?:\\s*(?:and a half|& a half|\\.5))?(?:\\s*(?:-|to|or)\\s*(\\d+(?:\\.\\d+)?))?\\s*(?:-\\s*)?(${UNIT_ALT})(?![a-z0-9])`, 'g');

function unitOf(u: string): { unit: string; kind: 'strength' | 'quantity' } | null {
  const s = u.replace(/\s+/g, ' ');
  for (const [re, unit] of STRENGTH_UNITS) if (re.test(s)) return { unit, kind: 'strength' };
  for (const [re, unit] of QUANTITY_UNITS) if (re.test(s)) return { unit, kind: 'quantity' };
  return null;
}

/** Every dose in `s`, in order. */
export function findDoses(s: string): Found<Dose>[] {
  const out: Found<Dose>[] = [];
  DOSE_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = DOSE_RE.exec(s)) !== null) {
    const raw = m[1]!;
    let value = /^(?:half(?: of)?(?: an?)?|a half|one half|1\/2)$/.test(raw) ? 0.5 : /^an?$/.test(raw) ? 1 : Number(raw.replace(/,/g, ''));
    if (/and a half|& a half/.test(m[0])) value += 0.5;
    const u = unitOf(m[3]!.replace(/\s+/g, ' '));
    if (!u || !Number.isFinite(value) || value <= 0) continue;
    // "a tablet" is a quantity; "a mg" is not a dose
    if (/^an?$/.test(raw) && u.kind === 'strength') continue;
    // "100%" compliance etc. is not a dose unless small
    if (u.unit === '%' && value > 20) continue;
    out.push({ value: { value, max: m[2] ? Number(m[2]) : null, unit: u.unit, kind: u.kind }, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

export function formatDose(d: Dose): string {
  const n = (x: number) => (Number.isInteger(x) ? String(x) : String(x));
  const range = d.max !== null ? `${n(d.value)}-${n(d.max)}` : n(d.value);
  if (d.kind === 'quantity') {
    const plural = (d.max ?? d.value) > 1 ? (d.unit === 'patch' ? 'es' : 's') : '';
    return `${range} ${d.unit}${plural}`;
  }
  return `${range} ${d.unit}`;
}

// ── Frequency ───────────────────────────────────────────────────────────────
export interface Frequency {
  /** OD, BD, TDS, QID, HS, SOS, STAT, 1-0-1, q6h, weekly, … */
  code: string;
  perDay: number | null;
}

type FreqRule = [RegExp, (m: RegExpExecArray) => Frequency | null];

const FREQ_RULES: FreqRule[] = [
  // now and then: as needed, before "once" / "a day" can read it as OD
  [/\b(?:every once in a while|once in a while|every now and (?:then|again)|now and (?:then|again)|from time to time|occasionally|off and on|on and off|here and there|(?:only )?when (?:i|you|he|she) (?:need|needs|feel|feels like|remember)(?: it| to| them)?|(?:only )?if (?:i|you|he|she) (?:need|needs|have|has|get|gets) (?:it|to|them|one)|when(?:ever)? (?:it's|it is|it gets|the pain is|i have|i get|you get|you have|i'm in) (?:bad|really bad|pain|a headache|headaches|migraines?|an attack|worse|flare)|(?:only )?(?:when|whenever|if) (?:i|you|he|she|they) (?:have|has|get|gets|feel|feels) (?:a |the |any |really )?(?:fever|temperature|pain|headaches?|migraines?|cold|flare|attack|symptoms|bad|wheezy|short of breath|tight|sore)|(?:only )?(?:when|whenever|if) (?:i'm|i am|it's|it is|he's|she's|they're) (?:wheezy|bad|tight|short of breath|in pain|sore|flaring)|sporadically|not (?:very )?(?:regularly|often))\b/g, () => ({ code: 'SOS', perDay: null })],
  // 1-0-1, 1-1-1, 0-0-1, 1-1-1-1, ½-0-½; also spoken "1 0 1"
  [/(?<![\d./])([0-4](?:\.5)?)\s*[-–]\s*([0-4](?:\.5)?)\s*[-–]\s*([0-4](?:\.5)?)(?:\s*[-–]\s*([0-4](?:\.5)?))?(?![\d./]|\s*(?:mg|ml|days?|weeks?))/g, (m) => doseTimes([m[1], m[2], m[3], m[4]])],
  [/(?<![\d./])([0-2]) ([0-2]) ([0-2])(?: ([0-2]))?(?![\d./]|\s*(?:mg|ml|days?|weeks?))/g, (m) => doseTimes([m[1], m[2], m[3], m[4]])],
  [/\bevery (\d+)(?:\s*(?:-|to|or)\s*(\d+))? ?(?:hours?|hrs?|hourly)\b|\bq ?(\d+) ?h(?:rs?|ours?)?\b|\b(\d+)(?:\s*(?:-|to)\s*(\d+))? hourly\b|\b(\d+)(?:\s*(?:-|to)\s*(\d+))? hrly\b/g, (m) => {
    const a = Number(m[1] ?? m[3] ?? m[4] ?? m[6]);
    const b = m[2] ?? m[5] ?? m[7];
    if (!(a > 0 && a <= 72)) return null;
    return { code: b ? `q${a}-${b}h` : `q${a}h`, perDay: Math.round((24 / a) * 100) / 100 };
  }],
  [/\b(?:a )?couple (?:of )?times (?:a|per) day\b/g, () => byCount(2)],
  [/\b(\d)(?:\s*(?:-|to|or)\s*(\d))? times (?:a|per|each|every|in a) day\b|\b(\d)(?:\s*(?:-|to|or)\s*(\d))? times daily\b|\b(\d) times a day\b/g, (m) => {
    const n = Number(m[1] ?? m[3] ?? m[5]);
    const hi = m[2] ?? m[4];
    if (hi) return { code: `${n}-${hi} times a day`, perDay: Number(hi) };
    return byCount(n);
  }],
  [/\b(?:bd|b\.d\.?|bid|b\.i\.d\.?|twice (?:a|per|every|in a|each) day|twice daily|twice a day|twice|two times daily|every 12 hours|(?:in the )?morning and (?:at )?(?:night|evening|bedtime)|morning and evening)\b/g, () => byCount(2)],
  [/\b(?:tds|t\.d\.s\.?|tid|t\.i\.d\.?|thrice (?:a|per|in a) day|thrice daily|thrice|morning,? (?:afternoon|noon),? and (?:night|evening)|with (?:each|every|all) meals?|with (?:all )?3 meals)\b/g, () => byCount(3)],
  [/\b(?:qid|q\.i\.d\.?|qds|q\.d\.s\.?)\b/g, () => byCount(4)],
  [/\b(?:od|o\.d\.?|qd|q\.d\.?|qam|once (?:a|per|every|in a|each) day|once daily|once a day|(?:1|one) time (?:a|per) day|daily|every day|each day|everyday|a day|per day|every morning|each morning|once in the morning|once)\b(?! (?:a|per|every) (?:week|month))/g, () => byCount(1)],
  [/\b(?:hs|h\.s\.?|qhs|at bedtime|at bed time|bedtime|before bed|before bedtime|before sleep(?:ing)?|before going to (?:bed|sleep)|at night|every night|nightly|each night|at nighttime|at night time)\b/g, () => ({ code: 'HS', perDay: 1 })],
  [/\b(?:sos|s\.o\.s\.?|prn|p\.r\.n\.?|as needed|as required|when needed|if needed|as and when(?: required| needed)?|when required|on demand|as necessary|if required|only when needed|when necessary|whenever needed|if (?:there is |you have |you get )?(?:pain|fever|needed))\b/g, () => ({ code: 'SOS', perDay: null })],
  [/\b(?:(?:once|1 time) (?:a|per|every) week|weekly|every week|once weekly)\b/g, () => ({ code: 'weekly', perDay: 1 / 7 })],
  [/\b(?:(?:twice|2 times) (?:a|per) week|twice weekly)\b/g, () => ({ code: 'twice weekly', perDay: 2 / 7 })],
  [/\b(\d) times (?:a|per) week\b/g, (m) => ({ code: `${m[1]} times a week`, perDay: Number(m[1]) / 7 })],
  [/\b(?:every other day|alternate days?|on alternate days|every alternate day)\b/g, () => ({ code: 'alternate days', perDay: 0.5 })],
  [/\b(?:(?:once )?(?:a|per|every) month|monthly)\b/g, () => ({ code: 'monthly', perDay: 1 / 30 })],
  [/\b(?:stat|once only|single dose|one time dose|one-time dose)\b/g, () => ({ code: 'STAT', perDay: null })],
  [/\b(?:in the morning|every morning|(?<!\b(?:this|yesterday|tomorrow|that|one|sunday|monday|tuesday|wednesday|thursday|friday|saturday|good) )morning)\b/g, () => ({ code: 'OD', perDay: 1 })],
];

function byCount(n: number): Frequency {
  switch (n) {
    case 1: return { code: 'OD', perDay: 1 };
    case 2: return { code: 'BD', perDay: 2 };
    case 3: return { code: 'TDS', perDay: 3 };
    case 4: return { code: 'QID', perDay: 4 };
    default: return { code: `${n} times a day`, perDay: n };
  }
}

function doseTimes(parts: (string | undefined)[]): Frequency | null {
  const ps = parts.filter((p): p is string => p !== undefined);
  const nums = ps.map(Number);
  const total = nums.reduce((a, b) => a + b, 0);
  if (total === 0 || total > 8) return null;
  return { code: ps.join('-'), perDay: nums.filter((x) => x > 0).length };
}

/** A limit or a condition, not the schedule: "more than every 3 hours", "up to 4 times a day". */
const CONDITION_BEFORE = /\b(?:more (?:often )?than|more frequently than|less (?:often )?than|beyond)\s*$/;

/** The first frequency in `s` (earliest; the more specific rule wins a tie). */
export function findFrequency(s: string): Found<Frequency> | null {
  let best: Found<Frequency> | null = null;
  let bestRule = Infinity;
  FREQ_RULES.forEach(([re, make], idx) => {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      if (m[0].length === 0) { re.lastIndex++; continue; }
      const f = make(m);
      if (!f) continue;
      if (CONDITION_BEFORE.test(s.slice(Math.max(0, m.index - 30), m.index))) continue;
      const cand = { value: f, start: m.index, end: m.index + m[0].length };
      const overlaps = best !== null && cand.start < best.end && best.start < cand.end;
      if (best === null || (overlaps ? idx < bestRule : cand.start < best.start)) {
        best = cand;
        bestRule = idx;
      }
      break; // first match of each rule is enough
    }
  });
  return best;
}

// ── Duration ────────────────────────────────────────────────────────────────
export interface Duration {
  value: number;
  max: number | null;
  unit: 'hour' | 'day' | 'week' | 'month' | 'year';
  days: number;
}

const DUR_UNITS: [RegExp, Duration['unit'], number][] = [
  [/^(?:hours?|hrs?)$/, 'hour', 1 / 24],
  [/^(?:days?|d|nights?)$/, 'day', 1],
  [/^(?:weeks?|wks?|wk)$/, 'week', 7],
  [/^(?:months?|mths?|mos?)$/, 'month', 30],
  [/^(?:years?|yrs?)$/, 'year', 365],
];
const DUR_NUM = '(\\d+(?:\\.\\d+)?|a|an|one|a couple of|couple of|a couple|a few|few|several)';
const DUR_UNIT = '(hours?|hrs?|days?|nights?|weeks?|wks?|months?|mths?|years?|yrs?)';
const DUR_RES: RegExp[] = [
  new RegExp(`\\b(?:for|since|x|×|over|from|in|within|about|around|approximately|almost|nearly|past|last|previous|of)\\s+(?:(?:the|a|about|around|approximately|almost|nearly|last|past|previous|next|coming|full|whole|entire|another|total of|period of|course of|good|solid|further)\\s+){0,3}${DUR_NUM}(?:\\s*(?:-|to|or)\\s*(\\d+))?\\s*${DUR_UNIT}\\b`, 'g'),
  new RegExp(`\\b${DUR_NUM}(?:\\s*(?:-|to|or)\\s*(\\d+))?\\s*${DUR_UNIT}\\s+(?:ago|back|now|duration|history|course|supply|prior)\\b`, 'g'),
  new RegExp(`(?<![a-z0-9])x\\s*${DUR_NUM}\\s*${DUR_UNIT}\\b`, 'g'),
];
const UK_RE = /(?<![\d/])(\d+)(?:\s*-\s*(\d+))?\s*\/\s*(7|52|12)(?![\d/])/g;

function durUnit(u: string): [Duration['unit'], number] | null {
  for (const [re, unit, f] of DUR_UNITS) if (re.test(u)) return [unit, f];
  return null;
}

export function formatDuration(d: Duration): string {
  const n = d.max !== null ? `${d.value}-${d.max}` : String(d.value);
  const plural = (d.max ?? d.value) === 1 ? '' : 's';
  return `${n} ${d.unit}${plural}`;
}

/** Every duration in `s`, ordered by position. */
export function findDurations(s: string): Found<Duration>[] {
  const out: Found<Duration>[] = [];
  const add = (start: number, end: number, v: Duration) => {
    if (out.some((o) => start < o.end && o.start < end)) return;
    out.push({ value: v, start, end });
  };
  for (const re of DUR_RES) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      const value = smallNumber(m[1]!);
      const u = durUnit(m[3]!);
      if (value === null || !u || value <= 0 || value > 1000) continue;
      const max = m[2] ? Number(m[2]) : null;
      add(m.index, m.index + m[0].length, { value, max, unit: u[0], days: Math.round((max ?? value) * u[1] * 100) / 100 });
    }
  }
  UK_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = UK_RE.exec(s)) !== null) {
    const value = Number(m[1]);
    const max = m[2] ? Number(m[2]) : null;
    const unit: Duration['unit'] = m[3] === '7' ? 'day' : m[3] === '52' ? 'week' : 'month';
    const f = unit === 'day' ? 1 : unit === 'week' ? 7 : 30;
    if (value <= 0 || value > 100) continue;
    // "5/7" days only makes sense when the numerator is below the denominator
    if (Number(m[3]) <= (max ?? value)) continue;
    add(m.index, m.index + m[0].length, { value, max, unit, days: (max ?? value) * f });
  }
  const since: [RegExp, Duration][] = [
    [/\bsince (?:yesterday|last night)\b/g, { value: 1, max: null, unit: 'day', days: 1 }],
    [/\bsince (?:this morning|morning|today)\b/g, { value: 1, max: null, unit: 'day', days: 1 }],
    [/\b(?:since|for|over|in|during) (?:the )?(?:last|past) week\b|\bsince last week\b/g, { value: 1, max: null, unit: 'week', days: 7 }],
    [/\b(?:since|for|over|in|during) (?:the )?(?:last|past) month\b|\bsince last month\b/g, { value: 1, max: null, unit: 'month', days: 30 }],
    [/\b(?:since|for|over|in|during) (?:the )?(?:last|past) year\b|\bsince last year\b/g, { value: 1, max: null, unit: 'year', days: 365 }],
  ];
  for (const [re, v] of since) {
    re.lastIndex = 0;
    while ((m = re.exec(s)) !== null) add(m.index, m.index + m[0].length, v);
  }
  return out.sort((a, b) => a.start - b.start);
}

// ── Route ───────────────────────────────────────────────────────────────────
const ROUTE_RULES: [RegExp, Route][] = [
  [/\b(?:sublingual(?:ly)?|under the tongue|s\/l)\b/g, 'sublingual'],
  [/\b(?:iv|i\.v\.?|intravenous(?:ly)?|infusion|drip)\b/g, 'intravenous'],
  [/\b(?:i\.m\.?|intramuscular(?:ly)?|im injection)\b/g, 'intramuscular'],
  [/\b(?:subcutaneous(?:ly)?|s\.c\.?|subcut|sub-q|subq|sub q|sc injection)\b/g, 'subcutaneous'],
  [/\b(?:nasal spray|nose spray|nasal drops|intranasal|in each nostril|nostrils?|nasally)\b/g, 'nasal'],
  [/\b(?:eye drops?|eyedrops?|in the eyes?|eye ointment|ophthalmic)\b/g, 'ophthalmic'],
  [/\b(?:ear drops?|in the ears?|otic)\b/g, 'otic'],
  [/\b(?:inhalers?|inhaled|inhalation|puffs?|nebuli[sz]ations?|nebuli[sz]ers?|nebs?|rotacaps?|mdi|spacer)\b/g, 'inhalation'],
  [/\b(?:suppositor(?:y|ies)|rectal(?:ly)?|per rectum|enema)\b/g, 'rectal'],
  [/\b(?:vaginal(?:ly)?|pessary|pessaries|per vaginum)\b/g, 'vaginal'],
  [/\b(?:transdermal|patch|patches)\b/g, 'transdermal'],
  [/\b(?:creams?|ointments?|gel|lotion|topical(?:ly)?|apply|applied|local application|paste|rub)\b/g, 'topical'],
  [/\b(?:injections?|inj\.?|shots?|injectable)\b/g, 'injection'],
  [/\b(?:by mouth|orally|oral|p\.o\.?|po|per oral|tablets?|tabs?|tab\.|capsules?|caps?|syrups?|suspension|pills?|sachets?|chewable)\b/g, 'oral'],
];

/** The route named closest to `near` (an offset in `s`). */
export function findRoute(s: string, near = 0): Found<Route> | null {
  let best: Found<Route> | null = null;
  for (const [re, route] of ROUTE_RULES) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      const cand = { value: route, start: m.index, end: m.index + m[0].length };
      const dist = (f: Found<Route>) => Math.min(Math.abs(f.start - near), Math.abs(f.end - near));
      if (!best || dist(cand) < dist(best)) best = cand;
    }
  }
  return best;
}

// ── Instructions ────────────────────────────────────────────────────────────
const INSTRUCTION_RULES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/\b(?:\d+|half an?|an?) (?:hours?|hrs?|minutes?|mins?) (?:before|after) (?:food|meals?|breakfast|lunch|dinner|eating)\b/g, (m) => m[0]],
  [/\b(?:after|with|before|following|along with) (?:your |the |a |each |every )?(?:food|meals?|eating|breakfast|lunch|dinner|supper|milk|water|a glass of water|plenty of water|plenty of fluids|juice|orange juice|a snack|snacks)\b/g, (m) => m[0].replace(/\b(?:your|the|each|every) /, '').replace('meals', 'meal')],
  [/\b(?:on an? |on )?empty stomach\b/g, () => 'on an empty stomach'],
  [/\b(?:in the (?:morning|evening|afternoon)|in the night)\b/g, (m) => m[0]],
  [/\b(?:do not|don't|do n't) (?:crush|chew)(?: it)?\b|\bswallow (?:it )?whole\b/g, () => 'swallow whole'],
  [/\bdissolve(?:d)? in (?:water|a glass of water)\b/g, (m) => m[0]],
  [/\b(?:avoid|no) alcohol\b/g, () => 'avoid alcohol'],
  [/\bunder the tongue\b/g, (m) => m[0]],
  [/\bat the (?:same time|onset)(?: of [a-z]+)?\b/g, (m) => m[0]],
  [/\bwith (?:a )?spacer\b/g, () => 'with spacer'],
  [/\brinse (?:your )?mouth(?: after use)?\b/g, () => 'rinse mouth after use'],
  [/\bfor (?:pain|fever|headache|nausea|vomiting|cough|itching|acidity|sleep)\b/g, (m) => m[0]],
];

/**
 * Conditions of use said with the drug: "if you use the ventolin more than every 3 hours"
 * (see a doctor), "no more than 4 times a day" (a ceiling).
 */
export function findConditions(s: string): Found<string>[] {
  const out: Found<string>[] = [];
  const more = /\bmore (?:often |frequently )?than (?:every )?(\d+(?:\.\d+)?)\s*(hours?|hrs?|days?)\b|\bmore (?:often )?than (\d+|once|twice) (?:times )?(?:a|per|in a) (day|week)\b/g;
  let m: RegExpExecArray | null;
  while ((m = more.exec(s)) !== null) {
    const what = m[1] ? `every ${m[1]} ${/^h/.test(m[2]!) ? (m[1] === '1' ? 'hour' : 'hours') : m[1] === '1' ? 'day' : 'days'}` : `${m[3] === 'once' ? '1 time' : m[3] === 'twice' ? '2 times' : `${m[3]} times`} a ${m[4]}`;
    out.push({ value: `see GP if needed more than ${what}`, start: m.index, end: m.index + m[0].length });
  }
  const max = /\b(?:no more than|not more than|up to|a maximum of|maximum of|max(?:imum)?)\s+(\d+) (?:times|doses|tablets) (?:a|per|in a|in 24 hours?) ?(day|24 hours?)?\b/g;
  while ((m = max.exec(s)) !== null) out.push({ value: `maximum ${m[1]} times a day`, start: m.index, end: m.index + m[0].length });
  return out;
}

export function findInstructions(s: string): Found<string>[] {
  const out: Found<string>[] = [];
  for (const [re, make] of INSTRUCTION_RULES) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      const text = make(m);
      if (out.some((o) => o.value === text || (m!.index < o.end && o.start < m!.index + m![0].length))) continue;
      out.push({ value: text, start: m.index, end: m.index + m[0].length });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

// ── Action ──────────────────────────────────────────────────────────────────
export type MedAction = 'start' | 'continue' | 'increase' | 'decrease' | 'stop' | 'hold';

const STRONG_CUES: [RegExp, MedAction][] = [
  [/\b(?:stop|stopping|stopped|discontinue|discontinuing|discontinued|d\/c|quit|quitting|cease|come off|coming off|came off|get off|getting off|go off|going off|take you off|taking you off|taken off|off of|no longer (?:take|taking|on)|avoid|avoiding|(?:don't|do not|do n't|shouldn't|should not|should n't|not to) (?:take|use)|cut out|stop taking|stopped taking|quit taking|stop using|switch(?:ing)? (?:you )?(?:off|from))\b/g, 'stop'],
  [/\b(?:hold|holding|withhold|withholding|pause|pausing|skip|hold off(?: on)?|put on hold|temporarily stop)\b/g, 'hold'],
  [/\b(?:increase|increasing|bump(?:ing)? up|go up on|going up on|up the dose of|up the|up your|raise|raising|double|doubling|titrate up|uptitrate|higher dose of)\b|(?:^|\b(?:let's|let us|we'll|we will|i'll|i will|like to|want to|going to|gonna|we can|we could|we should|please|so|and))\s*up\b(?=\s*$)/g, 'increase'],
  [/\b(?:decrease|decreasing|reduce|reducing|lower|lowering|cut down|cut back|cutting down|cutting back|taper|tapering|wean|weaning|lower dose of|half the dose of|halve)\b/g, 'decrease'],
  [/\b(?:continue|continuing|keep taking|keep on|keep you on|keeping you on|keep him on|keep her on|stay on|staying on|remain on|carry on|refill|refilled|refills|renew|renewed|still (?:on|taking|take|using)|currently (?:on|taking|take|using)|already (?:on|taking|take|using))\b|\bkeep(?:ing)?(?:\s+(?:the|your|his|her))?(?=\s*$)/g, 'continue'],
  [/\b(?:start|starting|begin|beginning|initiate|initiating|commence|prescribe|prescribing|prescribed|prescription (?:for|of)|put you on|putting you on|place you on|placing you on|get you on|getting you on|give you|giving you|add|adding|try|trying|trial of|switch(?:ing)? (?:you )?to|chang(?:e|ing) (?:you )?to|recommend|recommending|send in|sending in|send you|new prescription|rx|take|let's do|let us do|we'll do|we will do|i'll do|go ahead and do|go ahead with|administer|given)\b/g, 'start'],
];
const WEAK_CUES = /\b(?:taking|takes|take|took|uses|using|used|been on|is on|are on|was on|i'm on|im on|i am on|you're on|youre on|you are on|he's on|she's on|on (?:the|his|her|my|your|some)|my|his|her|your|their)\b/g;
const PRIORITY: Record<MedAction, number> = { stop: 6, hold: 5, increase: 4, decrease: 4, start: 3, continue: 2 };
const POST_CUES: [RegExp, MedAction][] = [
  [/^[^.;?]{0,30}?\b(?:to be |should be |will be |is |was |has been |being |were )?(?:stopped|discontinued)\b/, 'stop'],
  [/^[^.;?]{0,30}?\b(?:to be |should be |will be |is |being )?(?:held|on hold)\b/, 'hold'],
  [/^[^.;?]{0,30}?\b(?:to be |should be |will be |is |was |being )?increased\b/, 'increase'],
  [/^[^.;?]{0,30}?\b(?:to be |should be |will be |is |was |being )?(?:decreased|reduced|tapered)\b/, 'decrease'],
  [/^[^.;?]{0,30}?\b(?:to (?:be )?continue|to be continued|continues|can continue|should continue)\b/, 'continue'],
];

export interface ActionCue {
  action: MedAction;
  strength: 'strong' | 'weak' | 'post';
  start: number;
  end: number;
}

/** The action cue closest before the drug (`pre` ends at the drug), else a post cue. */
export function findAction(pre: string, post: string): ActionCue | null {
  let best: ActionCue | null = null;
  for (const [re, action] of STRONG_CUES) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(pre)) !== null) {
      const end = m.index + m[0].length;
      if (!best || end > best.end || (end === best.end && PRIORITY[action] > PRIORITY[best.action])) {
        best = { action, strength: 'strong', start: m.index, end };
      }
    }
  }
  if (best) return best;
  for (const [re, action] of POST_CUES) {
    const m = re.exec(post);
    if (m) return { action, strength: 'post', start: -1, end: -1 };
  }
  WEAK_CUES.lastIndex = 0;
  let m: RegExpExecArray | null;
  let weak: ActionCue | null = null;
  while ((m = WEAK_CUES.exec(pre)) !== null) weak = { action: 'continue', strength: 'weak', start: m.index, end: m.index + m[0].length };
  return weak;
}
