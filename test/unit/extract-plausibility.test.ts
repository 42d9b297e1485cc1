import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/extraction/rules/analyze.js';
import { extractTemplates } from '../../src/extraction/rules/index.js';
import { implausibility } from '../../src/extraction/rules/plausibility.js';
import type { ExtractionInput } from '../../src/core/ports/extractor.js';

const consult = (...lines: [string, string][]): ExtractionInput => ({
  mode: 'consultation',
  language: 'en',
  lines: lines.map(([speaker, text]) => ({ speaker: speaker as 'doctor' | 'patient', text })),
});

test('impossible vitals are not reported as measurements; each goes to the review list with its evidence', () => {
  const input = consult(
    ['doctor', 'Your temperature is 90 degrees Fahrenheit.'],
    ['doctor', 'Pulse is 300.'],
    ['doctor', 'Blood pressure 58 over 196.'],
    ['doctor', 'Oxygen saturation 97 percent and respiratory rate 16.'],
  );
  const a = analyze(input);
  assert.deepEqual(a.vitals.map((v) => v.type).sort(), ['respiratory_rate', 'spo2']);
  const fields = a.review.map((r) => r.field).sort();
  assert.deepEqual(fields, ['vitals.blood_pressure', 'vitals.pulse', 'vitals.temperature']);
  for (const r of a.review) {
    assert.match(r.reason, /implausible/);
    const e = r.evidence[0]!;
    assert.equal(input.lines[e.line]!.text.slice(e.start, e.end), e.text);
  }
  const out = extractTemplates(['vitals', 'soap'], input);
  const vitals = out.vitals!;
  assert.equal(vitals.status, 'success');
  if (vitals.status !== 'success') return;
  const data = vitals.data as Record<string, unknown>;
  assert.equal(data.temperature, null);
  assert.equal(data.pulse, null);
  assert.equal(data.blood_pressure, null);
  assert.equal(vitals.review?.length, 3, 'every template carries the review list');
  assert.doesNotMatch(JSON.stringify(out.soap), /"text":"(?:90 °F|300 bpm|58\/196)/);
});

test('plausible extremes stay measurements', () => {
  assert.equal(implausibility({ type: 'temperature', value: 104.5, value2: null, unit: '°F' }), null);
  assert.equal(implausibility({ type: 'temperature', value: 35.2, value2: null, unit: '°C' }), null);
  assert.equal(implausibility({ type: 'pulse', value: 42, value2: null, unit: 'bpm' }), null);
  assert.equal(implausibility({ type: 'blood_pressure', value: 210, value2: 120, unit: 'mmHg' }), null);
  assert.equal(implausibility({ type: 'spo2', value: 84, value2: null, unit: '%' }), null);
  assert.match(implausibility({ type: 'spo2', value: 110, value2: null, unit: '%' }) ?? '', /60–100/);
  assert.match(implausibility({ type: 'blood_pressure', value: 120, value2: 130, unit: 'mmHg' }) ?? '', /diastolic not below systolic/);
  assert.match(implausibility({ type: 'temperature', value: 46, value2: null, unit: '°C' }) ?? '', /34–42.2/);
});
