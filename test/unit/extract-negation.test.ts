import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { negationStatus, answerPolarity, isQuestion } from '../../src/extraction/rules/negation.js';
import { normalizeText, splitSentences } from '../../src/extraction/rules/text.js';
import { extractTemplates, parseTranscriptText } from '../../src/extraction/rules/index.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const set = JSON.parse(fs.readFileSync(path.join(root, 'test', 'fixtures', 'negation-phrases.json'), 'utf8')) as {
  phrases: { text: string; target: string; negated: boolean }[];
};

function negated(text: string, target: string): boolean | null {
  const norm = normalizeText(text).norm;
  const at = norm.indexOf(target.toLowerCase());
  if (at < 0) return null;
  const s = splitSentences(0, norm).find((x) => x.start <= at && at < x.end);
  if (!s) return null;
  return negationStatus(s.text, at - s.start, at - s.start + target.length).negated;
}

test('negation test set: at least 50 phrases, both kinds, zero errors', () => {
  assert.ok(set.phrases.length >= 50);
  assert.ok(set.phrases.filter((p) => p.negated).length >= 20);
  assert.ok(set.phrases.filter((p) => !p.negated).length >= 20);
  const errors = set.phrases.filter((p) => negated(p.text, p.target) !== p.negated);
  assert.deepEqual(errors, []);
});

test('questions and answers', () => {
  assert.equal(isQuestion('any chest pain, shortness of breath or blurred vision?'), true);
  assert.equal(isQuestion('do you have a fever'), true);
  assert.equal(isQuestion("i'm going to prescribe meloxicam 15 mg, okay?"), false);
  assert.equal(answerPolarity('No chest pain.'), 'no');
  assert.equal(answerPolarity('uh, yes, a little'), 'yes');
  assert.equal(answerPolarity('mm-hmm'), 'yes');
  assert.equal(answerPolarity('I do not know'), null);
  assert.equal(answerPolarity("I don't think so."), 'no');
  assert.equal(answerPolarity('not anymore'), 'no');
  assert.equal(answerPolarity('uh huh by the evening'), 'yes');
});

test('symptom status through negation and the patient\'s answers', () => {
  const lines = parseTranscriptText([
    'Doctor: What brings you in?',
    'Patient: Fever for three days and a dry cough. No vomiting.',
    'Doctor: Any loose motions or burning urination?',
    'Patient: No.',
    'Doctor: Any body ache?',
    'Patient: Yes, quite a lot.',
    'Doctor: Return if you develop a rash or bleeding.',
  ].join('\n'));
  const r = extractTemplates(['hpi'], { lines, mode: 'consultation', language: 'en' }).hpi!;
  assert.equal(r.status, 'success');
  const d = (r as unknown as { data: { symptoms: { name: string; duration: string | null }[]; pertinent_negatives: string[]; chief_complaint: string } }).data;
  const present = Object.fromEntries(d.symptoms.map((s) => [s.name, s.duration]));
  assert.deepEqual(present, { Fever: '3 days', Cough: '3 days', 'Body ache': null });
  assert.deepEqual(new Set(d.pertinent_negatives), new Set(['Vomiting', 'Diarrhoea', 'Dysuria']));
  assert.match(d.chief_complaint, /^Fever for 3 days/);
});
