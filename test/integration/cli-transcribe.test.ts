import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { synthesiseDialogue, type SynthesisedDialogue } from '../helpers/festival.js';
import { ROOT, serverWithKey, type RunningServer } from '../helpers/server.js';

// Recogniser-heavy: two transcriptions in all (CPU is scarce), each with generous time.
const CONSULTATION = [
  { speaker: 'doctor' as const, text: 'Good morning. What brings you in today?' },
  { speaker: 'patient' as const, text: 'My sugar has been high and I get headaches in the morning.' },
  { speaker: 'doctor' as const, text: 'Your blood pressure today is one fifty eight over ninety six.' },
  { speaker: 'doctor' as const, text: 'Continue metformin five hundred milligrams twice daily after food.' },
  { speaker: 'doctor' as const, text: 'I am starting lisinopril ten milligrams once daily in the morning.' },
  { speaker: 'patient' as const, text: 'Okay doctor, thank you.' },
];

let audio: SynthesisedDialogue;
let server: RunningServer | undefined;
let key = '';

function transcribe(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'transcribe', ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'test', OPENSCRIBE_TRANSCRIBER: 'pocketsphinx', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

before(async () => {
  audio = await synthesiseDialogue(CONSULTATION);
});
after(() => server?.stop());

test('embedded server, --format md: the note names the medicine prescribed, progress goes to stderr', { timeout: 600_000 }, async () => {
  const r = await transcribe([audio.wav, '--template', 'soap', '--template', 'medications', '--format', 'md']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^# Consultation note/m);
  assert.match(r.stdout, /## Medications/);
  assert.match(r.stdout.toLowerCase(), /\| metformin/);
  assert.match(r.stdout, /## Transcript/);
  assert.match(r.stderr, /upload: \d+\/\d+/);
  assert.doesNotMatch(r.stdout, /upload: /);
});

test('--server with --key, --format fhir: a Bundle with a Composition and MedicationStatements', { timeout: 600_000 }, async () => {
  ({ server, key } = await serverWithKey('cli-transcribe', { OPENSCRIBE_TRANSCRIBER: 'pocketsphinx' }));
  const r = await transcribe([audio.wav, '--server', server.url, '--key', key, '--template', 'soap', '--template', 'medications', '--format', 'fhir']);
  assert.equal(r.code, 0, r.stderr);
  const bundle = JSON.parse(r.stdout) as { resourceType: string; type: string; entry: Array<{ fullUrl: string; resource: Record<string, any> }> };
  assert.equal(bundle.resourceType, 'Bundle');
  assert.equal(bundle.type, 'collection');
  const byType = (t: string) => bundle.entry.filter((e) => e.resource.resourceType === t).map((e) => e.resource);
  assert.equal(byType('Composition').length, 1);
  const meds = byType('MedicationStatement');
  assert.ok(meds.some((m) => /metformin/i.test(m.medicationCodeableConcept.text)), JSON.stringify(meds));
  for (const m of meds) assert.equal(m.subject.reference, byType('Patient').length ? bundle.entry.find((e) => e.resource.resourceType === 'Patient')!.fullUrl : undefined);
  for (const e of bundle.entry) assert.match(e.fullUrl, /^urn:uuid:[0-9a-f-]{36}$/);
});
