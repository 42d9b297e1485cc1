/**
 * Vital signs from normalised sentences: BP ("158/96", "158 over 96"), pulse / heart
 * rate, respiratory rate, temperature (°F / °C, inferred from the value when unsaid),
 * SpO2, weight, height, BMI and blood sugar (fasting / random / post-prandial).
 * The bounds here only say what can be a reading at all; whether it is a plausible
 * measurement is plausibility.ts's call (the rest go to the review list).
 *
 * A number said with a vital's name is not always a reading of the patient: "we want it
 * under 130" is a target (planned), "a BMI greater than 30 would qualify you" or "it rarely
 * goes over 200" a threshold, "if it's 180 call me" a condition, "120 to 130 over 70 to 80"
 * a range (all possible). Each reading carries that assertion and the words that set it;
 * whether it was taken at another encounter (historical) is vital-context.ts's call, which
 * needs the turns around it.
 */
export type VitalType =
  | 'blood_pressure' | 'pulse' | 'respiratory_rate' | 'temperature' | 'spo2' | 'weight' | 'height' | 'bmi' | 'blood_sugar';

/** present: a reading of the patient; planned: a target; possible: a threshold, condition or range; historical: another encounter's. */
export type VitalAssertion = 'present' | 'historical' | 'planned' | 'possible';

export interface VitalReading {
  type: VitalType;
  value: number;
  /** Diastolic for blood pressure. */
  value2: number | null;
  unit: string;
  /** Blood sugar: fasting | random | post_prandial | unspecified. */
  qualifier: string | null;
  start: number;
  end: number;
  /** Where the (first) number sits in the sentence. */
  valueStart: number;
  valueEnd: number;
  assertion: VitalAssertion;
  /** The words that made it other than a present reading ("under", "goal", "if", "120 to"). */
  assertion_cue: string | null;
}

/** Up to `n` words (no digits, no sentence punctuation) between a keyword and its value. */
const gap = (n: number) => `(?:[\\s,:=-]+(?:[a-z'’]+[\\s,:=-]*){0,${n}}?|[\\s,:=-]*)`;
const NOT_AFTER = '(?!\\s*(?:mg|mcg|milligrams?|years?|yrs?|days?|weeks?|months?|hours?|minutes?|times?|units?|tablets?|ml|%|percent|mmol|\\/|over|-\\s*\\d))';

