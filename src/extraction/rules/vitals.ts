/**
 * Vital signs from normalised sentences: BP ("158/96", "158 over 96"), pulse / heart
 * rate, respiratory rate, temperature (°F / °C, inferred from the value when unsaid),
 * SpO2, weight, height, BMI and blood sugar (fasting / random / post-prandial).
 * The bounds here only say what can be a reading at all; whether it is a plausible
 * measurement is plausibility.ts's call (the rest go to the review list).
 */
export type VitalType =
  | 'blood_pressure' | 'pulse' | 'respiratory_rate' | 'temperature' | 'spo2' | 'weight' | 'height' | 'bmi' | 'blood_sugar';

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
}

/** Up to `n` words (no digits, no sentence punctuation) between a keyword and its value. */
const gap = (n: number) => `(?:[\\s,:=-]+(?:[a-z'’]+[\\s,:=-]*){0,${n}}?|[\\s,:=-]*)`;
const NOT_AFTER = '(?!\\s*(?:mg|mcg|milligrams?|years?|yrs?|days?|weeks?|months?|hours?|minutes?|times?|units?|tablets?|ml|%|percent|mmol|\\/|over|-\\s*\\d))';

const BP_KEY = "(?:blood pressures?|bp|b\\.p\\.?|pressure)(?:'s)?";
const BP_VAL = '(\\d{2,3})\\s*(?:\\/|over(?:\\s+over)?|by)\\s*(\\d{2,3})';
const RE_BP = new RegExp(`\\b${BP_KEY}${gap(7)}${BP_VAL}\\b`, 'g');
const RE_BP_BARE = new RegExp(`(?<![\\d/])${BP_VAL}\\s*(?:mm ?hg|mmhg|millimeters? of mercury)`, 'g');
/** Spoken "180 over 95" with no keyword: in a consultation that is a blood pressure. */
const RE_BP_OVER = /(?<![\d/.])(\d{2,3})\s+over\s+(\d{2,3})(?![\d.])/g;
const RE_HR = new RegExp(`\\b(?:pulse(?: rate)?|heart rate|hr|heart beat|heartbeat|pr)(?:'s)?${gap(6)}(\\d{2,3})\\b${NOT_AFTER}`, 'g');
const RE_HR_UNIT = /\b(\d{2,3})\s*(?:bpm|beats per minute|beats a minute|beats\/min|\/min pulse)\b/g;
const RE_RR = new RegExp(`\\b(?:respiratory rate|respiration rate|respirations?|resp(?:iratory)?|rr|breathing rate|resp rate)(?:'s)?${gap(5)}(\\d{1,2})\\b${NOT_AFTER}`, 'g');
const RE_RR_UNIT = /\b(\d{1,2})\s*(?:breaths per minute|breaths a minute|breaths\/min)\b/g;
const RE_TEMP = new RegExp(`\\b(?:temperature|temp|fever of|fever|febrile to|spiked to|febrile at)(?:'s)?${gap(6)}(\\d{2,3}(?:\\s?\\.\\s?\\d)?)\\s*(?:°|º|degrees?|deg)?\\s*(fahrenheit|celsius|centigrade|f|c)?\\b(?!\\s*(?:mg|days?|weeks?|years?|hours?|%|percent|\\/|over))`, 'g');
const RE_TEMP_UNIT = /\b(\d{2,3}(?:\.\d)?)\s*(?:°|º|degrees?)\s*(fahrenheit|celsius|centigrade|f|c)\b/g;
const RE_SPO2 = new RegExp(`\\b(?:oxygen saturation|o2 sat(?:uration)?s?|o2 saturation|spo2|sp o2|sats?|saturations?|saturating|satting|sating|oxygenation|pulse ox(?:imetry)?|pulse oximeter|oxygen levels?|oxygen|o2)(?:'s)?${gap(5)}(\\d{2,3})\\s*(%|percent|per cent)?(?!\\s*(?:mg|days?|years?|\\/|over|liters?|litres?|l\\b))`, 'g');
const RE_WEIGHT = new RegExp(`\\b(?:weight|weighs|weighing|weighed|wt)(?:'s)?${gap(5)}(\\d{1,3}(?:\\.\\d+)?)\\s*(kgs?|kilos?|kilograms?|lbs?|pounds?)\\b`, 'g');
const RE_WEIGHT_BARE = /\b(?:weight|weighs|weighing|weighed|wt)(?:'s)?(?:\s+(?:is|was|of|today|about|around|now))*\s*(\d{2,3}(?:\.\d+)?)\b(?!\s*(?:mg|days?|weeks?|years?|%|\/))/g;
const RE_HEIGHT_CM = new RegExp(`\\b(?:height|tall|ht)(?:'s)?${gap(5)}(\\d{2,3}(?:\\.\\d+)?)\\s*(cm|cms|centimet(?:er|re)s?|m|meters?|metres?)\\b`, 'g');
const RE_HEIGHT_CM_AFTER = /\b(\d{3}(?:\.\d+)?)\s*(?:cm|cms|centimet(?:er|re)s?)\s+tall\b/g;
const RE_HEIGHT_FT = /\b(\d)\s*(?:feet|foot|ft|')[\s,]*(?:and\s*)?(\d{1,2})?\s*(?:inches|inch|in|")?(?=\s*(?:tall|in height|height|\.|,|$))/g;
const RE_BMI = new RegExp(`\\b(?:bmi|body mass index)(?:'s)?${gap(5)}(\\d{2}(?:\\.\\d+)?)\\b`, 'g');
const RE_SUGAR = new RegExp(`\\b((?:fasting|random|post ?prandial|post meal|after (?:food|meals?|eating)|pp|morning|bedtime)\\s+)?(?:blood sugars?|blood glucose|sugars?|glucose|glucoses|sugar levels?|glucose levels?|fbs|rbs|ppbs|fbg|grbs|cbg|finger ?stick|glucometer reading)(?:'s)?${gap(7)}(\\d{2,3})(?:s)?\\b(?!\\s*(?:mg(?!\\s*\\/\\s*dl|\\s*per\\s*dl)|days?|weeks?|years?|%|\\/|over|times?|units?))\\s*(mg ?\\/ ?dl|mg per dl|mmol(?: ?\\/ ?l)?)?`, 'g');

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

export function findVitals(s: string): VitalReading[] {
  const out: VitalReading[] = [];
  const add = (r: VitalReading) => {
    // keep the first reading of a type over the same span
    if (out.some((o) => o.type === r.type && r.start < o.end && o.start < r.end)) return;
    // a value already claimed by another vital (e.g. BP's diastolic read as a pulse) is not reused
    if (out.some((o) => o.type !== r.type && valueSpanOverlap(o, r))) return;
    out.push(r);
  };

  for (const re of [RE_BP, RE_BP_BARE, RE_BP_OVER]) {
    for (const m of all(re, s)) {
      const sys = Number(m[1]);
      const dia = Number(m[2]);
      if (sys < 30 || sys > 400 || dia < 10 || dia > 300) continue;
      add({ type: 'blood_pressure', value: sys, value2: dia, unit: 'mmHg', qualifier: null, start: m.index, end: m.index + m[0].length });
    }
  }
  for (const re of [RE_HR_UNIT, RE_HR]) {
    for (const m of all(re, s)) {
      const v = Number(m[1]);
      if (v < 10 || v > 400) continue;
      add({ type: 'pulse', value: v, value2: null, unit: 'bpm', qualifier: null, start: m.index, end: m.index + m[0].length });
    }
  }
  for (const re of [RE_RR_UNIT, RE_RR]) {
    for (const m of all(re, s)) {
      const v = Number(m[1]);
      if (v < 2 || v > 99) continue;
      add({ type: 'respiratory_rate', value: v, value2: null, unit: 'breaths/min', qualifier: null, start: m.index, end: m.index + m[0].length });
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
      add({ type: 'temperature', value: v, value2: null, unit: unit === 'F' ? '°F' : '°C', qualifier: null, start: m.index, end: m.index + m[0].length });
    }
  }
  for (const m of all(RE_SPO2, s)) {
    const v = Number(m[1]);
    if (v < 50 || v > 199) continue;
    // bare "oxygen 2" etc. is flow, not saturation; require % or a saturation word for values < 80
    if (!m[2] && !/sat|spo2|pulse ox|oxygenation/.test(m[0]) && v < 85) continue;
    add({ type: 'spo2', value: v, value2: null, unit: '%', qualifier: null, start: m.index, end: m.index + m[0].length });
  }
  for (const m of all(RE_WEIGHT, s)) {
    const v = Number(m[1]);
    const u = m[2]!;
    const kg = /^k/.test(u);
    if (kg ? v < 1 || v > 350 : v < 2 || v > 800) continue;
    add({ type: 'weight', value: v, value2: null, unit: kg ? 'kg' : 'lb', qualifier: null, start: m.index, end: m.index + m[0].length });
  }
  if (!out.some((o) => o.type === 'weight')) {
    for (const m of all(RE_WEIGHT_BARE, s)) {
      const v = Number(m[1]);
      if (v < 20 || v > 250) continue;
      add({ type: 'weight', value: v, value2: null, unit: 'kg', qualifier: null, start: m.index, end: m.index + m[0].length });
    }
  }
  for (const re of [RE_HEIGHT_CM, RE_HEIGHT_CM_AFTER]) {
    for (const m of all(re, s)) {
      let v = Number(m[1]);
      const u = m[2] ?? 'cm';
      if (/^m/.test(u)) v = Math.round(v * 100);
      if (v < 40 || v > 250) continue;
      add({ type: 'height', value: v, value2: null, unit: 'cm', qualifier: null, start: m.index, end: m.index + m[0].length });
    }
  }
  for (const m of all(RE_HEIGHT_FT, s)) {
    const ft = Number(m[1]);
    const inch = m[2] ? Number(m[2]) : 0;
    if (ft < 3 || ft > 7 || inch > 11) continue;
    // only with a height word nearby
    if (!/\b(?:height|tall|ht)\b/.test(s.slice(Math.max(0, m.index - 30), m.index + m[0].length + 15))) continue;
    add({ type: 'height', value: Math.round((ft * 12 + inch) * 2.54), value2: null, unit: 'cm', qualifier: null, start: m.index, end: m.index + m[0].length });
  }
  for (const m of all(RE_BMI, s)) {
    const v = Number(m[1]);
    if (v < 10 || v > 80) continue;
    add({ type: 'bmi', value: v, value2: null, unit: 'kg/m²', qualifier: null, start: m.index, end: m.index + m[0].length });
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
    add({ type: 'blood_sugar', value: v, value2: null, unit: mmol ? 'mmol/L' : 'mg/dL', qualifier, start: m.index, end: m.index + m[0].length });
  }
  return out.sort((a, b) => a.start - b.start);
}

function valueSpanOverlap(a: VitalReading, b: VitalReading): boolean {
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
