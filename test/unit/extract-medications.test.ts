/**
 * What goes on the medication list: what the patient takes or is prescribed, not drugs
 * they are allergic to, examples of a class, drugs ruled out, family members' medicines
 * or vitamins named as lab tests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/extraction/rules/analyze.js';
import { buildDoc } from '../../src/extraction/rules/doc.js';
import { extractTemplates, parseTranscriptText } from '../../src/extraction/rules/index.js';
import { findMedicationMentions, medicationReview } from '../../src/extraction/rules/medications.js';

interface Med { generic_name: string; action: string; assertion: string }

function run(...lines: string[]) {
  const input = { lines: parseTranscriptText(lines.join('\n')), mode: 'consultation' as const, language: 'en' };
  const res = extractTemplates(['medications', 'soap'], input);
  assert.ok(res.medications?.status === 'success');
  assert.ok(res.soap?.status === 'success');
  // on the list = taken or prescribed; other drugs named carry the reason they are not
  const meds = (res.medications.data as { medications: Med[] }).medications.filter((m) => m.assertion === 'present' || m.assertion === 'planned');
  const allergies = (res.soap.data as { subjective: { allergies: { substance: string }[] } }).subjective.allergies;
  return { meds: meds.map((m) => m.generic_name), actions: meds.map((m) => `${m.generic_name}:${m.action}`), allergies: allergies.map((a) => a.substance) };
}

test('an allergy named after a comma is an allergy, not a medicine', () => {
  const r = run('[doctor] any problems with medicines ?', "[patient] well , i'm allergic to , erythromycin .");
  assert.deepEqual(r.meds, []);
  assert.deepEqual(r.allergies, ['erythromycin']);
});

test('the reply to an allergy question names allergies', () => {
  const r = run('[doctor] do you have any allergies to medicines ?', '[patient] yes , i think co-trimoxazole , it made me swell up .');
  assert.deepEqual(r.meds, []);
  assert.ok(r.allergies.includes('co-trimoxazole') || r.allergies.some((a) => /trimoxazole|sulfamethoxazole/.test(a)), JSON.stringify(r.allergies));

  // a "no" reply, or a reply to a later question about medicines, is not an allergy
  const none = run('[doctor] any allergies to medicines ?', '[patient] no . i take metformin .');
  assert.deepEqual(none.meds, ['metformin']);
  const later = run('[doctor] any allergies ? and what medicines do you take ?', '[patient] metformin and ramipril .');
  assert.deepEqual(later.meds, ['metformin', 'ramipril']);
  // what they say they take in the reply is still a medicine
  const taking = run('[doctor] any allergies to medicines ?', '[patient] penicillin . and i take amlodipine every morning .');
  assert.deepEqual(taking.meds, ['amlodipine']);
});

test('a drug the patient is allergic to stays off the list when mentioned again', () => {
  const r = run("[patient] i'm allergic to penicillin .", '[doctor] and what happens when you take penicillin ?', '[patient] i get hives .');
  assert.deepEqual(r.meds, []);
  // a side-effect question is not an allergy: the drug is still taken
  const side = run('[patient] i take metformin twice a day .', '[doctor] any reaction to the metformin ?', '[patient] no .');
  assert.deepEqual(side.meds, ['metformin']);
  // "not allergic" does not remove it
  const notAllergic = run("[patient] i'm not allergic to aspirin . i take aspirin 75 mg daily .");
  assert.deepEqual(notAllergic.meds, ['aspirin']);
  // the allergy ends where a new clause starts
  const clause = run("[patient] i'm allergic to codeine , i take aspirin 75 mg daily .");
  assert.deepEqual(clause.meds, ['aspirin']);
  assert.deepEqual(clause.allergies, ['codeine']);
});

test('several drugs given as examples of a class are not listed', () => {
  assert.deepEqual(run('[doctor] for the itch you can buy antihistamines , things like cetirizine or loratadine .').meds, []);
  assert.deepEqual(run('[doctor] take some painkillers such as paracetamol and ibuprofen if it hurts .').meds, []);
  assert.deepEqual(run('[doctor] you can get things over the counter , cetirizine , loratadine , they help .').meds, []);
  assert.deepEqual(run('[doctor] anti-inflammatories like , naproxen , or diclofenac can help .').meds, []);
});

test('examples rule does not swallow real medicines', () => {
  // one drug offered by name
  assert.deepEqual(run("[doctor] i'll give you something like cetirizine today .").meds, ['cetirizine']);
  // what the patient has tried
  assert.deepEqual(run("[patient] i've tried things like ibuprofen and paracetamol .").meds, ['ibuprofen', 'paracetamol']);
  // with doses it is a prescription
  assert.deepEqual(run('[doctor] painkillers such as paracetamol 1 g and ibuprofen 400 mg , three times a day .').meds, ['paracetamol', 'ibuprofen']);
  // "like" as a verb or comparison
  assert.deepEqual(run("[doctor] i'd like you to take metformin and ramipril every day .").meds, ['metformin', 'ramipril']);
  assert.deepEqual(run('[doctor] it sounds like ibuprofen and paracetamol are helping , so carry on .').meds, ['ibuprofen', 'paracetamol']);
  // avoiding drugs is still a decision about them (stop)
  assert.deepEqual(run('[doctor] avoid anti-inflammatories like ibuprofen or naproxen .').actions, ['ibuprofen:stop', 'naproxen:stop']);
});

test('a drug the clinician rules out is not listed', () => {
  assert.deepEqual(run("[doctor] codeine this time , wouldn't be helpful .").meds, []);
  assert.deepEqual(run('[doctor] amoxicillin is not needed for a viral infection .').meds, []);
  assert.deepEqual(run('[doctor] omeprazole will not be necessary any more .').meds, []);
  // a patient saying their medicine does not help is still taking it
  assert.deepEqual(run("[patient] the naproxen isn't helpful really .").meds, ['naproxen']);
  assert.deepEqual(run('[doctor] omeprazole will be helpful for the reflux .').meds, ['omeprazole']);
});

test("a family member's medicine is not the patient's", () => {
  assert.deepEqual(run('[patient] my dad takes warfarin for his heart .').meds, []);
  assert.deepEqual(run('[patient] my sister is on sumatriptan for her migraines .').meds, []);
  // the patient's own medicine mentioned with a relative
  assert.deepEqual(run('[patient] my wife reminds me to take my atorvastatin .').meds, ['atorvastatin']);
});

test('vitamins further down a list of blood tests are tests, not medicines', () => {
  assert.deepEqual(run("[doctor] we'll recheck your full blood count , ferritin , vitamin d , calcium and folate .").meds, []);
  assert.deepEqual(run('[doctor] start folic acid 5 mg once a day .').meds, ['folic acid']);
});

test('"no harm in" does not negate the drug', () => {
  assert.deepEqual(run("[doctor] there's no harm in trying some cetirizine .").meds, ['cetirizine']);
  assert.deepEqual(run("[doctor] no cetirizine for now .").meds, []);
});

test('the blue inhaler is salbutamol', () => {
  assert.deepEqual(run("[patient] i use the blue inhaler when i'm wheezy .").meds, ['salbutamol']);
  assert.deepEqual(run('[patient] and the brown inhaler twice a day .').meds, ['beclometasone']);
});

// ── assertions, neighbour sentences, brands, review ─────────────────────────

function analysis(...lines: string[]) {
  return analyze({ lines: parseTranscriptText(lines.join('\n')), mode: 'consultation', language: 'en' });
}
const status = (a: ReturnType<typeof analysis>) => a.medications.map((m) => `${m.generic_name}:${m.assertion}`);

test('each drug named says why it is or is not on the list', () => {
  assert.deepEqual(status(analysis('[doctor] any ibuprofen at all ?', '[patient] no .')), ['ibuprofen:absent']);
  assert.deepEqual(status(analysis("[doctor] we used to give paracetamol first , but now it's ibuprofen or aspirin .")), ['paracetamol:possible', 'ibuprofen:possible', 'aspirin:possible']);
  assert.deepEqual(status(analysis('[patient] i used to take amlodipine .')), ['amlodipine:historical']);
  assert.deepEqual(status(analysis('[patient] i stopped the atorvastatin last year .')), ['atorvastatin:historical']);
  assert.deepEqual(status(analysis('[patient] my sister has diabetes and she takes metformin .')), ['metformin:family']);
  assert.deepEqual(status(analysis("[doctor] if it doesn't settle , we might try amitriptyline .")), ['amitriptyline:possible']);
  assert.deepEqual(status(analysis("[doctor] i'm starting you on amoxicillin 500 mg three times a day .")), ['amoxicillin:planned']);
  // an allergen is under allergies only
  const al = analysis("[patient] i'm allergic to penicillin .");
  assert.deepEqual([al.medications.length, al.allergies.map((x) => x.substance)], [0, ['penicillin']]);
  // a present mention outranks an earlier denial
  assert.deepEqual(status(analysis('[doctor] any ibuprofen ?', '[patient] no .', "[doctor] okay , i'll prescribe ibuprofen 400 mg twice a day .")), ['ibuprofen:planned']);
});

test('who says it decides the action', () => {
  const a = analysis('[patient] i take lisinopril 10 mg every morning .', "[doctor] i'm starting you on amlodipine 5 mg daily .");
  assert.deepEqual(a.medications.map((m) => `${m.generic_name}:${m.action}`), ['lisinopril:continue', 'amlodipine:start']);
});

test('doses said in the next sentence or in the reply to "what dose?"', () => {
  let m = analysis("[patient] i would take ibuprofen regularly . that's four hundred milligrams , two times a day , after food .").medications[0]!;
  assert.deepEqual([m.dosage, m.frequency, m.instructions], ['400 mg', 'BD', 'after food']);
  assert.ok(m.evidence.length >= 2, 'evidence of the neighbour sentence');
  m = analysis("[patient] i'm on metformin .", '[doctor] what dose ?', '[patient] five hundred twice a day .').medications[0]!;
  assert.deepEqual([m.dosage, m.frequency], ['500 mg', 'BD']);
  m = analysis('[doctor] how often do you use the symbicort ?', '[patient] twice a day .').medications[0]!;
  assert.deepEqual([m.assertion, m.frequency], ['present', 'BD']);
  // a sentence about something else lends nothing
  m = analysis("[patient] i take metformin . i've walked twice a day for years .").medications[0]!;
  assert.deepEqual([m.frequency, m.duration], [null, null]);
});

test('conditions of use and as-needed are not schedules', () => {
  const a = analysis('[patient] i use my ventolin .', '[doctor] if you start to use the ventolin more than every three hours , you need to see a gp .');
  const v = a.medications[0]!;
  assert.deepEqual([v.name, v.generic_name, v.brand_name, v.action, v.frequency], ['Ventolin', 'salbutamol', 'Ventolin', 'continue', null]);
  assert.equal(v.instructions, 'see GP if needed more than every 3 hours');
  assert.equal(analysis('[patient] just tylenol every once in a while .').medications[0]!.frequency, 'SOS');
  assert.equal(analysis('[patient] i take crocin when i have fever .').medications[0]!.frequency, 'SOS');
});

test('brand and generic are one drug', () => {
  for (const [a, b, generic] of [['ventolin', 'salbutamol', 'salbutamol'], ['piriton', 'chlorphenamine', 'chlorphenamine'], ['clenil', 'beclometasone', 'beclometasone'], ['thyroxine', 'levothyroxine', 'levothyroxine'], ['motrin', 'ibuprofen', 'ibuprofen'], ['lasix', 'furosemide', 'furosemide'], ['tylenol', 'acetaminophen', 'paracetamol'], ['norvasc', 'amlodipine', 'amlodipine']] as const) {
    const r = analysis(`[patient] i take ${a} every day .`, `[doctor] keep taking the ${b} .`);
    assert.deepEqual(r.medications.map((m) => m.generic_name), [generic], `${a}/${b}`);
  }
  assert.equal(analysis('[patient] thyronorm 50 in the morning .').medications[0]!.dosage, '50 mcg');
});

test('medicationReview flags names matched only approximately', () => {
  const doc = buildDoc({ lines: parseTranscriptText('[doctor] she is on cisplacin and etoposide chemotherapy .'), mode: 'consultation', language: 'en' });
  const review = medicationReview(doc, findMedicationMentions(doc).mentions);
  assert.deepEqual(review.map((r) => r.field), ['medications.cisplatin']);
  assert.match(review[0]!.reason, /matched approximately: heard 'cisplacin'/);
  assert.equal(review[0]!.evidence[0]!.text, 'cisplacin');
});
