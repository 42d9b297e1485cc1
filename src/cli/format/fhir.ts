/**
 * `--format fhir`: a FHIR R4 `collection` Bundle — a Composition for the note (one section per
 * SOAP part), a MedicationStatement per medicine, an Observation per vital. Minimal but valid:
 * every resource has its required elements; references are urn:uuid full URLs.
 */
import { randomUUID } from 'node:crypto';
import type { SessionView } from '../../client/index.js';
import { medicationsOf, templateData, vitalRows, vitalsOf, type Soap } from './note.js';

type Resource = Record<string, unknown> & { resourceType: string };

/** LOINC codes for the vitals the extractor knows (the FHIR vital-signs profile's codes). */
const LOINC: Record<string, [code: string, display: string]> = {
  blood_pressure: ['85354-9', 'Blood pressure panel'],
  pulse: ['8867-4', 'Heart rate'],
  respiratory_rate: ['9279-1', 'Respiratory rate'],
  temperature: ['8310-5', 'Body temperature'],
  spo2: ['59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry'],
  weight: ['29463-7', 'Body weight'],
  height: ['8302-2', 'Body height'],
  bmi: ['39156-5', 'Body mass index (BMI) [Ratio]'],
};
const xhtml = (text: string) => `<div xmlns="http://www.w3.org/1999/xhtml">${text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</div>`;
const MED_STATUS: Record<string, string> = { stop: 'stopped', hold: 'on-hold' };
const vitalSignsCategory = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }];

export function toFhirBundle(session: SessionView, now = new Date()): Record<string, unknown> {
  const when = session.completed_at ?? now.toISOString();
  const entries: Array<{ fullUrl: string; resource: Resource }> = [];
  const add = (resource: Resource) => {
    const fullUrl = `urn:uuid:${randomUUID()}`;
    entries.push({ fullUrl, resource });
    return fullUrl;
  };
  const patient = add({ resourceType: 'Patient', id: 'patient', text: { status: 'generated', div: xhtml('Patient of this consultation') } });
  const subject = { reference: patient };

  const medRefs = medicationsOf(session).map((m) =>
    add({
      resourceType: 'MedicationStatement',
      status: MED_STATUS[m.action ?? ''] ?? 'active',
      medicationCodeableConcept: { text: m.name },
      subject,
      effectiveDateTime: when,
      dosage: [{ text: [m.dosage, m.frequency, m.route, m.duration, m.instructions].filter(Boolean).join(', ') || m.name }],
    }),
  );

  const obsRefs = vitalRows(vitalsOf(session)).map((v) => {
    const [code, display] = LOINC[v.name] ?? [undefined, v.name.replace(/_/g, ' ')];
    const concept = { ...(code ? { coding: [{ system: 'http://loinc.org', code, display }] } : {}), text: display };
    const quantity = (value: number) => ({ value, unit: v.unit, system: 'http://unitsofmeasure.org', code: v.unit });
    return add({
      resourceType: 'Observation',
      status: 'final',
      category: vitalSignsCategory,
      code: concept,
      subject,
      effectiveDateTime: when,
      ...(v.value2 !== undefined
        ? {
            component: [
              { code: { coding: [{ system: 'http://loinc.org', code: '8480-6', display: 'Systolic blood pressure' }] }, valueQuantity: quantity(v.value) },
              { code: { coding: [{ system: 'http://loinc.org', code: '8462-4', display: 'Diastolic blood pressure' }] }, valueQuantity: quantity(v.value2) },
            ],
          }
        : { valueQuantity: quantity(v.value) }),
    });
  });

  const soap = templateData<Soap>(session, 'soap');
  const section = (title: string, text: string | undefined, refs: string[] = []) => ({
    title,
    text: { status: 'generated', div: xhtml(text?.trim() || 'Nothing recorded.') },
    ...(refs.length ? { entry: refs.map((reference) => ({ reference })) } : {}),
  });
  const composition: Resource = {
    resourceType: 'Composition',
    status: 'final',
    type: { coding: [{ system: 'http://loinc.org', code: '11488-4', display: 'Consult note' }] },
    subject,
    date: when,
    author: [{ display: 'openscribe' }],
    title: 'Consultation note',
    section: [
      section('Subjective', soap?.subjective?.text),
      section('Objective', soap?.objective?.text, obsRefs),
      section('Assessment', soap?.assessment?.text),
      section('Plan', soap?.plan?.text, medRefs),
      section('Transcript', session.transcript),
    ],
  };
  // A document's Composition comes first; this is a collection, but keep the same order for readers.
  const compositionUrl = `urn:uuid:${randomUUID()}`;
  entries.unshift({ fullUrl: compositionUrl, resource: composition });
  return { resourceType: 'Bundle', id: session.session_id, type: 'collection', timestamp: now.toISOString(), entry: entries };
}
