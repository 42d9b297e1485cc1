import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findVitals } from '../../src/extraction/rules/vitals.js';
import { normalizeText } from '../../src/extraction/rules/text.js';
import { analyze } from '../../src/extraction/rules/analyze.js';
import { extractTemplates, parseTranscriptText } from '../../src/extraction/rules/index.js';

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

// ── numbers said with a vital's name that are not a reading of the patient today ──
const A = (...lines: string[]) => analyze({ lines: parseTranscriptText(lines.join('\n')), mode: 'consultation', language: 'en' });
const key = (x: { type: string; value: number; value2: number | null }) => `${x.type}:${x.value}${x.value2 !== null ? `/${x.value2}` : ''}`;
const reported = (a: ReturnType<typeof A>) => a.vitals.map(key);
const other = (a: ReturnType<typeof A>) => a.otherVitals.map((x) => `${key(x)} ${x.assertion}`);

test('a target, a threshold, a condition or a range is not a reading', () => {
  const target = A('[doctor] For your blood pressure we want it under 130 over 80, and your blood sugar should be down to 150.');
  assert.deepEqual(reported(target), []);
  assert.deepEqual(other(target), ['blood_pressure:130/80 planned', 'blood_sugar:150 planned']);
  assert.match(target.otherVitals[0]!.assertion_cue!, /target/);
  const criterion = A('[doctor] So the criteria is a BMI greater than 30, or a BMI greater than 27 with another condition.');
  assert.deepEqual([reported(criterion), other(criterion)], [[], ['bmi:30 possible', 'bmi:27 possible']]);
  const rarely = A("[patient] I rarely have a blood sugar that goes over 200, I check 2 or 3 times a day.");
  assert.deepEqual([reported(rarely), other(rarely)], [[], ['blood_sugar:200 possible']]);
  const cond = A('[doctor] Call me if your temperature is 101 or higher.');
  assert.deepEqual([reported(cond), other(cond)], [[], ['temperature:101 possible']]);
  // "120 to 130 over 70 to 80" is a range, not 130/70
  const range = A("[patient] When I check it it's good, usually 120 to 130 over 70 to 80.");
  assert.deepEqual(reported(range), []);
  assert.equal(range.otherVitals[0]!.assertion, 'possible');
  assert.deepEqual(reported(A("[patient] It's usually 120 to 130 over 70.")), []);
  const need = A('[doctor] We need your blood sugar to come down to 150.');
  assert.deepEqual([reported(need), other(need)], [[], ['blood_sugar:150 planned']]);
  // the same words around a real reading leave it alone
  assert.deepEqual(reported(A('[patient] My blood pressure came down to 130 over 80 last week.')), ['blood_pressure:130/80']);
  const ok = A("[doctor] Your blood pressure is pretty good in the office today, it looks like it's one twenty eight over seventy two. Your heart rate is nice and slow at 67, right where we want it, and you have a normal temperature at 98.4.");
  assert.deepEqual([reported(ok), other(ok)], [['blood_pressure:128/72', 'pulse:67', 'temperature:98.4'], []]);
});

test("a reading taken at another encounter is historical; today's is the vital", () => {
  const er = A(
    '[doctor] So it looks like you went into the ER and they said your ankles were swelling, did you have some shortness of breath?',
    "[patient] I did but I didn't think anything of it.",
    '[doctor] Sure. Looks like your blood pressure was 200 over 90, have you been taking those meds?',
    '[patient] I have.',
    "[doctor] Let me do a quick exam. Your blood pressure is pretty good in the office today, it's 128 over 72.",
  );
  assert.deepEqual(reported(er), ['blood_pressure:128/72']);
  assert.deepEqual(other(er), ['blood_pressure:200/90 historical']);
  assert.equal(er.otherVitals[0]!.assertion_cue, 'er');
  const said = A('[doctor] And I see here that it was about 180 over 95 when you went into the emergency room. Has it been running that high?');
  assert.deepEqual([reported(said), other(said)], [[], ['blood_pressure:180/95 historical']]);
  // past tense of this visit stays a reading; so does the patient's own home reading
  const today = A('[doctor] You were in the hospital last year. When you came in today your blood pressure was a little bit high, it was 150 over 70.');
  assert.deepEqual(reported(today), ['blood_pressure:150/70']);
  const home = A("[patient] It's been several days since I took it but I think it runs around 120 over 70.");
  assert.deepEqual(reported(home), ['blood_pressure:120/70']);
  // the vitals template reports today's reading only
  const r = extractTemplates(['vitals'], { lines: parseTranscriptText('[doctor] In the ER your blood pressure was 200 over 90.\n[patient] Yes.\n[doctor] Today it is 128 over 72.'), mode: 'consultation', language: 'en' }).vitals!;
  assert.ok(r.status === 'success');
  const d = r.data as { blood_pressure: { systolic: number }; readings: unknown[] };
  assert.deepEqual([d.blood_pressure.systolic, d.readings.length], [128, 1]);
});

test("a number is not taken across another vital's name", () => {
  assert.deepEqual(v('your heart rate was 58 and you can tell that you are a runner with that level of a heart rate and your respirations were 14'), [['pulse', 58, 'bpm'], ['respiratory_rate', 14, 'breaths/min']]);
  // a longer phrase between the name and the number of the same vital is fine
  assert.deepEqual(v('respiratory rate we are seeing you at a smooth eighteen'), [['respiratory_rate', 18, 'breaths/min']]);
  assert.deepEqual(v('my blood sugar has been running a little higher at about 130'), [['blood_sugar', 130, 'mg/dL']]);
});
