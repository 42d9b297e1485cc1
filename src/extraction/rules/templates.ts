/** Assembles each template's output from one Analysis. */
import type { ExtractionInput } from '../../core/ports/extractor.js';
import type { TemplateRules } from '../../core/templates/definitions.js';
import type { Analysis } from './analyze.js';
import { onMedicationList } from './medications.js';
import { composeNote } from './note/compose.js';
import { joinList, lowerFirst, medicationLine, symptomPhrase } from './phrasing.js';
import { latestReadings, VITAL_LABELS } from './vitals.js';
import type { DiagnosisItem, InvestigationItem, Statement, VitalItem } from './types.js';

type Data = Record<string, unknown>;

function vitalsData(vitals: VitalItem[]): Data {
  const latest = (t: VitalItem['type']) => [...vitals].reverse().find((v) => v.type === t);
  const one = (t: VitalItem['type']) => {
    const v = latest(t);
    return v ? { value: v.value, unit: v.unit, text: v.text, evidence: v.evidence } : null;
  };
  const bp = latest('blood_pressure');
  return {
    blood_pressure: bp ? { systolic: bp.value, diastolic: bp.value2 ?? 0, unit: bp.unit, text: bp.text, evidence: bp.evidence } : null,
    pulse: one('pulse'),
    respiratory_rate: one('respiratory_rate'),
    temperature: one('temperature'),
    spo2: one('spo2'),
    weight: one('weight'),
    height: one('height'),
    bmi: one('bmi'),
    blood_sugar: vitals.filter((v) => v.type === 'blood_sugar').map((v) => ({
      value: v.value,
      unit: v.unit,
      type: (['fasting', 'random', 'post_prandial'].includes(v.qualifier ?? '') ? v.qualifier : 'unspecified') as string,
      text: v.text,
      evidence: v.evidence,
    })),
    readings: vitals.map((v) => ({ type: v.type, value: v.value, value2: v.value2, unit: v.unit, qualifier: v.qualifier, text: v.text, evidence: v.evidence })),
  };
}

function vitalsText(vitals: VitalItem[]): string {
  return latestReadings(vitals)
    .map((v) => `${VITAL_LABELS[v.type]}${v.type === 'blood_sugar' && v.qualifier && v.qualifier !== 'unspecified' ? ` (${v.qualifier.replace('_', '-')})` : ''} ${v.text}`)
    .join(', ');
}

const statementsText = (ss: Statement[]) => ss.map((s) => tidySentence(s.text)).join(' ');
function tidySentence(t: string): string {
  const s = t.trim().replace(/\s+/g, ' ').replace(/\s+([,.;?!])/g, '$1');
  if (!s) return s;
  const cap = s[0]!.toUpperCase() + s.slice(1);
  return /[.!?]$/.test(cap) ? cap : `${cap}.`;
}

const diagnosisText = (d: DiagnosisItem) =>
  d.status === 'provisional' ? `${d.name} (provisional)` : d.status === 'history' ? `${d.name} (known)` : d.status === 'ruled_out' ? `${d.name} ruled out` : d.name;

/** Drugs on the patient's list: taken now or prescribed (not denied, past, hypothetical, family or allergens). */
const listedMeds = (a: Analysis) => a.medications.filter(onMedicationList);
const activeMeds = (a: Analysis) => listedMeds(a).filter((m) => m.action !== 'stop');
const currentMeds = (a: Analysis) => listedMeds(a).filter((m) => m.action === 'continue' || m.action === 'increase' || m.action === 'decrease' || m.action === 'hold');
const orderedTests = (a: Analysis) => a.investigations.filter((i) => i.status === 'ordered');
const results = (a: Analysis) => a.investigations.filter((i) => i.status === 'result');
const presentSymptoms = (a: Analysis) => a.symptoms.filter((s) => s.status === 'present');
const negatives = (a: Analysis) => a.symptoms.filter((s) => s.status === 'absent').map((s) => s.name);
/** The patient's diagnoses: a relative's conditions are not the patient's. */
const patientDiagnoses = (a: Analysis) => a.diagnoses.filter((d) => d.assertion !== 'family');
const workingDiagnoses = (a: Analysis) => patientDiagnoses(a).filter((d) => d.status === 'confirmed' || d.status === 'provisional');
const history = (a: Analysis) => patientDiagnoses(a).filter((d) => d.status === 'history');

