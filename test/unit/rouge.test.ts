import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { rougeScores, type RougeScores } from '../../bench/lib/rouge.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const shared = path.resolve(root, '..', 'shared');
const dataDir = process.env.OPENSCRIBE_SHARED_DATA ?? path.join(shared, 'data');
const rougePy = path.join(shared, 'tools', 'rouge.py');

interface Pair { id: string; prediction: string; reference: string }

const handWritten: Pair[] = [
  { id: 'both-empty', prediction: '', reference: '' },
  { id: 'pred-empty', prediction: '', reference: 'the patient has a cough' },
  { id: 'ref-empty', prediction: 'the patient has a cough', reference: '' },
  { id: 'punct-only', prediction: '!!! ,,, ... -- //', reference: 'Blood pressure 120/80.' },
  { id: 'identical', prediction: 'Chief complaint: knee pain.', reference: 'Chief complaint: knee pain.' },
  { id: 'case-punct', prediction: "The patient's BP is 120/80, HR 72.", reference: 'the patient s bp 120 80 hr 72' },
  { id: 'unicode', prediction: 'café naïve – 5mg İbuprofen', reference: 'cafe naive 5 mg ibuprofen' },
  { id: 'repeats', prediction: 'the the the cat sat', reference: 'the cat the sat the mat' },
  { id: 'lsum-lines', prediction: 'a b c\nd e f', reference: 'a b\nc d e f' },
  { id: 'lsum-counts', prediction: 'a a a\na b', reference: 'a\na\nb a' },
  { id: 'lsum-blank-crlf', prediction: 'HISTORY\r\n\r\nknee pain for two weeks\r\n\r\nPLAN\r\n\r\nice and rest', reference: 'HISTORY OF PRESENT ILLNESS\n\nknee pain, two weeks.\n\nPLAN\nrest; ice.' },
  { id: 'lsum-one-vs-many', prediction: 'knee pain two weeks ice rest follow up', reference: 'knee pain\ntwo weeks\nfollow up\nice rest' },
];

// Seeded random pairs over a tiny vocabulary: many ties, so the LCS back-tracking order matters.
function randomPairs(n: number): Pair[] {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const text = () => Array.from({ length: 1 + Math.floor(rnd() * 30) }, () => ['a', 'b', 'c', 'd', 'A.', '\n', ', '][Math.floor(rnd() * 7)]).join(' ');
  return Array.from({ length: n }, (_, i) => ({ id: `random-${i}`, prediction: text(), reference: text() }));
}

function realPairs(): Pair[] {
  const rows = fs.readFileSync(path.join(dataDir, 'aci-bench', 'train.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { encounter_id: string; dialogue: string; note: string });
  const [a, b, c, d] = [rows[0]!, rows[1]!, rows[2]!, rows[5]!];
  return [
    { id: `${a.encounter_id}-vs-${b.encounter_id}`, prediction: a.note, reference: b.note },
    { id: `${c.encounter_id}-vs-${d.encounter_id}`, prediction: c.note, reference: d.note },
    { id: `${d.encounter_id}-dialogue-vs-note`, prediction: d.dialogue, reference: d.note },
  ];
}

test('rougeScores equals ../shared/tools/rouge.py to 1e-9', () => {
  const pairs = [...handWritten, ...randomPairs(40), ...realPairs()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rouge-'));
  try {
    const file = path.join(dir, 'pairs.jsonl');
    fs.writeFileSync(file, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
    // No python3 is a failure, not a skip: the port is only trusted against the reference.
    const py = spawnSync('python3', [rougePy, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.ifError(py.error);
    assert.equal(py.status, 0, py.stderr);
    const expected = (JSON.parse(py.stdout) as { per_id: Record<string, RougeScores> }).per_id;
    assert.equal(Object.keys(expected).length, pairs.length);
    for (const p of pairs) {
      const got = rougeScores(p.prediction, p.reference);
      const want = expected[p.id]!;
      for (const k of ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'] as const) {
        assert.ok(Math.abs(got[k] - want[k]) <= 1e-9, `${p.id} ${k}: ${got[k]} vs python ${want[k]}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('rougeScores: fixed points', () => {
  assert.deepEqual(rougeScores('', ''), { rouge1: 0, rouge2: 0, rougeL: 0, rougeLsum: 0 });
  assert.deepEqual(rougeScores('Knee pain.', 'knee, PAIN'), { rouge1: 1, rouge2: 1, rougeL: 1, rougeLsum: 1 });
});
