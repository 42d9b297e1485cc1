/** The templates this deployment can produce. Definitions grow with the extractor. */
export interface TemplateDefinition {
  id: string;
  name: string;
  description: string;
  /** Eka `document_type` of its output. */
  documentType: string;
}

export const STANDARD_TEMPLATES: readonly TemplateDefinition[] = [
  { id: 'transcript', name: 'Transcript', description: 'Full transcript of the recording, with speaker labels in consultation mode.', documentType: 'transcript' },
  { id: 'soap', name: 'SOAP note', description: 'Subjective, Objective, Assessment and Plan sections.', documentType: 'soap_note' },
  { id: 'medications', name: 'Medication list', description: 'Medicines with dose, frequency, route, duration, instructions and action.', documentType: 'medication_list' },
  { id: 'vitals', name: 'Vital signs', description: 'Blood pressure, pulse, respiratory rate, temperature, SpO2, weight, height, BMI, blood sugar.', documentType: 'vitals' },
  { id: 'hpi', name: 'History of present illness', description: 'Narrative history of the presenting complaint.', documentType: 'hpi' },
  { id: 'discharge_summary', name: 'Discharge summary', description: 'Diagnosis, course, medications on discharge and follow-up.', documentType: 'discharge_summary' },
  { id: 'referral_letter', name: 'Referral letter', description: 'Letter to a colleague summarising the case and the question asked.', documentType: 'referral_letter' },
  { id: 'eka_emr_template', name: 'Eka EMR template', description: 'Chief complaint, symptoms with duration, diagnoses, medications, lab tests, advice and follow-up.', documentType: 'emr_prescription' },
  { id: 'clinical_notes_template', name: 'Clinical notes', description: 'Free-form clinical notes organised by section.', documentType: 'clinical_notes' },
];

export class TemplateRegistry {
  private readonly byId: Map<string, TemplateDefinition>;
  constructor(readonly templates: readonly TemplateDefinition[] = STANDARD_TEMPLATES) {
    this.byId = new Map(templates.map((t) => [t.id, t]));
  }
  get(id: string): TemplateDefinition | undefined {
    return this.byId.get(id);
  }
  /** Templates a tenant may request; every tenant gets the standard set for now. */
  forTenant(_tenantId: string): readonly TemplateDefinition[] {
    return this.templates;
  }
}
