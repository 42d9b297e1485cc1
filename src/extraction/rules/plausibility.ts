/**
 * Physiological plausibility of a vital sign. A reading outside these ranges is far
 * more likely a misheard or misspoken number than a measurement, so it is never
 * reported as one: it goes to the review list with the range it missed.
 */
import type { VitalReading, VitalType } from './vitals.js';

interface Range { min: number; max: number; unit: string }

/** Ranges a living patient in clinic can show (adult and child), by unit. */
const RANGES: Record<VitalType, Record<string, Range>> = {
  blood_pressure: { mmHg: { min: 50, max: 260, unit: 'mmHg' } },
  pulse: { bpm: { min: 25, max: 220, unit: 'bpm' } },
  respiratory_rate: { 'breaths/min': { min: 6, max: 60, unit: 'breaths/min' } },
  temperature: { '°F': { min: 93, max: 108, unit: '°F' }, '°C': { min: 34, max: 42.2, unit: '°C' } },
  spo2: { '%': { min: 60, max: 100, unit: '%' } },
  weight: { kg: { min: 1, max: 300, unit: 'kg' }, lb: { min: 2, max: 660, unit: 'lb' } },
  height: { cm: { min: 40, max: 230, unit: 'cm' } },
  bmi: { 'kg/m²': { min: 12, max: 70, unit: 'kg/m²' } },
  blood_sugar: { 'mg/dL': { min: 20, max: 600, unit: 'mg/dL' }, 'mmol/L': { min: 1.1, max: 33, unit: 'mmol/L' } },
};
const DIASTOLIC: Range = { min: 30, max: 160, unit: 'mmHg' };
const LABEL: Record<VitalType, string> = {
  blood_pressure: 'blood pressure', pulse: 'pulse', respiratory_rate: 'respiratory rate', temperature: 'temperature',
  spo2: 'oxygen saturation', weight: 'weight', height: 'height', bmi: 'BMI', blood_sugar: 'blood sugar',
};

/** Why the reading cannot be a measurement, or null when it is plausible. */
export function implausibility(r: Pick<VitalReading, 'type' | 'value' | 'value2' | 'unit'>): string | null {
  const range = RANGES[r.type][r.unit];
  if (!range) return null;
  const shown = r.type === 'blood_pressure' ? `${r.value}/${r.value2} ${r.unit}` : `${r.value} ${r.unit}`;
  const outside = (v: number, g: Range, what: string) =>
    v < g.min || v > g.max ? `implausible ${what} ${shown} (plausible ${g.min}–${g.max} ${g.unit}); not reported as a measurement` : null;
  if (r.type === 'blood_pressure') {
    const dia = r.value2 ?? 0;
    if (dia >= r.value) return `implausible blood pressure ${shown} (diastolic not below systolic); not reported as a measurement`;
    return outside(r.value, range, 'systolic blood pressure') ?? outside(dia, DIASTOLIC, 'diastolic blood pressure');
  }
  return outside(r.value, range, LABEL[r.type]);
}
