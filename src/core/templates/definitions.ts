/**
 * The standard templates: id, name, description, Eka document type, the JSON Schema
 * of the output, which extracted facets the rules extractor assembles it from, and
 * instructions for an LLM extractor. Adapters read these; core imports no adapter.
 */
import {
  clinicalNotesSchema, dischargeSummarySchema, ekaEmrSchema, hpiSchema, medicationsTemplateSchema, referralLetterSchema,
  soapSchema, transcriptSchema, vitalsSchema, type JsonSchema,
} from './schemas.js';

/** What the rules extractor finds; a template is assembled from some of these. */
export type Facet =
  | 'transcript' | 'chief_complaint' | 'symptoms' | 'vitals' | 'medications' | 'diagnoses' | 'allergies'
  | 'investigations' | 'advice' | 'follow_up' | 'referrals' | 'sections';

export interface TemplateRules {
  /** The rules-extractor builder that assembles this template's output. */
  builder: 'transcript' | 'soap' | 'medications' | 'vitals' | 'hpi' | 'discharge_summary' | 'referral_letter' | 'eka_emr' | 'clinical_notes';
  facets: readonly Facet[];
}

export interface TemplateSpec {
  id: string;
  name: string;
  description: string;
  /** Eka `document_type` of its output. */
  documentType: string;
  /** JSON Schema (draft-07) every output of this template validates against. */
  schema: JsonSchema;
  rules: TemplateRules;
  /** Instructions for an LLM extractor; the schema is given alongside. None: the rules extractor writes it (the verbatim transcript). */
  llmInstructions?: string;
}

const COMMON_LLM = [
  'Use only what is said in the transcript; never invent findings, doses or values.',
  'Every item must carry `evidence`: the transcript line index and character offsets [start, end) of the words it came from, with the exact text.',
  'Use null for anything not stated. Keep drug names as spoken (brand or generic) in `name` and give the generic in `generic_name`.',
  'Indian prescribing shorthand: OD = once daily, BD = twice daily, TDS = three times daily, QID = four times daily, HS = at bedtime, SOS = as needed; "1-0-1" = morning and night.',
  'A symptom the patient denies ("no fever", "denies chest pain") has status "absent", never "present".',
].join(' ');

