/** Reads the parts of a finished Get Session body the formatters need, whatever templates_format was used. */
import type { SessionView, TemplateResult } from '../../client/index.js';

export interface Medication {
  name: string;
  dosage?: string | null;
  frequency?: string | null;
  route?: string | null;
  duration?: string | null;
  instructions?: string | null;
  action?: string;
}

export interface SoapSection {
  text?: string;
}

export interface Soap {
  subjective?: SoapSection;
  objective?: SoapSection & { vitals?: Vitals };
  assessment?: SoapSection;
  plan?: SoapSection & { medications?: Medication[] };
}

export type VitalValue = { value: number; unit: string; text?: string } | null;
export interface Vitals {
  blood_pressure?: { systolic: number; diastolic: number; unit: string } | null;
  [name: string]: unknown;
}

/** `templates` as id → result (Eka arrays and MSA objects both). */
export function templatesOf(session: SessionView): Record<string, TemplateResult> {
  const t = session.templates;
  if (!t) return {};
  if (Array.isArray(t)) return Object.assign({}, ...t) as Record<string, TemplateResult>;
  return t;
}

export function templateData<T>(session: SessionView, id: string): T | undefined {
  const t = templatesOf(session)[id];
  return t && t.status === 'success' ? (t.data as T) : undefined;
}

/** Medications from the medications template, else the SOAP plan; one entry per name. */
export function medicationsOf(session: SessionView): Medication[] {
  const fromTemplate = templateData<{ medications?: Medication[] }>(session, 'medications')?.medications;
  const soap = templateData<Soap>(session, 'soap');
  const all = fromTemplate ?? [...(soap?.plan?.medications ?? [])];
  const seen = new Set<string>();
  return all.filter((m) => !seen.has(m.name.toLowerCase()) && seen.add(m.name.toLowerCase()));
}

/** Vitals from the vitals template, else the SOAP objective section. */
export function vitalsOf(session: SessionView): Vitals | undefined {
  return templateData<Vitals>(session, 'vitals') ?? templateData<Soap>(session, 'soap')?.objective?.vitals;
}

/** [name, value text, unit, numeric value(s)] per vital present. */
export function vitalRows(v: Vitals | undefined): Array<{ name: string; value: number; value2?: number; unit: string }> {
  if (!v) return [];
  const rows: Array<{ name: string; value: number; value2?: number; unit: string }> = [];
  for (const [name, raw] of Object.entries(v)) {
    if (name === 'readings' || name === 'blood_sugar' || !raw || typeof raw !== 'object') continue;
    if (name === 'blood_pressure') {
      const bp = raw as { systolic: number; diastolic: number; unit: string };
      rows.push({ name, value: bp.systolic, value2: bp.diastolic, unit: bp.unit });
    } else {
      const x = raw as { value?: unknown; unit?: unknown };
      if (typeof x.value === 'number') rows.push({ name, value: x.value, unit: String(x.unit ?? '') });
    }
  }
  for (const s of (v.blood_sugar as Array<{ value: number; unit: string; type: string }> | undefined) ?? []) {
    rows.push({ name: `blood_sugar${s.type && s.type !== 'unspecified' ? ` (${s.type})` : ''}`, value: s.value, unit: s.unit });
  }
  return rows;
}
