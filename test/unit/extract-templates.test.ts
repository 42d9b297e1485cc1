import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { extractTemplates, parseTranscriptText, RulesExtractor } from '../../src/extraction/rules/index.js';
import { TEMPLATE_SPECS } from '../../src/core/templates/definitions.js';
import { TemplateRegistry } from '../../src/core/templates/registry.js';
import type { Evidence, ExtractionInput, TemplateExtraction, TranscriptLine } from '../../src/core/ports/extractor.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const audioDir = path.resolve(root, '..', 'shared', 'data', 'audio');
const IDS = TEMPLATE_SPECS.map((t) => t.id);

// ajv is CommonJS; createRequire keeps its default export simple under ESM + tsx.
interface AjvLike { compile(schema: object): ValidateFunction; errorsText(errors?: ValidateFunction['errors']): string }
const Ajv = (createRequire(import.meta.url)('ajv') as { default: new (opts: object) => AjvLike }).default;
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
const validators = new Map(TEMPLATE_SPECS.map((t) => [t.id, ajv.compile(t.schema)]));

function allEvidence(x: unknown, out: Evidence[] = []): Evidence[] {
  if (Array.isArray(x)) x.forEach((y) => allEvidence(y, out));
  else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if (k === 'evidence' && Array.isArray(v)) out.push(...(v as Evidence[]));
      else allEvidence(v, out);
    }
  }
  return out;
}

/** Every template succeeds, validates against its schema, and every evidence span is real text. */
function checkAll(input: ExtractionInput): Record<string, TemplateExtraction> {
  const res = extractTemplates(IDS, input);
  for (const id of IDS) {
    const r = res[id]!;
    assert.equal(r.status, 'success', `${id}: ${JSON.stringify(r)}`);
    if (r.status !== 'success') continue;
    const validate = validators.get(id)!;
    assert.ok(validate(r.data), `${id}: ${ajv.errorsText(validate.errors)}`);
    assert.doesNotThrow(() => JSON.stringify(r.data));
    for (const e of allEvidence(r.data)) {
      const line = input.lines[e.line];
      assert.ok(line, `${id}: evidence line ${e.line} exists`);
      assert.ok(e.start <= e.end && e.end <= line.text.length, `${id}: span in range`);
      assert.equal(line.text.slice(e.start, e.end), e.text, `${id}: evidence text matches the transcript`);
    }
  }
  return res;
}

const data = <T>(r: TemplateExtraction | undefined): T => {
  assert.ok(r && r.status === 'success');
  return r.data as T;
};

interface Med { name: string; generic_name: string; dosage: string | null; frequency: string | null; instructions: string | null; action: string; duration: string | null; evidence: Evidence[] }

test('the hypertension consultation script', () => {
  const text = fs.readFileSync(path.join(audioDir, 'consult-hypertension.txt'), 'utf8');
  const lines = parseTranscriptText(text);
  assert.equal(lines[0]!.speaker, 'doctor');
  assert.equal(lines[1]!.speaker, 'patient');
  const input: ExtractionInput = { lines, mode: 'consultation', language: 'en' };
  const res = checkAll(input);

  const meds = data<{ medications: Med[] }>(res.medications).medications;
  const byName = Object.fromEntries(meds.map((m) => [m.generic_name, m]));
  assert.deepEqual(Object.keys(byName).sort(), ['amlodipine', 'metformin']);
  const aml = byName.amlodipine!;
  assert.deepEqual([aml.dosage, aml.frequency, aml.action], ['5 mg', 'OD', 'start']);
  const met = byName.metformin!;
  assert.deepEqual([met.dosage, met.frequency, met.instructions, met.action], ['500 mg', 'BD', 'after food', 'continue']);
  // evidence points at the words
  assert.ok(aml.evidence.some((e) => /^amlodipine five milligrams once daily/.test(e.text)), JSON.stringify(aml.evidence));
  assert.ok(met.evidence.some((e) => lines[e.line]!.speaker === 'doctor' && /^metformin five hundred milligrams twice daily after food$/.test(e.text)), JSON.stringify(met.evidence));

  const vitals = data<{ blood_pressure: { systolic: number; diastolic: number; evidence: Evidence[] }; pulse: { value: number }; temperature: { value: number; unit: string } }>(res.vitals);
  assert.deepEqual([vitals.blood_pressure.systolic, vitals.blood_pressure.diastolic], [158, 96]);
  assert.match(vitals.blood_pressure.evidence[0]!.text, /one fifty eight over ninety six$/);
  assert.equal(vitals.pulse.value, 82);
  assert.deepEqual([vitals.temperature.value, vitals.temperature.unit], [98.4, '°F']);

  const emr = data<{ chief_complaint: string; symptoms: { name: string; duration: string }[]; lab_tests: { name: string; status: string }[]; follow_up: { interval: string; days: number }; diagnoses: { name: string; status: string }[]; advice: { text: string }[] }>(res.eka_emr_template);
  assert.deepEqual(emr.lab_tests.map((t) => t.name), ['Lipid profile', 'Kidney function test']);
  assert.deepEqual([emr.follow_up.interval, emr.follow_up.days], ['2 weeks', 14]);
  assert.deepEqual(emr.symptoms.map((s) => [s.name, s.duration]), [['Headache', '2 weeks']]);
  assert.ok(emr.diagnoses.some((d) => d.name === 'Hypertension' && d.status === 'confirmed'));
  assert.ok(emr.advice.some((a) => /salt/i.test(a.text)));

  const hpi = data<{ pertinent_negatives: string[] }>(res.hpi);
  assert.deepEqual(new Set(hpi.pertinent_negatives), new Set(['Chest pain', 'Shortness of breath', 'Blurred vision']));

  const soap = data<{ subjective: { text: string }; objective: { text: string }; assessment: { text: string }; plan: { text: string; statements: { text: string }[] } }>(res.soap);
  assert.match(soap.objective.text, /BP 158\/96 mmHg/);
  assert.match(soap.assessment.text, /Hypertension/);
  assert.match(soap.plan.text, /Start Amlodipine 5 mg OD/);
  assert.ok(soap.plan.statements.some((s) => /lipid profile/.test(s.text)));
  assert.match(soap.subjective.text, /headaches for the last two weeks/);
});