export const TEMPLATE_SPECS: readonly TemplateSpec[] = [
  {
    id: 'transcript',
    name: 'Transcript',
    description: 'Full transcript of the recording, with speaker labels in consultation mode.',
    documentType: 'transcript',
    schema: transcriptSchema,
    rules: { builder: 'transcript', facets: ['transcript'] },
  },
  {
    id: 'soap',
    name: 'SOAP note',
    description: 'Subjective, Objective, Assessment and Plan sections.',
    documentType: 'soap_note',
    schema: soapSchema,
    rules: { builder: 'soap', facets: ['sections', 'chief_complaint', 'symptoms', 'allergies', 'vitals', 'investigations', 'diagnoses', 'medications', 'advice', 'referrals', 'follow_up'] },
    llmInstructions: `Write a SOAP note. Subjective: the history as the patient gives it (complaints, duration, negatives, current medicines, allergies). Objective: vitals, examination findings and results. Assessment: diagnoses or impressions with status (confirmed, provisional, history, ruled_out). Plan: medicines with action (start, continue, increase, decrease, stop, hold), investigations ordered, advice, referrals and follow-up. Each section has a readable \`text\` plus the structured lists. ${COMMON_LLM}`,
  },
  {
    id: 'medications',
    name: 'Medication list',
    description: 'Medicines with dose, frequency, route, duration, instructions and action.',
    documentType: 'medication_list',
    schema: medicationsTemplateSchema,
    rules: { builder: 'medications', facets: ['medications'] },
    llmInstructions: `List every medicine mentioned that the patient takes, is prescribed, or is told to change or stop, one item per drug, with dosage, frequency, route, duration, instructions (e.g. "after food") and action. Exclude drugs the patient is allergic to and drugs the patient says they do not take. ${COMMON_LLM}`,
  },
  {
    id: 'vitals',
    name: 'Vital signs',
    description: 'Blood pressure, pulse, respiratory rate, temperature, SpO2, weight, height, BMI, blood sugar.',
    documentType: 'vitals',
    schema: vitalsSchema,
    rules: { builder: 'vitals', facets: ['vitals'] },
    llmInstructions: `Extract vital signs with units: blood pressure (systolic/diastolic mmHg), pulse (bpm), respiratory rate, temperature (°F or °C), SpO2 (%), weight, height, BMI and blood sugar (fasting, random or post-prandial). When a sign is measured more than once give the latest in its field and all of them in \`readings\`. ${COMMON_LLM}`,
  },
  {
    id: 'hpi',
    name: 'History of present illness',
    description: 'Narrative history of the presenting complaint.',
    documentType: 'hpi',
    schema: hpiSchema,
    rules: { builder: 'hpi', facets: ['chief_complaint', 'symptoms', 'diagnoses', 'medications', 'allergies', 'sections'] },
    llmInstructions: `Write the history of present illness as a short narrative in the third person: the chief complaint, onset and duration, associated symptoms, pertinent negatives, relevant history and current medicines. ${COMMON_LLM}`,
  },
  {
    id: 'discharge_summary',
    name: 'Discharge summary',
    description: 'Diagnosis, course, medications on discharge and follow-up.',
    documentType: 'discharge_summary',
    schema: dischargeSummarySchema,
    rules: { builder: 'discharge_summary', facets: ['chief_complaint', 'diagnoses', 'symptoms', 'vitals', 'investigations', 'medications', 'allergies', 'advice', 'follow_up', 'sections'] },
    llmInstructions: `Write a discharge summary: presenting complaint, diagnoses, history, examination, investigations, course, medications on discharge (everything not stopped), medications stopped, advice and follow-up. ${COMMON_LLM}`,
  },
  {
    id: 'referral_letter',
    name: 'Referral letter',
    description: 'Letter to a colleague summarising the case and the question asked.',
    documentType: 'referral_letter',
    schema: referralLetterSchema,
    rules: { builder: 'referral_letter', facets: ['chief_complaint', 'symptoms', 'vitals', 'diagnoses', 'medications', 'investigations', 'allergies', 'referrals', 'sections'] },
    llmInstructions: `Write a referral letter to the specialty the patient is referred to: reason for referral (the question asked), presenting complaint, history, examination, working diagnoses, current medicines, investigations and allergies, ending with the letter text itself. ${COMMON_LLM}`,
  },
  {
    id: 'eka_emr_template',
    name: 'Eka EMR template',
    description: 'Chief complaint, symptoms with duration, diagnoses, medications, lab tests, advice and follow-up.',
    documentType: 'emr_prescription',
    schema: ekaEmrSchema,
    rules: { builder: 'eka_emr', facets: ['chief_complaint', 'symptoms', 'diagnoses', 'medications', 'investigations', 'advice', 'follow_up'] },
    llmInstructions: `Fill an Indian outpatient prescription: chief complaint, symptoms the patient has (with duration), diagnoses, medicines (with dose, frequency such as OD/BD/TDS or 1-0-1, duration, instructions such as "after food", and action), lab tests ordered, advice and follow-up. ${COMMON_LLM}`,
  },
  {
    id: 'clinical_notes_template',
    name: 'Clinical notes',
    description: 'Free-form clinical notes organised by section.',
    documentType: 'clinical_notes',
    schema: clinicalNotesSchema,
    rules: { builder: 'clinical_notes', facets: ['chief_complaint', 'symptoms', 'vitals', 'diagnoses', 'medications', 'allergies', 'investigations', 'advice', 'follow_up', 'referrals', 'sections'] },
    llmInstructions: `Write concise clinical notes as titled sections (Chief complaint, History, Examination, Assessment, Plan, Medications, Investigations, Advice, Follow-up), omitting sections with nothing to say. ${COMMON_LLM}`,
  },
];