const BP_KEY = "(?:blood pressures?|bp|b\\.p\\.?|pressure)(?:'s)?";
const BP_VAL = '(\\d{2,3})\\s*(?:\\/|over(?:\\s+over)?|by)\\s*(\\d{2,3})';
const RE_BP = new RegExp(`\\b${BP_KEY}${gap(7)}${BP_VAL}\\b`, 'dg');
const RE_BP_BARE = new RegExp(`(?<![\\d/])${BP_VAL}\\s*(?:mm ?hg|mmhg|millimeters? of mercury)`, 'dg');
/** Spoken "180 over 95" with no keyword: in a consultation that is a blood pressure. */
const RE_BP_OVER = /(?<![\d/.])(\d{2,3})\s+over\s+(\d{2,3})(?!\d|\.\d)/dg;
const RE_HR = new RegExp(`\\b(?:pulse(?: rate)?|heart rate|hr|heart beat|heartbeat|pr)(?:'s)?${gap(8)}(\\d{2,3})\\b${NOT_AFTER}`, 'dg');
const RE_HR_UNIT = /\b(\d{2,3})\s*(?:bpm|beats per minute|beats a minute|beats\/min|\/min pulse)\b/dg;
const RE_RR = new RegExp(`\\b(?:respiratory rate|respiration rate|respirations?|resp(?:iratory)?|rr|breathing rate|resp rate)(?:'s)?${gap(8)}(\\d{1,2})\\b${NOT_AFTER}`, 'dg');
const RE_RR_UNIT = /\b(\d{1,2})\s*(?:breaths per minute|breaths a minute|breaths\/min)\b/dg;
const RE_TEMP = new RegExp(`\\b(?:temperature|temp|fever of|fever|febrile to|spiked to|febrile at)(?:'s)?${gap(8)}(\\d{2,3}(?:\\s?\\.\\s?\\d)?)\\s*(?:°|º|degrees?|deg)?\\s*(fahrenheit|celsius|centigrade|f|c)?\\b(?!\\s*(?:mg|days?|weeks?|years?|hours?|%|percent|\\/|over))`, 'dg');
const RE_TEMP_UNIT = /\b(\d{2,3}(?:\.\d)?)\s*(?:°|º|degrees?)\s*(fahrenheit|celsius|centigrade|f|c)\b/dg;
const RE_SPO2 = new RegExp(`\\b(?:oxygen saturation|o2 sat(?:uration)?s?|o2 saturation|spo2|sp o2|sats?|saturations?|saturating|satting|sating|oxygenation|pulse ox(?:imetry)?|pulse oximeter|oxygen levels?|oxygen|o2)(?:'s)?${gap(8)}(\\d{2,3})\\s*(%|percent|per cent)?(?!\\s*(?:mg|days?|years?|\\/|over|liters?|litres?|l\\b))`, 'dg');
const RE_WEIGHT = new RegExp(`\\b(?:weight|weighs|weighing|weighed|wt)(?:'s)?${gap(5)}(\\d{1,3}(?:\\.\\d+)?)\\s*(kgs?|kilos?|kilograms?|lbs?|pounds?)\\b`, 'dg');
const RE_WEIGHT_BARE = /\b(?:weight|weighs|weighing|weighed|wt)(?:'s)?(?:\s+(?:is|was|of|today|about|around|now))*\s*(\d{2,3}(?:\.\d+)?)\b(?!\s*(?:mg|days?|weeks?|years?|%|\/))/dg;
const RE_HEIGHT_CM = new RegExp(`\\b(?:height|tall|ht)(?:'s)?${gap(5)}(\\d{2,3}(?:\\.\\d+)?)\\s*(cm|cms|centimet(?:er|re)s?|m|meters?|metres?)\\b`, 'dg');
const RE_HEIGHT_CM_AFTER = /\b(\d{3}(?:\.\d+)?)\s*(?:cm|cms|centimet(?:er|re)s?)\s+tall\b/dg;
const RE_HEIGHT_FT = /\b(\d)\s*(?:feet|foot|ft|')[\s,]*(?:and\s*)?(\d{1,2})?\s*(?:inches|inch|in|")?(?=\s*(?:tall|in height|height|\.|,|$))/dg;
const RE_BMI = new RegExp(`\\b(?:bmi|body mass index)(?:'s)?${gap(5)}(\\d{2}(?:\\.\\d+)?)\\b`, 'dg');
const RE_SUGAR = new RegExp(`\\b((?:fasting|random|post ?prandial|post meal|after (?:food|meals?|eating)|pp|morning|bedtime)\\s+)?(?:blood sugars?|blood glucose|sugars?|glucose|glucoses|sugar levels?|glucose levels?|fbs|rbs|ppbs|fbg|grbs|cbg|finger ?stick|glucometer reading)(?:'s)?${gap(8)}(\\d{2,3})(?:s)?\\b(?!\\s*(?:mg(?!\\s*\\/\\s*dl|\\s*per\\s*dl)|days?|weeks?|years?|%|\\/|over|times?|units?))\\s*(mg ?\\/ ?dl|mg per dl|mmol(?: ?\\/ ?l)?)?`, 'dg');

function* all(re: RegExp, s: string): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    yield m;
  }
}

const num = (s: string) => Number(s.replace(/\s/g, ''));

/**
 * Each vital's own words. Between a keyword and its number there is no other vital's word:
 * "heart rate [was 58 and …] and your respirations were 14" gives the 14 to respirations.
 */
const OWN_WORDS: Record<VitalType, RegExp> = {
  blood_pressure: /\b(?:blood pressures?|bp|pressure|systolic|diastolic)\b/,
  pulse: /\b(?:pulse|heart ?rate|heart ?beat|hr|beats)\b/,
  respiratory_rate: /\b(?:respirat\w*|resp|rr|breathing rate|breaths)\b/,
  temperature: /\b(?:temperature|temp|fever|febrile|afebrile)\b/,
  spo2: /\b(?:oxygen\w*|o2|spo2|sats?|saturat\w*|satting|sating|pulse ox\w*)\b/,
  weight: /\b(?:weigh\w*|wt)\b/,
  height: /\b(?:height|tall|ht)\b/,
  bmi: /\b(?:bmi|body mass index)\b/,
  blood_sugar: /\b(?:sugars?|glucose\w*|fbs|rbs|ppbs|fbg|grbs|cbg|finger ?stick|glucometer|a1c)\b/,
};
const VITAL_TYPES = Object.keys(OWN_WORDS) as VitalType[];

function otherVitalBetween(type: VitalType, between: string): boolean {
  for (const t of VITAL_TYPES) {
    if (t === type) continue;
    // "pulse ox" is SpO2's, "blood pressure" has no pulse in it, "heart rate" no rate of breathing
    if (t === 'pulse' && type === 'spo2' && /pulse ox/.test(between)) continue;
    if (OWN_WORDS[t].test(between)) return true;
  }
  return false;
}

