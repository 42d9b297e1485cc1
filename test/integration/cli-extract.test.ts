import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { startFakeLlm } from '../helpers/fake-llm.js';
import { ROOT, SHARED } from '../helpers/server.js';

function extract(input: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'extract', ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

test('openscribe extract: a Doctor/Patient transcript on stdin → the templates as JSON', () => {
  const script = fs
    .readFileSync(path.join(SHARED, 'data/audio/consult-hypertension.txt'), 'utf8')
    .replace(/^D\|/gm, 'Doctor: ')
    .replace(/^P\|/gm, 'Patient: ');
  const r = extract(script, '--template', 'medications', '--template', 'vitals');
  assert.equal(r.status, 0, r.stderr);
  const [meds, vitals] = r.out.templates;
  const names = meds.medications.data.medications.map((m: { generic_name: string; action: string; frequency: string }) => `${m.generic_name}:${m.action}:${m.frequency}`);
  assert.ok(names.includes('amlodipine:start:OD'), names.join(','));
  assert.ok(names.includes('metformin:continue:BD'), names.join(','));
  assert.equal(vitals.vitals.data.blood_pressure.systolic, 158);
});

test('openscribe extract: an unknown template is reported per template, exit code 2', () => {
  const r = extract('Doctor: take paracetamol 500 mg SOS', '--template', 'nope', '--template', 'medications', '--mode', 'dictation');
  assert.equal(r.status, 2);
  assert.equal(r.out.templates[0].nope.error.code, 'template_not_found');
  assert.equal(r.out.templates[1].medications.status, 'success');
});

test('openscribe extract with OPENSCRIBE_EXTRACTOR=llm: the configured LLM writes the template', async () => {
  const fake = await startFakeLlm();
  try {
    const answer = {
      medications: [{
        name: 'amlodipine', generic_name: 'amlodipine', brand_name: null, drug_class: 'calcium channel blocker', dosage: '5 mg',
        dose_value: 5, dose_unit: 'mg', route: 'oral', frequency: 'once a day', frequency_per_day: 1, duration: null,
        duration_days: null, instructions: null, action: 'start', assertion: 'planned', assertion_cue: null, evidence: [{ line: 0, start: 8, end: 25, text: 'amlodipine 5 mg' }],
      }],
    };
    fake.fallback = { content: JSON.stringify(answer) };
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'extract', '--template', 'medications'], {
      cwd: ROOT,
      env: { ...process.env, OPENSCRIBE_EXTRACTOR: 'llm', OPENSCRIBE_LLM_BASE_URL: fake.baseUrl, OPENSCRIBE_LLM_MODEL: 'fake-model' },
    });
    child.stdin.end('Doctor: start amlodipine 5 mg once a day\n');
    const [stdout, stderr] = await Promise.all([text(child.stdout), text(child.stderr)]);
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0, stderr);
    assert.equal(fake.requests.length, 1, 'one chat completion for one template');
    assert.equal(fake.requests[0]!.body.model, 'fake-model');
    const out = JSON.parse(stdout);
    assert.equal(out.templates[0].medications.status, 'success');
    assert.equal(out.templates[0].medications.data.medications[0].generic_name, 'amlodipine');
  } finally {
    await fake.close();
  }
});