function historyNarrative(a: Analysis): string {
  const parts: string[] = [];
  const present = presentSymptoms(a);
  if (present.length) parts.push(`Presents with ${joinList(present.map(symptomPhrase))}.`);
  else if (a.chiefComplaint) parts.push(`Presents for ${lowerFirst(a.chiefComplaint.text)}.`);
  const neg = negatives(a);
  if (neg.length) parts.push(`Denies ${joinList(neg.map(lowerFirst))}.`);
  const h = history(a);
  if (h.length) parts.push(`Known history of ${joinList(h.map((d) => lowerFirst(d.name)))}.`);
  const cur = listedMeds(a).filter((m) => m.action !== 'start');
  if (cur.length) parts.push(`Current medications: ${cur.map((m) => [m.name, m.dosage, m.frequency].filter(Boolean).join(' ')).join(', ')}.`);
  if (a.allergies.length) parts.push(`Allergies: ${a.allergies.map((x) => x.substance).join(', ')}.`);
  else if (a.noKnownAllergies) parts.push('No known allergies.');
  return parts.join(' ');
}

function examText(a: Analysis): string {
  const parts: string[] = [];
  const v = vitalsText(a.vitals);
  if (v) parts.push(`Vitals: ${v}.`);
  const exam = a.sections.objective;
  if (exam.length) parts.push(statementsText(exam));
  const r = results(a);
  if (r.length) parts.push(`Results reviewed: ${r.map((x) => x.name).join(', ')}.`);
  return parts.join(' ');
}

function planLines(a: Analysis): string[] {
  const out: string[] = [];
  for (const m of listedMeds(a)) out.push(medicationLine(m));
  const o = orderedTests(a);
  if (o.length) out.push(`Investigations: ${o.map((x) => x.name).join(', ')}`);
  for (const x of a.advice) out.push(`Advice: ${x.text}`);
  for (const r of a.referrals) out.push(`Referral: ${r.specialty}`);
  if (a.followUp) out.push(`Follow-up${a.followUp.interval ? (a.followUp.interval === 'as needed' ? ' as needed' : ` in ${a.followUp.interval}`) : ''}${a.followUp.condition ? ` ${a.followUp.condition}` : ''}`);
  return out;
}

// ── builders ────────────────────────────────────────────────────────────────
function transcript(a: Analysis, input: ExtractionInput): Data {
  const src = Array.isArray(input?.lines) ? input.lines : [];
  const lines = a.doc.lines.map((l, i) => {
    const o: Data = { index: i, speaker: l.speaker, text: l.nt.orig };
    const s = src[i]?.start;
    const e = src[i]?.end;
    if (typeof s === 'number' && Number.isFinite(s)) o.start = s;
    if (typeof e === 'number' && Number.isFinite(e)) o.end = e;
    return o;
  });
  const label = (sp: string) => (sp === 'doctor' ? 'Doctor' : sp === 'patient' ? 'Patient' : 'Speaker');
  const text = a.doc.mode === 'dictation'
    ? a.doc.lines.map((l) => l.nt.orig).join('\n')
    : a.doc.lines.map((l) => `${label(l.speaker)}: ${l.nt.orig}`).join('\n');
  return { mode: a.doc.mode, language: typeof input?.language === 'string' ? input.language : 'en', text, lines };
}

function soap(a: Analysis): Data {
  const subjText = [a.chiefComplaint ? `Chief complaint: ${a.chiefComplaint.text}.` : '', historyNarrative(a), statementsText(a.sections.subjective)].filter(Boolean).join(' ');
  const wd = workingDiagnoses(a);
  const assessText = [wd.length ? `${wd.map(diagnosisText).join('; ')}.` : '', history(a).length ? `Known: ${history(a).map((d) => d.name).join(', ')}.` : '', statementsText(a.sections.assessment)].filter(Boolean).join(' ');
  const planText = [planLines(a).map((l) => `${l.replace(/[.!?\s]+$/, '')}.`).join(' '), statementsText(a.sections.plan)].filter(Boolean).join(' ');
  return {
    subjective: {
      text: subjText,
      chief_complaint: a.chiefComplaint?.text ?? null,
      symptoms: a.symptoms,
      allergies: a.allergies,
      current_medications: currentMeds(a),
      statements: a.sections.subjective,
    },
    objective: { text: examText(a), vitals: vitalsData(a.vitals), results: results(a), statements: a.sections.objective },
    assessment: { text: assessText, diagnoses: patientDiagnoses(a), statements: a.sections.assessment },
    plan: {
      text: planText,
      medications: listedMeds(a),
      investigations: orderedTests(a),
      advice: a.advice,
      referrals: a.referrals,
      follow_up: a.followUp,
      statements: a.sections.plan,
    },
  };
}

function hpi(a: Analysis): Data {
  const narrative = [historyNarrative(a), statementsText(a.sections.subjective)].filter(Boolean).join(' ');
  return {
    chief_complaint: a.chiefComplaint?.text ?? null,
    text: narrative,
    symptoms: presentSymptoms(a),
    pertinent_negatives: negatives(a),
    history: history(a),
    current_medications: listedMeds(a).filter((m) => m.action !== 'start'),
    allergies: a.allergies,
    statements: a.sections.subjective,
  };
}

