/**
 * A dose changed across mentions, as a clinician's note records it: the new dose, with
 * action increase / decrease; a later dose stated in the plan supersedes an earlier one;
 * a recogniser's misheard "to" ("from ten milligrams ten twenty milligrams") is undone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractTemplates, parseTranscriptText } from '../../src/extraction/rules/index.js';

interface Med { generic_name: string; dosage: string | null; frequency: string | null; action: string; evidence: { text: string }[] }

function meds(...lines: string[]): Med[] {
  const input = { lines: parseTranscriptText(lines.join('\n')), mode: 'consultation' as const, language: 'en' };
  const res = extractTemplates(['medications'], input);
  assert.ok(res.medications?.status === 'success');
  return (res.medications.data as { medications: Med[] }).medications;
}
/** "generic dosage action" per item. */
const brief = (ms: Med[]) => ms.map((m) => `${m.generic_name} ${m.dosage ?? '-'} ${m.action}`);

test('"from A to B" and its wordings give the new dose and the direction', () => {
  assert.deepEqual(brief(meds('[doctor] up the metformin from 500 mg to 1000 mg twice a day .')), ['metformin 1000 mg increase']);
  assert.deepEqual(brief(meds('[doctor] change the levothyroxine from 100 to 75 mcg .')), ['levothyroxine 75 mcg decrease']);
  assert.deepEqual(brief(meds('[doctor] amlodipine from five milligrams to ten milligrams please .')), ['amlodipine 10 mg increase']);
  assert.deepEqual(brief(meds("[doctor] let's up lisinopril to 20 mg .")), ['lisinopril 20 mg increase']);
  assert.deepEqual(brief(meds('[doctor] reduce the furosemide to 20 mg in the morning .')), ['furosemide 20 mg decrease']);
  assert.deepEqual(brief(meds("[doctor] we're going from 10 mg to 20 mg of lisinopril .")), ['lisinopril 20 mg increase']);
  assert.deepEqual(brief(meds('[doctor] increase the metformin 500 mg to 1000 mg .')), ['metformin 1000 mg increase']);
});

test('a "to" misheard as a number between two doses of an increase', () => {
  // "ten twenty" is read as 1020, "two ten" as 210: the later dose is the new one
  let m = meds("[doctor] for the cholesterol i'd like to bump up the atorvastatin from twenty milligrams ten forty milligrams at night");
  assert.deepEqual(brief(m), ['atorvastatin 40 mg increase']);
  assert.equal(m[0]!.frequency, 'HS');
  assert.match(m[0]!.evidence[0]!.text, /from twenty milligrams ten forty milligrams/);
  m = meds('[doctor] we will increase the amlodipine from five milligrams two ten milligrams daily');
  assert.deepEqual(brief(m), ['amlodipine 10 mg increase']);
  m = meds("[doctor] let's decrease the prednisolone from forty milligrams ten twenty milligrams");
  assert.deepEqual(brief(m), ['prednisolone 20 mg decrease']);
});

test('a later order supersedes the dose, and the evidence keeps every mention', () => {
  const m = meds(
    "[doctor] for your blood pressure i'd like to go ahead and increase the ramipril from five milligrams ten ten milligrams a day",
    '[doctor] okay computer order ramipril ten milligrams once daily',
  );
  assert.deepEqual(brief(m), ['ramipril 10 mg increase']);
  assert.equal(m[0]!.frequency, 'OD');
  assert.equal(m[0]!.evidence.length, 2);
  assert.match(m[0]!.evidence[1]!.text, /ramipril ten milligrams once daily/);
});

test('a history dose followed by a change in the plan', () => {
  let m = meds("[doctor] so you're on lisinopril 10 mg a day ?", '[patient] yes .', '[doctor] i want to increase the lisinopril to 20 mg .');
  assert.deepEqual(brief(m), ['lisinopril 20 mg increase']);
  assert.deepEqual(m[0]!.evidence.map((e) => e.text), ['lisinopril 10 mg a day', 'lisinopril to 20 mg']);
  m = meds('[patient] i take metformin 500 mg twice a day .', "[doctor] we'll go with metformin 1000 mg twice a day .");
  assert.deepEqual(brief(m), ['metformin 1000 mg increase']);
  m = meds('[patient] i take sertraline 100 mg every morning .', "[doctor] let's do sertraline 50 mg instead .");
  assert.deepEqual(brief(m), ['sertraline 50 mg decrease']);
  assert.equal(m[0]!.frequency, 'OD');
  // an increase without a new dose does not keep the old one as if it were the new one
  m = meds("[doctor] you're on lisinopril 10 mg .", "[doctor] we'll increase the lisinopril .");
  assert.deepEqual(brief(m), ['lisinopril - increase']);
  m = meds('[doctor] increase the lisinopril from 10 mg .');
  assert.deepEqual(brief(m), ['lisinopril - increase']);
});

test('cases that must not change', () => {
  // two different drugs keep their own doses and actions
  assert.deepEqual(brief(meds('[doctor] increase the lisinopril to 20 mg and continue metformin 500 mg twice a day .')), [
    'lisinopril 20 mg increase', 'metformin 500 mg continue',
  ]);
  const two = meds('[doctor] increase lisinopril from 10 mg to 20 mg , and 5 mg of amlodipine .');
  assert.deepEqual(two.map((m) => `${m.generic_name} ${m.dosage}`), ['lisinopril 20 mg', 'amlodipine 5 mg']);
  // a dose said for something else in the same sentence is not the new dose
  assert.deepEqual(brief(meds('[doctor] increase the lisinopril to 20 mg and the water tablet stays at 25 mg .')), ['lisinopril 20 mg increase']);
  assert.deepEqual(brief(meds('[doctor] increase the lisinopril from 10 mg , the other tablet you take is 25 mg .')), ['lisinopril - increase']);
  // a decrease stays a decrease, with the lower dose
  assert.deepEqual(brief(meds('[doctor] decrease the metoprolol from 20 mg to 10 mg .')), ['metoprolol 10 mg decrease']);
  assert.deepEqual(brief(meds("[doctor] let's decrease the prednisolone from twenty milligrams to ten milligrams .")), ['prednisolone 10 mg decrease']);
  assert.deepEqual(brief(meds('[doctor] decrease from 20 to 10 mg of lisinopril .')), ['lisinopril 10 mg decrease']);
  // a range is not a change
  assert.deepEqual(brief(meds('[doctor] take ibuprofen 200 to 400 mg as needed .')), ['ibuprofen 200-400 mg start']);
  // the patient's later mention of the old tablets does not undo the clinician's dose
  assert.deepEqual(brief(meds('[doctor] increase the sertraline to 100 mg daily .', '[patient] okay , i have sertraline 50 mg tablets at home .')), ['sertraline 100 mg increase']);
  // a correction within the plan is still a start, and the same dose restated is a continue
  assert.deepEqual(brief(meds("[doctor] start amlodipine 5 mg daily . actually let's do amlodipine 10 mg daily .")), ['amlodipine 10 mg start']);
  assert.deepEqual(brief(meds("[doctor] you're on lisinopril 10 mg .", '[doctor] continue lisinopril 10 mg .')), ['lisinopril 10 mg continue']);
});
