/** Shapes of what the rules extract; templates assemble these into their outputs. */
import type { Evidence } from '../../core/ports/extractor.js';
import type { MedAction } from './dosing.js';
import type { VitalType } from './vitals.js';

/**
 * What a statement asserts about the patient, and the cue that set it:
 * present (has it / takes it), absent (denied), possible (hypothetical, uncertain,
 * conditional, an example), historical (past, no longer), family (someone else's),
 * allergy (named as an allergen), planned (to be started or done).
 */
export type Assertion = 'present' | 'absent' | 'possible' | 'historical' | 'family' | 'allergy' | 'planned';

export interface Asserted {
  assertion: Assertion;
  /** The words that set the assertion ("denies", "if", "used to", the question answered "no"); null for a plain statement. */
  assertion_cue: string | null;
}

export type { ReviewItem } from '../../core/ports/extractor.js';

export interface MedicationItem extends Asserted {
  /** As named in the transcript (brand or generic), display case. */
  name: string;
  generic_name: string;
  brand_name: string | null;
  drug_class: string | null;
  /** "500 mg", "1 tablet", "5-10 ml". */
  dosage: string | null;
  dose_value: number | null;
  dose_unit: string | null;
  route: string | null;
  /** OD, BD, TDS, QID, HS, SOS, STAT, 1-0-1, q6h, weekly… */
  frequency: string | null;
  frequency_per_day: number | null;
  /** "5 days", "2 weeks". */
  duration: string | null;
  duration_days: number | null;
  /** "after food", "before breakfast"… joined with "; ". */
  instructions: string | null;
  action: MedAction;
  evidence: Evidence[];
}

export interface SymptomItem extends Asserted {
  name: string;
  status: 'present' | 'absent';
  duration: string | null;
  duration_days: number | null;
  evidence: Evidence[];
}

export type DiagnosisStatus = 'confirmed' | 'provisional' | 'history' | 'ruled_out';

export interface DiagnosisItem extends Asserted {
  name: string;
  status: DiagnosisStatus;
  evidence: Evidence[];
}

export interface AllergyItem {
  substance: string;
  reaction: string | null;
  evidence: Evidence[];
}

export interface InvestigationItem {
  name: string;
  status: 'ordered' | 'result' | 'mentioned';
  evidence: Evidence[];
}

export interface AdviceItem {
  text: string;
  evidence: Evidence[];
}

export interface FollowUpItem {
  /** "2 weeks", "3-5 days", "as needed". */
  interval: string | null;
  days: number | null;
  /** "or earlier if bleeding or severe abdominal pain". */
  condition: string | null;
  text: string;
  evidence: Evidence[];
}

export interface ReferralItem {
  specialty: string;
  text: string;
  evidence: Evidence[];
}

/** A vital sign said in the transcript. `assertion`: present (a reading of this visit or the patient's
 * own current reading), historical (another encounter's), planned (a target), possible (a threshold,
 * condition or range); only present ones are reported as vitals. */
export interface VitalItem extends Asserted {
  type: VitalType;
  value: number;
  /** Diastolic for blood pressure, else null. */
  value2: number | null;
  unit: string;
  qualifier: string | null;
  /** "158/96 mmHg". */
  text: string;
  evidence: Evidence[];
}

export interface Statement {
  text: string;
  evidence: Evidence[];
}

export type SoapSection = 'subjective' | 'objective' | 'assessment' | 'plan';
