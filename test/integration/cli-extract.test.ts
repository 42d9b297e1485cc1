import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
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