test('the fever dictation with Indian shorthand', () => {
  const text = fs.readFileSync(path.join(audioDir, 'dictation-fever.txt'), 'utf8');
  const lines = parseTranscriptText(text, { defaultSpeaker: 'doctor' });
  const res = checkAll({ lines, mode: 'dictation', language: 'en' });
  const meds = data<{ medications: Med[] }>(res.medications).medications;
  assert.deepEqual(meds.map((m) => [m.generic_name, m.dosage, m.frequency, m.duration, m.instructions, m.action]), [
    ['paracetamol', '650 mg', '1-0-1', '5 days', 'after food', 'start'],
    ['cetirizine', '10 mg', 'HS', '3 days', null, 'start'],
  ]);
  const emr = data<{ symptoms: { name: string; duration: string }[]; diagnoses: { name: string; status: string }[]; lab_tests: { name: string }[]; follow_up: { days: number; condition: string } }>(res.eka_emr_template);
  assert.deepEqual(emr.symptoms.map((s) => [s.name, s.duration]), [['Fever', '3 days'], ['Body ache', '3 days']]);
  assert.deepEqual(emr.diagnoses.map((d) => [d.name, d.status]), [['Viral fever', 'confirmed'], ['Dengue', 'provisional']]);
  assert.deepEqual(emr.lab_tests.map((t) => t.name), ['Complete blood count', 'Dengue NS1 antigen']);
  assert.equal(emr.follow_up.days, 3);
  assert.match(emr.follow_up.condition, /bleeding/);
  const hpi = data<{ pertinent_negatives: string[] }>(res.hpi);
  assert.deepEqual(new Set(hpi.pertinent_negatives), new Set(['Cough', 'Vomiting']));
});

test('a consultation with allergies, a stop and a referral', () => {
  const lines = parseTranscriptText([
    '[doctor] what brings you in today ?',
    "[patient] i've had a sore throat for five days and some fever . i'm allergic to penicillin , i get a rash .",
    '[doctor] are you taking any medicines ?',
    '[patient] i take telma 40 every morning and ecosprin 75 .',
    '[doctor] stop the ecosprin for now . i am starting azithromycin 500 mg once a day for 3 days . gargle with warm salt water .',
    "[doctor] your oxygen saturation is 97 % . i'll refer you to an ent specialist . see me in 1 week .",
  ].join('\n'));
  const res = checkAll({ lines, mode: 'consultation', language: 'en' });
  const meds = data<{ medications: Med[] }>(res.medications).medications;
  assert.deepEqual(meds.map((m) => [m.generic_name, m.dosage, m.action]), [
    ['telmisartan', '40 mg', 'continue'],
    ['aspirin', '75 mg', 'stop'],
    ['azithromycin', '500 mg', 'start'],
  ]);
  const soap = data<{ subjective: { allergies: { substance: string; reaction: string }[] }; plan: { referrals: { specialty: string }[]; follow_up: { interval: string } } }>(res.soap);
  assert.deepEqual(soap.subjective.allergies.map((a) => [a.substance, a.reaction]), [['penicillin', 'rash']]);
  assert.deepEqual(soap.plan.referrals.map((r) => r.specialty), ['ENT']);
  assert.equal(soap.plan.follow_up.interval, '1 week');
  const letter = data<{ recipient_specialty: string; letter: string }>(res.referral_letter);
  assert.equal(letter.recipient_specialty, 'ENT');
  assert.match(letter.letter, /^Dear ENT colleague,/);
  const dis = data<{ medications_stopped: Med[]; medications_on_discharge: Med[] }>(res.discharge_summary);
  assert.deepEqual(dis.medications_stopped.map((m) => m.generic_name), ['aspirin']);
  assert.deepEqual(dis.medications_on_discharge.map((m) => m.generic_name), ['telmisartan', 'azithromycin']);
});

