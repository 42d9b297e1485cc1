import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findVitals } from '../../src/extraction/rules/vitals.js';
import { normalizeText } from '../../src/extraction/rules/text.js';
import { extractTemplates } from '../../src/extraction/rules/index.js';

const v = (s: string) => findVitals(normalizeText(s).norm).map((r) => [r.type, r.value2 !== null ? `${r.value}/${r.value2}` : r.value, r.unit]);

test('blood pressure written and spoken', () => {
  assert.deepEqual(v('BP 158/96 mmHg'), [['blood_pressure', '158/96', 'mmHg']]);
  assert.deepEqual(v('blood pressure is one fifty eight over ninety six'), [['blood_pressure', '158/96', 'mmHg']]);
  assert.deepEqual(v('it was about 180 over 95 in the emergency room'), [['blood_pressure', '180/95', 'mmHg']]);
  assert.deepEqual(v('blood pressure medication lisinopril 20 mg'), []);
});

test('pulse, respiratory rate, temperature, SpO2', () => {
  assert.deepEqual(v('pulse eighty two'), [['pulse', 82, 'bpm']]);
  assert.deepEqual(v('heart rate 110 bpm'), [['pulse', 110, 'bpm']]);
  assert.deepEqual(v('respiratory rate 18'), [['respiratory_rate', 18, 'breaths/min']]);
  assert.deepEqual(v('temperature ninety eight point four'), [['temperature', 98.4, '°F']]);
  assert.deepEqual(v('Temperature one hundred and one Fahrenheit.'), [['temperature', 101, '°F']]);
  assert.deepEqual(v('temp 38.5 C'), [['temperature', 38.5, '°C']]);
  assert.deepEqual(v('your temperature is ninety eight . two'), [['temperature', 98.2, '°F']]);
  assert.deepEqual(v('Oxygen saturation ninety eight percent.'), [['spo2', 98, '%']]);
  assert.deepEqual(v('SpO2 96%'), [['spo2', 96, '%']]);
});

test('weight, height, BMI, blood sugar', () => {
  assert.deepEqual(v('weight 72 kg'), [['weight', 72, 'kg']]);
  assert.deepEqual(v('weighing 169 pounds'), [['weight', 169, 'lb']]);
  assert.deepEqual(v('height 170 cm'), [['height', 170, 'cm']]);
  assert.deepEqual(v('she is five feet, six inches in height'), [['height', 168, 'cm']]);
  assert.deepEqual(v('BMI 27.4'), [['bmi', 27.4, 'kg/m²']]);
  const sugar = (s: string) => findVitals(normalizeText(s).norm).filter((r) => r.type === 'blood_sugar').map((r) => [r.value, r.qualifier]);
  assert.deepEqual(sugar('fasting blood sugar 126 mg/dl'), [[126, 'fasting']]);
  assert.deepEqual(sugar('FBS 110, PPBS 180'), [[110, 'fasting'], [180, 'post_prandial']]);
  assert.deepEqual(sugar('random blood sugar is two hundred'), [[200, 'random']]);
  assert.deepEqual(sugar('my sugars have been running around one thirty'), [[130, 'unspecified']]);
});

test('vitals template: latest reading per sign, every reading with evidence', () => {
  const text = 'Your blood pressure today is one fifty eight over ninety six, pulse eighty two, temperature ninety eight point four.';
  const r = extractTemplates(['vitals'], { lines: [{ speaker: 'doctor', text }], mode: 'consultation', language: 'en' }).vitals!;
  assert.equal(r.status, 'success');
  const d = (r as { data: Record<string, any> }).data;
  assert.deepEqual([d.blood_pressure.systolic, d.blood_pressure.diastolic], [158, 96]);
  assert.equal(d.pulse.value, 82);
  assert.equal(d.temperature.value, 98.4);
  assert.equal(d.blood_pressure.evidence[0].text.endsWith('one fifty eight over ninety six'), true);
  for (const reading of d.readings) {
    const e = reading.evidence[0];
    assert.equal(text.slice(e.start, e.end), e.text);
  }
});
