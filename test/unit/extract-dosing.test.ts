import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findDoses, findDurations, findFrequency, findInstructions, findRoute, formatDose, formatDuration } from '../../src/extraction/rules/dosing.js';
import { normalizeText } from '../../src/extraction/rules/text.js';
import { extractTemplates } from '../../src/extraction/rules/index.js';
import { analyze } from '../../src/extraction/rules/analyze.js';
import type { ExtractionInput } from '../../src/core/ports/extractor.js';

const n = (s: string) => normalizeText(s).norm;

test('spelled-out numbers become digits with spans back to the original', () => {
  const cases: [string, string][] = [
    ['five hundred milligrams', '500 milligrams'],
    ['one fifty eight over ninety six', '158 over 96'],
    ['ninety eight point four', '98.4'],
    ['one hundred and one fahrenheit', '101 fahrenheit'],
    ['one zero one', '1 0 1'],
    ['one-zero-one', '1-0-1'],
    ['six fifty milligrams', '650 milligrams'],
    ['one thousand milligrams', '1000 milligrams'],
    ['twenty-five mg', '25 mg'],
    ['point five mg', '0.5 mg'],
    ['a hundred and forty over seventy', 'a 140 over 70'],
    ['thirty two year old', '32 year old'],
    ['for two weeks', 'for 2 weeks'],
  ];
  for (const [input, want] of cases) assert.equal(n(input), want, input);
  const t = normalizeText('Take five hundred mg now');
  const at = t.norm.indexOf('500');
  assert.equal(t.orig.slice(t.starts[at]!, t.ends[at + 2]!), 'five hundred');
});

test('doses: strength, quantity, ranges, from-to', () => {
  const d = (s: string) => findDoses(n(s)).map((x) => formatDose(x.value));
  assert.deepEqual(d('metformin 500 mg'), ['500 mg']);
  assert.deepEqual(d('five milligrams'), ['5 mg']);
  assert.deepEqual(d('1000mg'), ['1000 mg']);
  assert.deepEqual(d('50 mcg'), ['50 mcg']);
  assert.deepEqual(d('5 ml syrup'), ['5 ml']);
  assert.deepEqual(d('10 units'), ['10 units']);
  assert.deepEqual(d('two puffs'), ['2 puffs']);
  assert.deepEqual(d('one tablet'), ['1 tablet']);
  assert.deepEqual(d('half a tablet'), ['0.5 tablet']);
  assert.deepEqual(d('5 to 10 mg'), ['5-10 mg']);
  assert.deepEqual(d('0.5 mg'), ['0.5 mg']);
  assert.deepEqual(d('100% sure'), []);
});

test('frequency: Indian shorthand, 1-0-1 patterns and words', () => {
  const f = (s: string) => findFrequency(n(s))?.value.code ?? null;
  const cases: [string, string | null][] = [
    ['OD', 'OD'], ['BD', 'BD'], ['bid', 'BD'], ['TDS', 'TDS'], ['tid', 'TDS'], ['QID', 'QID'], ['HS', 'HS'], ['SOS', 'SOS'], ['prn', 'SOS'],
    ['1-0-1', '1-0-1'], ['1-1-1', '1-1-1'], ['0-0-1', '0-0-1'], ['1-1-1-1', '1-1-1-1'], ['one zero one', '1-0-1'], ['1 - 0 - 1', '1-0-1'],
    ['once daily', 'OD'], ['once a day', 'OD'], ['daily', 'OD'], ['twice a day', 'BD'], ['twice daily', 'BD'], ['two times a day', 'BD'],
    ['three times a day', 'TDS'], ['thrice daily', 'TDS'], ['four times a day', 'QID'], ['at bedtime', 'HS'], ['at night', 'HS'],
    ['every 8 hours', 'q8h'], ['every eight hours', 'q8h'], ['every 6 to 8 hours', 'q6-8h'], ['as needed', 'SOS'], ['once a week', 'weekly'],
    ['every other day', 'alternate days'], ['20 mg a day', 'OD'], ['nothing here', null],
  ];
  for (const [input, want] of cases) assert.equal(f(input), want, input);
  assert.equal(findFrequency(n('1-0-1'))!.value.perDay, 2);
  assert.equal(findFrequency(n('every 8 hours'))!.value.perDay, 3);
  // the first frequency wins; a later timing phrase does not override it
  assert.equal(f('once daily in the morning'), 'OD');
});

test('duration: for N days, spelled out, since, UK notation', () => {
  const d = (s: string) => findDurations(n(s)).map((x) => formatDuration(x.value));
  assert.deepEqual(d('for 5 days'), ['5 days']);
  assert.deepEqual(d('for two weeks'), ['2 weeks']);
  assert.deepEqual(d('for a week'), ['1 week']);
  assert.deepEqual(d('for the last two weeks'), ['2 weeks']);
  assert.deepEqual(d('since 3 days'), ['3 days']);
  assert.deepEqual(d('x 5 days'), ['5 days']);
  assert.deepEqual(d('3 days ago'), ['3 days']);
  assert.deepEqual(d('for 3-5 days'), ['3-5 days']);
  assert.deepEqual(d('3/7 hx of diarrhoea'), ['3 days']);
  assert.deepEqual(d('over the past 2/52'), ['2 weeks']);
  assert.deepEqual(d('for a couple of weeks'), ['2 weeks']);
  assert.equal(findDurations(n('for two weeks'))[0]!.value.days, 14);
});