function dischargeSummary(a: Analysis): Data {
  const wd = workingDiagnoses(a);
  const dx = wd.length ? wd : patientDiagnoses(a).filter((d) => d.status !== 'ruled_out');
  const hist = historyNarrative(a);
  const exam = examText(a);
  const course = statementsText([...a.sections.assessment, ...a.sections.plan]);
  const onDischarge = activeMeds(a);
  const stopped = listedMeds(a).filter((m) => m.action === 'stop');
  const text = [
    a.chiefComplaint ? `Presenting complaint: ${a.chiefComplaint.text}.` : '',
    dx.length ? `Diagnoses: ${dx.map(diagnosisText).join('; ')}.` : '',
    hist ? `History: ${hist}` : '',
    exam ? `Examination: ${exam}` : '',
    orderedTests(a).length || results(a).length ? `Investigations: ${a.investigations.filter((i) => i.status !== 'mentioned').map((i) => i.name).join(', ')}.` : '',
    onDischarge.length ? `Medications on discharge: ${onDischarge.map((m) => medicationLine(m).replace(/^(Start|Continue|Increase|Decrease|Hold) /, '')).join('; ')}.` : '',
    stopped.length ? `Stopped: ${stopped.map((m) => m.name).join(', ')}.` : '',
    a.advice.length ? `Advice: ${a.advice.map((x) => x.text).join(' ')}` : '',
    a.followUp ? `Follow-up: ${a.followUp.text}` : '',
  ].filter(Boolean).join('\n');
  return {
    presenting_complaint: a.chiefComplaint?.text ?? null,
    diagnoses: dx,
    history: hist,
    examination: exam,
    investigations: a.investigations.filter((i) => i.status !== 'mentioned'),
    course,
    medications_on_discharge: onDischarge,
    medications_stopped: stopped,
    allergies: a.allergies,
    advice: a.advice,
    follow_up: a.followUp,
    text,
  };
}

function referralLetter(a: Analysis): Data {
  const ref = a.referrals[0] ?? null;
  const wd = workingDiagnoses(a);
  const hist = historyNarrative(a);
  const exam = examText(a);
  const meds = activeMeds(a);
  const invs = a.investigations.filter((i) => i.status !== 'mentioned');
  const reason = ref ? ref.text : wd.length ? `Assessment and management of ${joinList(wd.map((d) => lowerFirst(d.name)))}` : null;
  const letter = [
    `Dear ${ref ? `${ref.specialty} colleague` : 'colleague'},`,
    '',
    `Thank you for seeing this patient${a.chiefComplaint ? `, who presents with ${lowerFirst(a.chiefComplaint.text)}` : ''}.${reason ? ` Reason for referral: ${reason.replace(/[.\s]+$/, '')}.` : ''}`,
    hist ? `History: ${hist}` : '',
    exam ? `Examination: ${exam}` : '',
    wd.length ? `Working diagnosis: ${wd.map(diagnosisText).join('; ')}.` : '',
    meds.length ? `Current medications: ${meds.map((m) => [m.name, m.dosage, m.frequency].filter(Boolean).join(' ')).join('; ')}.` : '',
    invs.length ? `Investigations: ${invs.map((i) => `${i.name} (${i.status})`).join(', ')}.` : '',
    a.allergies.length ? `Allergies: ${a.allergies.map((x) => x.substance).join(', ')}.` : a.noKnownAllergies ? 'No known allergies.' : '',
    '',
    'Kind regards,',
  ].filter((l, i, arr) => l !== '' || (arr[i - 1] !== '' && i > 0)).join('\n');
  return {
    recipient_specialty: ref?.specialty ?? null,
    reason_for_referral: reason,
    presenting_complaint: a.chiefComplaint?.text ?? null,
    history: hist,
    examination: exam,
    diagnoses: wd,
    current_medications: meds,
    investigations: invs,
    allergies: a.allergies,
    referrals: a.referrals,
    letter,
  };
}

function ekaEmr(a: Analysis): Data {
  const labs: InvestigationItem[] = orderedTests(a);
  return {
    chief_complaint: a.chiefComplaint?.text ?? null,
    symptoms: presentSymptoms(a),
    diagnoses: patientDiagnoses(a).filter((d) => d.status !== 'ruled_out'),
    medications: listedMeds(a),
    lab_tests: labs,
    advice: a.advice,
    follow_up: a.followUp,
  };
}

function clinicalNotes(a: Analysis): Data {
  return { sections: composeNote(a) };
}

export const BUILDERS: Record<TemplateRules['builder'], (a: Analysis, input: ExtractionInput) => Data> = {
  transcript,
  soap: (a) => soap(a),
  medications: (a) => ({ medications: listedMeds(a) }),
  vitals: (a) => vitalsData(a.vitals),
  hpi: (a) => hpi(a),
  discharge_summary: (a) => dischargeSummary(a),
  referral_letter: (a) => referralLetter(a),
  eka_emr: (a) => ekaEmr(a),
  clinical_notes: (a) => clinicalNotes(a),
};