test('unknown template ids fail with template_not_found; the extractor port', async () => {
  const input: ExtractionInput = { lines: [{ speaker: 'doctor', text: 'Continue metformin 500 mg BD.' }], mode: 'dictation', language: 'en' };
  const res = extractTemplates(['nope', 'medications', '__proto__', 'constructor'], input);
  for (const id of ['nope', '__proto__', 'constructor']) {
    const r = res[id];
    assert.ok(r && r.status === 'failed' && r.error.code === 'template_not_found', id);
  }
  assert.equal(res.medications!.status, 'success');
  const ex = new RulesExtractor();
  assert.equal(ex.id, 'rules');
  const ok = await ex.extract('medications', input);
  assert.equal(ok.status, 'success');
  const bad = await ex.extract('soap_v2', input);
  assert.deepEqual(bad.status === 'failed' && bad.error.code, 'template_not_found');
  // the registry keeps its API and now carries schemas
  const reg = new TemplateRegistry();
  assert.deepEqual(reg.forTenant('t').map((t) => t.id), IDS);
  assert.equal(reg.get('soap')!.documentType, 'soap_note');
  assert.ok(reg.get('eka_emr_template')!.schema);
});

test('parseTranscriptText understands the usual speaker prefixes', () => {
  const l = (t: string) => parseTranscriptText(t).map((x) => [x.speaker, x.text]);
  assert.deepEqual(l('D|Hello.\nP|Hi doctor.'), [['doctor', 'Hello.'], ['patient', 'Hi doctor.']]);
  assert.deepEqual(l('Doctor: Any fever?\nPatient: No.\n\nDr: Okay.'), [['doctor', 'Any fever?'], ['patient', 'No.'], ['doctor', 'Okay.']]);
  assert.deepEqual(l('[doctor] hi .\n[patient] hello .'), [['doctor', 'hi .'], ['patient', 'hello .']]);
  // ACI-BENCH tags a relative [patient_guest]: not the patient, and the tag never stays in the text
  assert.deepEqual(l('[patient_guest] she has been coughing .'), [['unknown', 'she has been coughing .']]);
  assert.deepEqual(l('Fever for three days.\nNo cough.'), [['unknown', 'Fever for three days.'], ['unknown', 'No cough.']]);
  assert.deepEqual(parseTranscriptText('Fever.', { defaultSpeaker: 'doctor' }).map((x) => x.speaker), ['doctor']);
  assert.deepEqual(parseTranscriptText(''), []);
});

const WORDS = [
  'no', 'not', 'denies', 'fever', 'cough', 'chest', 'pain', 'for', 'three', 'days', 'since', '2', 'weeks', 'metformin', 'dolo', 'pan', '650', '500', 'mg',
  'milligrams', 'bd', 'od', 'tds', '1-0-1', 'one', 'zero', 'after', 'food', 'start', 'stop', 'continue', 'increase', 'blood', 'pressure', 'over', '158',
  '96', 'pulse', 'temperature', 'point', 'ninety', 'eight', 'allergic', 'to', 'penicillin', 'lipid', 'profile', 'cbc', 'x-ray', 'follow', 'up', 'in',
  'review', 'after', 'refer', 'cardiologist', 'i', 'think', 'hypertension', 'diabetes', 'rule', 'out', 'dengue', 'sugar', 'fasting', '?', '.', ',',
  'yes', 'okay', 'tablet', 'every', '8', 'hours', 'sos', 'reduce', 'salt', 'walk', 'drink', 'fluids', 'if', 'bleeding', '/', '-', '%', 'kg', 'spo2',
];

test('random text never throws and always validates', () => {
  const speaker = fc.constantFrom<TranscriptLine['speaker']>('doctor', 'patient', 'unknown');
  const anyText = fc.oneof(
    fc.string({ maxLength: 120 }),
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.array(fc.constantFrom(...WORDS), { maxLength: 40 }).map((w) => w.join(' ')),
  );
  const lines = fc.array(fc.record({ speaker, text: anyText }), { maxLength: 8 });
  fc.assert(
    fc.property(lines, fc.constantFrom<ExtractionInput['mode']>('dictation', 'consultation'), (ls, mode) => {
      checkAll({ lines: ls, mode, language: 'en' });
    }),
    { numRuns: 300 },
  );
});

test('malformed input does not throw', () => {
  const weird = [
    { lines: [], mode: 'consultation', language: 'en' },
    { lines: [{ speaker: 'doctor', text: '' }], mode: 'dictation', language: 'en' },
    { lines: [{ speaker: 'robot', text: 42 }], mode: 'x', language: 5 },
    { lines: null, mode: 'consultation', language: 'en' },
    {},
  ] as unknown as ExtractionInput[];
  for (const input of weird) {
    const res = extractTemplates(IDS, input);
    for (const id of IDS) assert.equal(res[id]!.status, 'success', id);
  }
});