test('route and instructions', () => {
  assert.equal(findRoute(n('tablet paracetamol'))?.value, 'oral');
  assert.equal(findRoute(n('two puffs of the inhaler'))?.value, 'inhalation');
  assert.equal(findRoute(n('apply the cream'))?.value, 'topical');
  assert.equal(findRoute(n('insulin injection'))?.value, 'injection');
  assert.equal(findRoute(n('given iv'))?.value, 'intravenous');
  const i = (s: string) => findInstructions(n(s)).map((x) => x.value);
  assert.deepEqual(i('after food'), ['after food']);
  assert.deepEqual(i('before breakfast'), ['before breakfast']);
  assert.deepEqual(i('with water'), ['with water']);
  assert.deepEqual(i('on an empty stomach'), ['on an empty stomach']);
  assert.deepEqual(i('30 minutes before food'), ['30 minutes before food']);
});

/** Every drug the analysis found, whatever its assertion. */
const allMeds = (text: string, mode: ExtractionInput['mode'] = 'dictation') =>
  analyze({ lines: [{ speaker: 'doctor', text }], mode, language: 'en' }).medications as unknown as Record<string, unknown>[];
/** What the medication list shows: taken or prescribed. */
const meds = (text: string, mode: ExtractionInput['mode'] = 'dictation') => {
  const r = extractTemplates(['medications'], { lines: [{ speaker: 'doctor', text }], mode, language: 'en' }).medications!;
  assert.equal(r.status, 'success');
  const listed = (r as unknown as { data: { medications: Record<string, unknown>[] } }).data.medications;
  assert.ok(listed.every((m) => m.assertion === 'present' || m.assertion === 'planned'), 'the list shows only taken or prescribed drugs');
  return listed;
};

test('prescription lines: dose, frequency, duration, instructions and action', () => {
  let m = meds('Tab Dolo 650 1-0-1 after food for 5 days');
  assert.equal(m.length, 1);
  assert.deepEqual(
    [m[0]!.generic_name, m[0]!.brand_name, m[0]!.dosage, m[0]!.frequency, m[0]!.duration, m[0]!.instructions, m[0]!.action, m[0]!.route],
    ['paracetamol', 'Dolo', '650 mg', '1-0-1', '5 days', 'after food', 'start', 'oral'],
  );
  m = meds('Tablet paracetamol six fifty milligrams, one zero one, after food, for five days.');
  assert.deepEqual([m[0]!.dosage, m[0]!.frequency, m[0]!.duration, m[0]!.action], ['650 mg', '1-0-1', '5 days', 'start']);
  m = meds('Glycomet 500 BD after meals, Telma 40 OD before breakfast');
  assert.deepEqual(m.map((x) => [x.generic_name, x.dosage, x.frequency, x.instructions]), [
    ['metformin', '500 mg', 'BD', 'after meal'],
    ['telmisartan', '40 mg', 'OD', 'before breakfast'],
  ]);
  m = meds('Pan 40 OD empty stomach for two weeks');
  assert.deepEqual([m[0]!.generic_name, m[0]!.dosage, m[0]!.frequency, m[0]!.duration], ['pantoprazole', '40 mg', 'OD', '2 weeks']);
  assert.equal(meds('I used a frying pan today.').length, 0);
  m = meds('Increase lisinopril from 10 mg to 20 mg daily.');
  assert.deepEqual([m[0]!.action, m[0]!.dosage, m[0]!.frequency], ['increase', '20 mg', 'OD']);
  assert.equal(meds('Stop the aspirin.')[0]!.action, 'stop');
  assert.equal(meds('Hold metformin before the CT scan.')[0]!.action, 'hold');
  assert.equal(meds('Reduce prednisolone to 10 mg.')[0]!.action, 'decrease');
  assert.equal(meds('Continue Thyronorm 50 mcg.')[0]!.generic_name, 'levothyroxine');
  m = meds('Salbutamol inhaler two puffs SOS.');
  assert.deepEqual([m[0]!.route, m[0]!.frequency, m[0]!.dosage], ['inhalation', 'SOS', '2 puffs']);
  m = meds('Amoxicillin 500 mg every 8 hours for 7 days');
  assert.deepEqual([m[0]!.frequency, m[0]!.frequency_per_day, m[0]!.duration_days], ['q8h', 3, 7]);
  // allergy and negation are not prescriptions
  assert.equal(meds('She is allergic to penicillin.').length, 0);
  assert.equal(meds('Not taking any aspirin.').length, 0);
  assert.deepEqual(allMeds('Not taking any aspirin.').map((x) => x.assertion), ['absent']);
  // brands map to generics
  for (const [brand, generic] of [['Amlong', 'amlodipine'], ['Stamlo', 'amlodipine'], ['Atorva', 'atorvastatin'], ['Azithral', 'azithromycin'], ['Ecosprin', 'aspirin'], ['Crocin', 'paracetamol'], ['Calpol', 'paracetamol'], ['Amaryl', 'glimepiride'], ['Mox', 'amoxicillin']] as const) {
    assert.equal(meds(`Tab ${brand} 5 mg OD`)[0]?.generic_name, generic, brand);
  }
});

test('thousands separators and zero doses', () => {
  assert.deepEqual(findDoses(n('metformin to 1,000 milligrams twice daily')).map((x) => formatDose(x.value)), ['1000 mg']);
  assert.deepEqual(findDoses(n('0 mg')), []);
});
