/**
 * The assertion test set: short dialogues and what each finding / drug is asserted to be
 * (present, absent, possible, historical, family, allergy, planned, or unknown = neither
 * present nor absent). Every snippet runs as written and as a recogniser would give it
 * (lower case, no punctuation but apostrophes), unless `punctuated_only`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { ExtractionInput, Speaker } from '../../src/core/ports/extractor.js';
import { analyze, type Analysis } from '../../src/extraction/rules/analyze.js';
import { buildDoc } from '../../src/extraction/rules/doc.js';
import { allSymptomItems, findingReview, findSymptomMentions } from '../../src/extraction/rules/symptoms.js';

interface Snippet {
  id: string;
  why: string;
  turns: [Speaker, string][];
  expect: { findings?: Record<string, string>; drugs?: Record<string, string> };
  punctuated_only?: boolean;
}

const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'assertions');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];

/** What the speech recogniser gives: lower case, punctuation gone except apostrophes. */
export function recogniserForm(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}\s']/gu, ' ').replace(/\s+/g, ' ').trim();
}

interface Named { names: string[]; assertion: string }

function findingItems(a: Analysis): Named[] {
  // symptoms with every assertion (analysis.symptoms keeps present / absent ones until templates read `assertion`)
  const symptoms = [...a.symptoms, ...allSymptomItems(a.doc)];
  return [...symptoms, ...a.diagnoses].map((x) => ({ names: [x.name.toLowerCase()], assertion: x.assertion }));
}

function statusOf(items: Named[], name: string): string[] {
  const n = name.toLowerCase();
  const exact = items.filter((i) => i.names.includes(n));
  const hits = exact.length ? exact : items.filter((i) => i.names.some((x) => x.includes(n)));
  return [...new Set(hits.map((h) => h.assertion))];
}

/** Whether the assertions found satisfy the expected status. */
function satisfied(expected: string, got: string[]): boolean {
  const own = got.filter((g) => g !== 'family');
  if (expected === 'unknown') return !own.includes('present') && !own.includes('absent');
  if (expected === 'family') return got.includes('family');
  if (!own.includes(expected)) return false;
  if (expected === 'present') return !own.includes('absent');
  if (expected === 'absent') return !own.includes('present');
  return true;
}

function run(sn: Snippet, form: 'written' | 'recogniser'): string[] {
  const input: ExtractionInput = {
    mode: 'consultation',
    language: 'en',
    lines: sn.turns.map(([speaker, text]) => ({ speaker, text: form === 'written' ? text : recogniserForm(text) })),
  };
  const a = analyze(input);
  const errors: string[] = [];
  const findings = findingItems(a);
  for (const [name, expected] of Object.entries(sn.expect.findings ?? {})) {
    const got = statusOf(findings, name);
    if (!satisfied(expected, got)) errors.push(`${sn.id} [${form}] finding "${name}": expected ${expected}, got ${got.join('|') || 'nothing'}`);
  }
  const meds = a.medications.map((m) => ({ names: [m.name, m.generic_name, m.brand_name ?? ''].map((x) => x.toLowerCase()).filter(Boolean), assertion: m.assertion }));
  const allergies = a.allergies.map((x) => x.substance.toLowerCase());
  for (const [name, expected] of Object.entries(sn.expect.drugs ?? {})) {
    const n = name.toLowerCase();
    const got: string[] = [...new Set(meds.filter((m) => m.names.includes(n)).map((m) => m.assertion as string))];
    const allergic = allergies.includes(n);
    let ok: boolean;
    if (expected === 'allergy') ok = allergic && !got.includes('present') && !got.includes('planned');
    else if (expected === 'unknown') ok = !got.includes('present') && !got.includes('absent') && !got.includes('planned');
    else ok = got.includes(expected) && (expected !== 'present' || !got.includes('absent')) && (expected !== 'absent' || !got.includes('present'));
    if (!ok) errors.push(`${sn.id} [${form}] drug "${name}": expected ${expected}, got ${[...got, ...(allergic ? ['(in allergies)'] : [])].join('|') || 'nothing'}`);
  }
  return errors;
}

test('the assertion test set has at least 110 finding snippets of 2-6 turns', () => {
  const p = path.join(dir, 'findings.json');
  const set = JSON.parse(fs.readFileSync(p, 'utf8')) as Snippet[];
  assert.ok(set.length >= 110, `${set.length} snippets`);
  const ids = new Set<string>();
  for (const sn of set) {
    assert.ok(!ids.has(sn.id), `duplicate id ${sn.id}`);
    ids.add(sn.id);
    assert.ok(sn.turns.length >= 2 && sn.turns.length <= 6, `${sn.id}: ${sn.turns.length} turns`);
    assert.ok(sn.why && Object.keys(sn.expect.findings ?? {}).length + Object.keys(sn.expect.drugs ?? {}).length > 0, sn.id);
  }
});

for (const file of files) {
  test(`assertions: ${file}`, () => {
    const set = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Snippet[];
    const errors: string[] = [];
    for (const sn of set) {
      errors.push(...run(sn, 'written'));
      if (!sn.punctuated_only) errors.push(...run(sn, 'recogniser'));
    }
    assert.equal(errors.length, 0, `${errors.length} errors in ${file}:\n${errors.join('\n')}`);
  });
}

test('findingReview flags a symptom the patient both reported and denied', () => {
  const doc = buildDoc({
    mode: 'consultation',
    language: 'en',
    lines: [
      { speaker: 'doctor', text: 'Any headaches?' },
      { speaker: 'patient', text: 'No.' },
      { speaker: 'doctor', text: 'And how is your sleep?' },
      { speaker: 'patient', text: 'Not great, the headaches keep me up at night.' },
    ],
  });
  const review = findingReview(doc, findSymptomMentions(doc));
  assert.equal(review.length, 1);
  assert.equal(review[0]!.field, 'symptoms.headache');
  assert.equal(review[0]!.evidence.length, 2);
  const clean = buildDoc({ mode: 'consultation', language: 'en', lines: [{ speaker: 'patient', text: 'I have a headache.' }, { speaker: 'doctor', text: 'Any fever?' }, { speaker: 'patient', text: 'No.' }] });
  assert.deepEqual(findingReview(clean, findSymptomMentions(clean)), []);
});

test('a long consultation is analysed well under a second', () => {
  const lines: ExtractionInput['lines'] = [];
  for (let i = 0; i < 120; i++) {
    lines.push({ speaker: 'doctor', text: 'okay and any chest pain shortness of breath or blurred vision do you get headaches when you walk' });
    lines.push({ speaker: 'patient', text: "no chest pain but i've had a cough for three days and my mother has diabetes i used to get migraines" });
  }
  const t0 = performance.now();
  analyze({ mode: 'consultation', language: 'en', lines });
  assert.ok(performance.now() - t0 < 1000);
});