// ── what a number with a vital's name says: a reading, a target, a threshold, a range ──
/** Right before the number: it bounds the value rather than being it ("under 130", "greater than 30"). */
const COMPARATIVE = /(?:\b(?:greater|more|less|higher|lower|bigger|smaller|better|worse)\s+than|\b(?:over|under|above|below|beneath|beyond|exceeds?|exceeding|exceeded|upwards of|at least|at most|no more than|not more than|no less than)|[<>≤≥])\s*(?:(?:about|around|roughly|approximately|like|say|a|an)\s+)?$/;
/** A goal for the value, said after the vital's name: "blood pressure, we want it under 130", "get it down to 120" (not "it came down to 120": a reading). */
const TARGET = /\b(?:goals?|targets?|aim(?:ing)?|ideally|want (?:it|that|them|this|those|to see (?:it|that))|(?:would|'d) like (?:it|that|them|to see (?:it|that))|keep (?:it|that|them|this|those)|get (?:it|that|them|this|those)|bring (?:it|that|them|this|those) (?:down|up)|(?:should|needs? to|has to|have to|ought to) (?:be|stay|come|go|get)|(?:want|need|like) (?:it|that|them|this|those) to (?:be|come|go|get|stay)|to (?:come|go|get|stay|be) (?:down|up|back|under|below|around|at|less))\b/;
/** …or before it: "our goal for your blood pressure", "we want your sugars", "keep his pressure". */
const TARGET_BEFORE = /\b(?:goals?|targets?|aim(?:ing)? for|want|need|keep|get|bring (?:down|up)|like to see)/;
/** A reference value or a criterion, not the patient's: "normal is 120 over 80", "the criteria is a BMI of 30". */
const REFERENCE = /\b(?:normal (?:is|would be|range|ranges|values?|levels? (?:is|are))|normally (?:it's|it is|it should|should)|criteria|criterion|qualif(?:y|ies|ied)|cut-?off|threshold|anything (?:under|below|over|above|less|more|greater|higher|lower))\b/;
/** A condition: "if your temperature is 101", "call me if it goes over 180". Not "if we look at your vitals". */
const CONDITIONAL = /\b(?:if|unless|in case)\b(?!\s+(?:we|you|i)\s+(?:look|see|check|review|go|take|were|compare))/;
/** A second number joined to the first: "120 to 130", "80-90", "98 or 99". */
const RANGE_AFTER = /^\s*(?:to|-|or)\s*\d+/;
const RANGE_BEFORE = /(?:\b(?:between|from)|\d+\s*(?:to|-|or))\s*$/;
/** `re` right before the vital's name, with at most articles and possessives between ("goal for your"). */
const leading = (re: RegExp) => new RegExp(`(?:${re.source})(?:\\s+(?:your|his|her|my|their|our|the|a|an|for|of|on|is|to|be))*\\s*$`);
const TARGET_PRE = leading(TARGET_BEFORE);
const REFERENCE_PRE = leading(/\b(?:criteria|criterion|cut-?off|threshold|normal (?:range|values?) (?:for|of))/);
const CONDITIONAL_PRE = leading(/\b(?:if|unless|in case)/);

/**
 * The assertion of a number at [valueStart, valueEnd) (the diastolic's end for blood pressure)
 * whose keyword match starts at `matchStart`, from the words around it in the sentence.
 */
function readingAssertion(s: string, matchStart: number, valueStart: number, valueEnd: number): { assertion: VitalAssertion; cue: string | null } {
  /** From the vital's name to the number. */
  const lead = s.slice(matchStart, valueStart);
  /** The words right before the vital's name, not past a sentence break. */
  const pre = s.slice(Math.max(0, matchStart - 60), matchStart).split(/[.;?!]/).pop()!;
  const near = s.slice(Math.max(0, valueStart - 12), valueStart);
  const range = RANGE_BEFORE.exec(near) ?? RANGE_AFTER.exec(s.slice(valueEnd, valueEnd + 8));
  if (range) return { assertion: 'possible', cue: `range (${range[0].trim()})` };
  const target = TARGET.exec(lead) ?? TARGET_PRE.exec(pre);
  const cmp = COMPARATIVE.exec(lead);
  if (cmp) return target ? { assertion: 'planned', cue: `target (${target[0].trim()} … ${cmp[0].trim()})` } : { assertion: 'possible', cue: `threshold (${cmp[0].trim()})` };
  if (target) return { assertion: 'planned', cue: `target (${target[0].trim()})` };
  const ref = REFERENCE.exec(lead) ?? REFERENCE_PRE.exec(pre);
  if (ref) return { assertion: 'possible', cue: ref[0].trim() };
  const c = CONDITIONAL.exec(lead) ?? CONDITIONAL_PRE.exec(pre);
  if (c) return { assertion: 'possible', cue: c[0].trim() };
  return { assertion: 'present', cue: null };
}

export function findVitals(s: string): VitalReading[] {
  const out: VitalReading[] = [];
  const add = (r: Omit<VitalReading, 'assertion' | 'assertion_cue'>) => {
    // keep the first reading of a type over the same span
    if (out.some((o) => o.type === r.type && r.start < o.end && o.start < r.end)) return;
    // a value already claimed by another vital (e.g. BP's diastolic read as a pulse) is not reused
    if (out.some((o) => o.type !== r.type && valueSpanOverlap(o, r))) return;
    // no other vital's word between the keyword and the number
    if (otherVitalBetween(r.type, s.slice(r.start, r.valueStart).replace(OWN_WORDS[r.type], ' '))) return;
    const a = readingAssertion(s, r.start, r.valueStart, r.valueEnd);
    out.push({ ...r, assertion: a.assertion, assertion_cue: a.cue });
  };
  /** Offsets of capture group `g` (the regexes carry the `d` flag). */
  const at = (m: RegExpExecArray, g: number): [number, number] => m.indices?.[g] ?? [m.index, m.index + m[0].length];

  for (const re of [RE_BP, RE_BP_BARE, RE_BP_OVER]) {
    for (const m of all(re, s)) {
      const sys = Number(m[1]);
      const dia = Number(m[2]);
      if (sys < 30 || sys > 400 || dia < 10 || dia > 300) continue;
      add({ type: 'blood_pressure', value: sys, value2: dia, unit: 'mmHg', qualifier: null, start: m.index, end: m.index + m[0].length, valueStart: at(m, 1)[0], valueEnd: at(m, 2)[1] });
    }
  }
  for (const re of [RE_HR_UNIT, RE_HR]) {
    for (const m of all(re, s)) {
      const v = Number(m[1]);
      if (v < 10 || v > 400) continue;
      const [vs, ve] = at(m, 1);
      add({ type: 'pulse', value: v, value2: null, unit: 'bpm', qualifier: null, start: m.index, end: m.index + m[0].length, valueStart: vs, valueEnd: ve });
    }
  }
  for (const re of [RE_RR_UNIT, RE_RR]) {
    for (const m of all(re, s)) {
      const v = Number(m[1]);
      if (v < 2 || v > 99) continue;
      const [vs, ve] = at(m, 1);
      add({ type: 'respiratory_rate', value: v, value2: null, unit: 'breaths/min', qualifier: null, start: m.index, end: m.index + m[0].length, valueStart: vs, valueEnd: ve });
    }
  }
  for (const re of [RE_TEMP_UNIT, RE_TEMP]) {
    for (const m of all(re, s)) {
      const v = num(m[1]!);
      const u = m[2] ?? '';
      let unit: 'F' | 'C';
      if (/^c|celsius|centigrade/.test(u)) unit = 'C';
      else if (/^f/.test(u)) unit = 'F';
      else unit = v >= 70 ? 'F' : 'C';
      if (unit === 'F' ? v < 70 || v > 120 : v < 25 || v > 47) continue;
      const [vs, ve] = at(m, 1);
      add({ type: 'temperature', value: v, value2: null, unit: unit === 'F' ? '°F' : '°C', qualifier: null, start: m.index, end: m.index + m[0].length, valueStart: vs, valueEnd: ve });
    }
  }
  for (const m of all(RE_SPO2, s)) {
    const v = Number(m[1]);
    if (v < 50 || v > 199) continue;
    // bare "oxygen 2" etc. is flow, not saturation; require % or a saturation word for values < 80
    if (!m[2] && !/sat|spo2|pulse ox|oxygenation/.test(m[0]) && v < 85) continue;
    const [vs, ve] = at(m, 1);
    add({ type: 'spo2', value: v, value2: null, unit: '%', qualifier: null, start: m.index, end: m.index + m[0].length, valueStart: vs, valueEnd: ve });
  }
  for (const m of all(RE_WEIGHT, s)) {
    const v = Number(m[1]);
    const u = m[2]!;
    const kg = /^k/.test(u);
    if (kg ? v < 1 || v > 350 : v < 2 || v > 800) continue;
    const [vs, ve] = at(m, 1);
    add({ type: 'weight', value: v, value2: null, unit: kg ? 'kg' : 'lb', qualifier: null, start: m.index, end: m.index + m[0].length, valueStart: vs, valueEnd: ve });
  }
  if (!out.some((o) => o.type === 'weight')) {
    for (const m of all(RE_WEIGHT_BARE, s)) {
      const v = Number(m[1]);
      if (v < 20 || v > 250) continue;
      const [vs, ve] = at(m, 1);
      add({ type: 'weight', value: v, value2: null, unit: 'kg', qualifier: null, start: m.index, end: m.index + m[0].length, valueStart: vs, valueEnd: ve });
    }
  }
  for (const re of [RE_HEIGHT_CM, RE_HEIGHT_CM_AFTER]) {
    for (const m of all(re, s)) {
      let v = Number(m[1]);
      const u = m[2] ?? 'cm';
      if (/^m/.test(u)) v = Math.round(v * 100);
      if (v < 40 || v > 250) continue;
      const [vs, ve] = at(m, 1);
      add({ type: 'height', value: v, value2: null, unit: 'cm', qualifier: null, start: m.index, end: m.index + m[0].length, valueStart: vs, valueEnd: ve });
    }
  }
  for (const m of all(RE_HEIGHT_FT, s)) {
    const ft = Number(m[1]);
    const inch = m[2] ? Number(m[2]) : 0;
    if (ft < 3 || ft > 7 || inch > 11) continue;
    // only with a height word nearby
    if (!/\b(?:height|tall|ht)\b/.test(s.slice(Math.max(0, m.index - 30), m.index + m[0].length + 15))) continue;
    const [vs] = at(m, 1);
    add({ type: 'height', value: Math.round((ft * 12 + inch) * 2.54), value2: null, unit: 'cm', qualifier: null, start: m.index, end: m.index + m[0].length, valueStart: vs, valueEnd: m.index + m[0].length });
  }
  for (const m of all(RE_BMI, s)) {
    const v = Number(m[1]);
    if (v < 10 || v > 80) continue;
    const [vs, ve] = at(m, 1);
    add({ type: 'bmi', value: v, value2: null, unit: 'kg/m²', qualifier: null, start: m.index, end: m.index + m[0].length, valueStart: vs, valueEnd: ve });
  }
  for (const m of all(RE_SUGAR, s)) {
    const v = Number(m[2]);
    const mmol = /mmol/.test(m[3] ?? '');
    if (mmol ? v < 1 || v > 40 : v < 30 || v > 700) continue;
    const q = (m[1] ?? '') + ' ' + s.slice(Math.max(0, m.index - 25), m.index);
    const qualifier = /fasting|fbs|fbg|morning/.test(m[0]) || /fasting/.test(q)
      ? 'fasting'
      : /post ?prandial|post meal|after (?:food|meal|eating)|\bpp|ppbs/.test(m[0])
        ? 'post_prandial'
        : /random|rbs|grbs/.test(m[0])
          ? 'random'
          : 'unspecified';
    const [vs, ve] = at(m, 2);
    add({ type: 'blood_sugar', value: v, value2: null, unit: mmol ? 'mmol/L' : 'mg/dL', qualifier, start: m.index, end: m.index + m[0].length, valueStart: vs, valueEnd: ve });
  }
  return out.sort((a, b) => a.start - b.start);
}

function valueSpanOverlap(a: Pick<VitalReading, 'start' | 'end' | 'type'>, b: Pick<VitalReading, 'start' | 'end'>): boolean {
  // Compare only where the numbers sit: the last ~8 chars of each match.
  const aStart = Math.max(a.start, a.end - 10);
  const bStart = Math.max(b.start, b.end - 10);
  return aStart < b.end && bStart < a.end && a.type === 'blood_pressure';
}

/** The latest reading of each kind (blood sugar per qualifier), in order of first mention. */
export function latestReadings<T extends { type: VitalType; qualifier: string | null }>(readings: readonly T[]): T[] {
  const latest = new Map<string, T>();
  for (const v of readings) latest.set(v.type === 'blood_sugar' ? `${v.type}:${v.qualifier}` : v.type, v);
  return [...latest.values()];
}

export function formatVital(r: Pick<VitalReading, 'type' | 'value' | 'value2' | 'unit'>): string {
  if (r.type === 'blood_pressure') return `${r.value}/${r.value2} ${r.unit}`;
  return `${r.value} ${r.unit}`;
}

export const VITAL_LABELS: Record<VitalType, string> = {
  blood_pressure: 'BP',
  pulse: 'Pulse',
  respiratory_rate: 'Respiratory rate',
  temperature: 'Temperature',
  spo2: 'SpO2',
  weight: 'Weight',
  height: 'Height',
  bmi: 'BMI',
  blood_sugar: 'Blood sugar',
};
