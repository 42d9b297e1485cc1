/**
 * JSON Schemas (draft-07, plain objects) of every standard template's output. Every
 * extracted item carries `evidence`: the transcript spans it came from.
 */
export type JsonSchema = Record<string, unknown>;

const str: JsonSchema = { type: 'string' };
const nstr: JsonSchema = { type: ['string', 'null'] };
const nnum: JsonSchema = { type: ['number', 'null'] };

const obj = (properties: Record<string, JsonSchema>, nullable = false): JsonSchema => ({
  type: nullable ? ['object', 'null'] : 'object',
  additionalProperties: false,
  required: Object.keys(properties),
  properties,
});
const arr = (items: JsonSchema): JsonSchema => ({ type: 'array', items });

export const evidenceSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['line', 'start', 'end', 'text'],
  properties: {
    line: { type: 'integer', minimum: 0 },
    start: { type: 'integer', minimum: 0 },
    end: { type: 'integer', minimum: 0 },
    text: str,
  },
};
const evidence = arr(evidenceSchema);

export const ASSERTIONS = ['present', 'absent', 'possible', 'historical', 'family', 'allergy', 'planned'] as const;
/** What a statement asserts about the patient, and the words that set it. */
const asserted = { assertion: { enum: [...ASSERTIONS] }, assertion_cue: nstr };

/** Something the clinician should check before signing. */
export const reviewItemSchema = obj({ field: { type: 'string', minLength: 1 }, reason: { type: 'string', minLength: 1 }, evidence });
export const reviewListSchema = arr(reviewItemSchema);

export const MEDICATION_ACTIONS = ['start', 'continue', 'increase', 'decrease', 'stop', 'hold'] as const;

export const medicationSchema = obj({
  name: { type: 'string', minLength: 1 },
  generic_name: { type: 'string', minLength: 1 },
  brand_name: nstr,
  drug_class: nstr,
  dosage: nstr,
  dose_value: nnum,
  dose_unit: nstr,
  route: nstr,
  frequency: nstr,
  frequency_per_day: nnum,
  duration: nstr,
  duration_days: nnum,
  instructions: nstr,
  action: { enum: [...MEDICATION_ACTIONS] },
  ...asserted,
  evidence,
});

export const symptomSchema = obj({
  name: { type: 'string', minLength: 1 },
  status: { enum: ['present', 'absent'] },
  duration: nstr,
  duration_days: nnum,
  ...asserted,
  evidence,
});

export const diagnosisSchema = obj({
  name: { type: 'string', minLength: 1 },
  status: { enum: ['confirmed', 'provisional', 'history', 'ruled_out'] },
  ...asserted,
  evidence,
});

export const allergySchema = obj({ substance: { type: 'string', minLength: 1 }, reaction: nstr, evidence });

export const investigationSchema = obj({
  name: { type: 'string', minLength: 1 },
  status: { enum: ['ordered', 'result', 'mentioned'] },
  evidence,
});

export const adviceSchema = obj({ text: str, evidence });
export const statementSchema = obj({ text: str, evidence });
export const referralSchema = obj({ specialty: str, text: str, evidence });
export const followUpSchema = obj({ interval: nstr, days: nnum, condition: nstr, text: str, evidence }, true);

const vitalValue = obj({ value: { type: 'number' }, unit: str, text: str, evidence }, true);
export const VITAL_TYPES = ['blood_pressure', 'pulse', 'respiratory_rate', 'temperature', 'spo2', 'weight', 'height', 'bmi', 'blood_sugar'] as const;

export const vitalsSchema = obj({
  blood_pressure: obj({ systolic: { type: 'number' }, diastolic: { type: 'number' }, unit: str, text: str, evidence }, true),
  pulse: vitalValue,
  respiratory_rate: vitalValue,
  temperature: vitalValue,
  spo2: vitalValue,
  weight: vitalValue,
  height: vitalValue,
  bmi: vitalValue,
  blood_sugar: arr(obj({
    value: { type: 'number' },
    unit: str,
    type: { enum: ['fasting', 'random', 'post_prandial', 'unspecified'] },
    text: str,
    evidence,
  })),
  readings: arr(obj({
    type: { enum: [...VITAL_TYPES] },
    value: { type: 'number' },
    value2: nnum,
    unit: str,
    qualifier: nstr,
    text: str,
    evidence,
  })),
});

const statements = arr(statementSchema);

export const transcriptSchema = obj({
  mode: { enum: ['dictation', 'consultation'] },
  language: str,
  text: str,
  lines: arr({
    type: 'object',
    additionalProperties: false,
    required: ['index', 'speaker', 'text'],
    properties: {
      index: { type: 'integer', minimum: 0 },
      speaker: { enum: ['doctor', 'patient', 'unknown'] },
      text: str,
      start: { type: 'number' },
      end: { type: 'number' },
    },
  }),
});

export const soapSchema = obj({
  subjective: obj({ text: str, chief_complaint: nstr, symptoms: arr(symptomSchema), allergies: arr(allergySchema), current_medications: arr(medicationSchema), statements }),
  objective: obj({ text: str, vitals: vitalsSchema, results: arr(investigationSchema), statements }),
  assessment: obj({ text: str, diagnoses: arr(diagnosisSchema), statements }),
  plan: obj({
    text: str,
    medications: arr(medicationSchema),
    investigations: arr(investigationSchema),
    advice: arr(adviceSchema),
    referrals: arr(referralSchema),
    follow_up: followUpSchema,
    statements,
  }),
});

export const medicationsTemplateSchema = obj({ medications: arr(medicationSchema) });

export const hpiSchema = obj({
  chief_complaint: nstr,
  text: str,
  symptoms: arr(symptomSchema),
  pertinent_negatives: arr(str),
  history: arr(diagnosisSchema),
  current_medications: arr(medicationSchema),
  allergies: arr(allergySchema),
  statements,
});

export const dischargeSummarySchema = obj({
  presenting_complaint: nstr,
  diagnoses: arr(diagnosisSchema),
  history: str,
  examination: str,
  investigations: arr(investigationSchema),
  course: str,
  medications_on_discharge: arr(medicationSchema),
  medications_stopped: arr(medicationSchema),
  allergies: arr(allergySchema),
  advice: arr(adviceSchema),
  follow_up: followUpSchema,
  text: str,
});

export const referralLetterSchema = obj({
  recipient_specialty: nstr,
  reason_for_referral: nstr,
  presenting_complaint: nstr,
  history: str,
  examination: str,
  diagnoses: arr(diagnosisSchema),
  current_medications: arr(medicationSchema),
  investigations: arr(investigationSchema),
  allergies: arr(allergySchema),
  referrals: arr(referralSchema),
  letter: str,
});

export const ekaEmrSchema = obj({
  chief_complaint: nstr,
  symptoms: arr(symptomSchema),
  diagnoses: arr(diagnosisSchema),
  medications: arr(medicationSchema),
  lab_tests: arr(investigationSchema),
  advice: arr(adviceSchema),
  follow_up: followUpSchema,
});

export const clinicalNotesSchema = obj({
  sections: arr(obj({ title: { type: 'string', minLength: 1 }, content: str, evidence })),
});
