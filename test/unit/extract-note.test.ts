import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractTemplates } from '../../src/extraction/rules/index.js';
import type { ExtractionInput } from '../../src/core/ports/extractor.js';

const consult = (...lines: [string, string][]): ExtractionInput => ({
  mode: 'consultation',
  language: 'en',
  lines: lines.map(([speaker, text]) => ({ speaker: speaker as 'doctor' | 'patient', text })),
});

const input = consult(
  ['doctor', 'hi, what brings you in today?'],
  ['patient', 'um, i have been having these, uh, really bad headaches for about two weeks now, you know.'],
  ['doctor', 'any chest pain, shortness of breath or blurred vision?'],
  ['patient', 'no chest pain.'],
  ['patient', 'no shortness of breath.'],
  ['doctor', 'do you smoke?'],
  ['patient', 'i smoke about ten cigarettes a day and i work as a driver.'],
  ['doctor', 'dragon, show me the blood pressure readings.'],
  ['doctor', 'your blood pressure today is 158 over 96.'],
  ['doctor', 'i think this is high blood pressure, so i am going to start you on amlodipine 5 mg once a day.'],
  ['doctor', 'i want you to come back in two weeks so we can check it again, okay?'],
  ['patient', 'okay, that sounds good.'],
);

function note() {
  const out = extractTemplates(['clinical_notes_template'], input).clinical_notes_template!;
  assert.equal(out.status, 'success');
  if (out.status !== 'success') throw new Error('failed');
  return (out.data as { sections: { title: string; content: string; evidence: { line: number; start: number; end: number; text: string }[] }[] }).sections;
}

test('the note is written in the sections clinicians use, from the facts, in the note’s voice', () => {
  const sections = note();
  const titles = sections.map((s) => s.title);
  for (const t of ['Chief complaint', 'History of present illness', 'Physical examination', 'Assessment and plan']) assert.ok(titles.includes(t), `${t} in ${titles.join(', ')}`);
  const text = sections.map((s) => s.content).join('\n');
  const cc = sections.find((s) => s.title === 'Chief complaint')!.content;
  assert.match(cc, /headache/i);
  assert.doesNotMatch(cc, /chest pain|shortness of breath|blurred vision/i, 'denied or unanswered findings are never the complaint');
  assert.match(text, /denies chest pain and shortness of breath/i);
  assert.doesNotMatch(text, /blurred vision/i, 'what the answers left out is not stated either way');
  assert.doesNotMatch(text, /\b(?:um|uh|you know)\b/i, 'no filler words');
  assert.doesNotMatch(text, /\bi have been\b|\bi smoke\b/i, "the patient's first person becomes third person");
  assert.doesNotMatch(text, /dragon/i, 'commands to a voice assistant stay out');
  assert.match(text, /Blood pressure 158\/96 mmHg/);
  assert.match(text, /Start amlodipine 5 mg/i);
  assert.match(text, /follow up in 2 weeks/i);
  assert.ok(text.split(/\s+/).length < input.lines.map((l) => l.text).join(' ').split(/\s+/).length * 1.2);
});

test('every section keeps evidence spans that point into the transcript', () => {
  for (const s of note()) {
    assert.ok(s.evidence.length > 0, `${s.title} has evidence`);
    for (const e of s.evidence) assert.equal(input.lines[e.line]!.text.slice(e.start, e.end), e.text, `${s.title}: ${e.text}`);
  }
});

test('a denial keeps its "no" when the note is written from it, with or without punctuation', () => {
  for (const reply of ['No chest pain. No shortness of breath.', 'no chest pain no shortness of breath']) {
    const out = extractTemplates(['clinical_notes_template'], consult(['doctor', 'any chest pain or shortness of breath?'], ['patient', reply], ['patient', 'i have had a cough for three days and it is getting worse at night']))
      .clinical_notes_template!;
    assert.equal(out.status, 'success');
    if (out.status !== 'success') return;
    const text = (out.data as { sections: { content: string }[] }).sections.map((s) => s.content).join('\n');
    assert.doesNotMatch(text, /(?:^|[.] )chest pain/i, text);
    assert.doesNotMatch(text, /endorses chest pain|reports chest pain/i, text);
  }
});

test('run-on speech is written clause by clause, and the plan is grouped under numbered problems', () => {
  const run = consult(
    ['doctor', 'what brings you in today?'],
    ['patient', 'i have had a cough for three days and it is getting worse at night'],
    ['doctor', 'so on your lung exam i do hear some wheezing on the right side so i think you have bronchitis so i am going to prescribe you an albuterol inhaler two puffs every six hours as needed and i want you to drink plenty of fluids and rest at home okay'],
    ['patient', 'okay that sounds good'],
  );
  const out = extractTemplates(['clinical_notes_template'], run).clinical_notes_template!;
  assert.equal(out.status, 'success');
  if (out.status !== 'success') return;
  const sections = (out.data as { sections: { title: string; content: string; evidence: { line: number; start: number; end: number; text: string }[] }[] }).sections;
  for (const s of sections) for (const e of s.evidence) assert.equal(run.lines[e.line]!.text.slice(e.start, e.end), e.text, `${s.title}: ${e.text}`);
  const exam = sections.find((s) => s.title === 'Physical examination');
  assert.ok(exam && /wheezing/i.test(exam.content), 'the exam clause of the run-on goes to the exam');
  assert.doesNotMatch(exam!.content, /albuterol/i, 'the plan clause does not');
  const ap = sections.find((s) => s.title === 'Assessment and plan')!.content;
  assert.match(ap, /^1\. Bronchitis\.$/im);
});
