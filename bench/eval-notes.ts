/**
 * Evaluation of the clinical note the rules extractor writes (`npm run eval:notes`).
 *
 * For each ACI-BENCH encounter the `clinical_notes_template` output is rendered as plain
 * text (each section: title upper-cased on its own line, blank line, content, blank line,
 * so ROUGE-Lsum's newline split sees the structure the clinicians' notes use) and scored
 * against the clinician's note with ROUGE-1/2/L/Lsum F1 (bench/lib/rouge.ts, a port of
 * ../shared/tools/rouge.py). Two baselines are scored in the same run: the transcript
 * itself (speaker tags removed) and TF-IDF retrieval of the nearest train dialogue's note.
 * Also timed: the extraction per encounter and of one ~15-minute consultation.
 *
 * Data is read at run time from ../shared/data (or $OPENSCRIBE_SHARED_DATA), never copied.
 * `--split train` scores ACI-BENCH train instead (retrieval leave-one-out), for tuning.
 * Results: bench/results/notes.json (notes-train.json for train). `--pairs FILE` also writes
 * the scored pairs in rouge.py's input format.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ExtractionInput, TranscriptLine } from '../src/core/ports/extractor.js';
import { extractTemplates, parseTranscriptText } from '../src/extraction/rules/index.js';
import { machineInfo } from './lib/machine.js';
import { targetTable, type Target } from './lib/report.js';
import { retrieveNotes, type Doc } from './lib/retrieval.js';
import { rougeScores, tokenize, type RougeScores } from './lib/rouge.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dataDir = process.env.OPENSCRIBE_SHARED_DATA ?? path.resolve(root, '..', 'shared', 'data');
const split = process.argv.includes('--split') ? process.argv[process.argv.indexOf('--split') + 1]! : 'valid';
if (split !== 'valid' && split !== 'train') throw new Error(`--split must be valid or train, not ${split}`);
/** `--pairs FILE`: also write every scored pair as rouge.py input, to check the port on these very texts. */
const pairsFile = process.argv.includes('--pairs') ? process.argv[process.argv.indexOf('--pairs') + 1]! : null;

const SUBSETS = ['aci', 'virtassist', 'virtscribe'] as const;
const SYSTEMS = ['rules', 'retrieval', 'transcript'] as const;
type System = (typeof SYSTEMS)[number];
const METRICS = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'] as const;

interface Row { encounter_id: string; dataset: string; dialogue: string; note: string }
const load = (name: string): Row[] =>
  fs.readFileSync(path.join(dataDir, 'aci-bench', `${name}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);

const inputOf = (dialogue: string): ExtractionInput => ({ lines: parseTranscriptText(dialogue), mode: 'consultation', language: 'en' });

function extractNote(input: ExtractionInput): { text: string; error: string | null } {
  const res = extractTemplates(['clinical_notes_template'], input)['clinical_notes_template']!;
  if (res.status !== 'success') return { text: '', error: `${res.error.code}: ${res.error.message}` };
  const sections = (res.data as { sections?: { title: string; content: string }[] }).sections ?? [];
  return { text: sections.map((s) => `${s.title.toUpperCase()}\n\n${s.content}\n\n`).join(''), error: null };
}

// ── run ─────────────────────────────────────────────────────────────────────
const train = load('train');
const valid = load('valid');
const rows = split === 'train' ? train : valid;
const docOf = (r: Row): Doc => ({ id: r.encounter_id, dialogue: r.dialogue, note: r.note });
const retrieved = retrieveNotes(rows.map(docOf), train.map(docOf), split === 'train');

// The first call pays for building the lexicon matchers: timed apart, not in the mean.
let t0 = performance.now();
extractNote(inputOf(rows[0]!.dialogue));
const coldMs = performance.now() - t0;

const pairs: { id: string; prediction: string; reference: string }[] = [];
const encounters = rows.map((r, i) => {
  const input = inputOf(r.dialogue);
  t0 = performance.now();
  const note = extractNote(input);
  const ms = performance.now() - t0;
  const predictions: Record<System, string> = {
    rules: note.text,
    retrieval: retrieved[i]!.note,
    transcript: input.lines.map((l) => l.text).join('\n'),
  };
  const scores = Object.fromEntries(SYSTEMS.map((s) => [s, rougeScores(predictions[s], r.note)])) as Record<System, RougeScores>;
  const words = Object.fromEntries(SYSTEMS.map((s) => [s, tokenize(predictions[s]).length])) as Record<System, number>;
  if (pairsFile) for (const s of SYSTEMS) pairs.push({ id: `${r.encounter_id}/${s}`, prediction: predictions[s], reference: r.note });
  return { id: r.encounter_id, subset: r.dataset, ms, error: note.error, retrieved: { id: retrieved[i]!.id, similarity: retrieved[i]!.similarity }, reference_words: tokenize(r.note).length, words, scores };
});
type Encounter = (typeof encounters)[number];

// One ~15-minute consultation: valid dialogues end to end, cut at a line past 2,200 words.
const longLines: TranscriptLine[] = [];
let longWords = 0;
for (const line of valid.flatMap((r) => parseTranscriptText(r.dialogue))) {
  if (longWords >= 2200) break;
  longLines.push(line);
  longWords += line.text.split(/\s+/).filter(Boolean).length;
}
const longInput: ExtractionInput = { lines: longLines, mode: 'consultation', language: 'en' };
extractNote(longInput);
const longRuns = Array.from({ length: 5 }, () => {
  const cpu = process.cpuUsage();
  const t = performance.now();
  extractNote(longInput);
  const wall = performance.now() - t;
  const c = process.cpuUsage(cpu);
  return { wall, cpu: (c.user + c.system) / 1000 };
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ── figures ─────────────────────────────────────────────────────────────────
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

function summary(es: Encounter[]) {
  return {
    n: es.length,
    reference_words_mean: r1(mean(es.map((e) => e.reference_words))),
    ...Object.fromEntries(SYSTEMS.map((s) => [s, {
      ...Object.fromEntries(METRICS.map((m) => [m, r1(100 * mean(es.map((e) => e.scores[s][m])))])),
      words_mean: r1(mean(es.map((e) => e.words[s]))),
    }])),
  } as { n: number; reference_words_mean: number } & Record<System, Record<(typeof METRICS)[number] | 'words_mean', number>>;
}
const overall = summary(encounters);
const subsets = Object.fromEntries(SUBSETS.map((s) => [s, summary(encounters.filter((e) => e.subset === s))]));
const ms = encounters.map((e) => e.ms);
const timing = {
  cold_first_call_ms: r2(coldMs),
  per_encounter_ms: { mean: r2(mean(ms)), max: r2(Math.max(...ms)) },
  consultation_15min: {
    lines: longLines.length,
    words: longWords,
    runs: 5,
    median_ms: r2(median(longRuns.map((r) => r.wall))),
    median_cpu_ms: r2(median(longRuns.map((r) => r.cpu))),
    runs_ms: longRuns.map((r) => r2(r.wall)),
  },
};

// Compared on the figures as reported (1 decimal), so a pass is what the table shows.
const HEADLINE = ['rouge1', 'rouge2', 'rougeLsum'] as const;
const beaten = SUBSETS.flatMap((s) => HEADLINE.filter((m) => !(subsets[s]!.rules[m] > subsets[s]!.retrieval[m])).map((m) => `${s}.${m}`));
const targets: Target[] = [
  { name: 'rouge1', requirement: 'mean ROUGE-1 F1 ≥ 50', measured: { rouge1: overall.rules.rouge1 }, pass: overall.rules.rouge1 >= 50 },
  { name: 'rouge2', requirement: 'mean ROUGE-2 F1 ≥ 22', measured: { rouge2: overall.rules.rouge2 }, pass: overall.rules.rouge2 >= 22 },
  { name: 'rougeLsum', requirement: 'mean ROUGE-Lsum F1 ≥ 45', measured: { rougeLsum: overall.rules.rougeLsum }, pass: overall.rules.rougeLsum >= 45 },
  {
    name: 'above_retrieval',
    requirement: 'ROUGE-1, -2 and -Lsum above the retrieval baseline on every subset (aci, virtassist, virtscribe)',
    measured: { not_above: beaten.length ? beaten.join(' ') : 'none' },
    pass: beaten.length === 0,
  },
  { name: 'extract_15min_ms', requirement: 'extraction of a ~15-minute consultation (~2,200 words) < 1000 ms (median of 5, one thread)', measured: { median_ms: timing.consultation_15min.median_ms }, pass: timing.consultation_15min.median_ms < 1000 },
];

const result = {
  generated_at: new Date().toISOString(),
  split,
  reference: `ACI-BENCH ${split} (${rows.length} encounters); reference = the clinician's note`,
  method:
    'ROUGE F1 ×100, mean over encounters (bench/lib/rouge.ts = ../shared/tools/rouge.py: lower-case, non-alphanumerics to spaces, no stemming; Lsum on newline-split texts). ' +
    'rules = clinical_notes_template sections rendered "TITLE\\n\\ncontent\\n\\n"; transcript = dialogue lines without speaker tags, one a line; ' +
    `retrieval = note of the nearest train dialogue by TF-IDF cosine (smooth idf)${split === 'train' ? ', leave-one-out with idf refitted without the query' : ''}. ` +
    'words = ROUGE tokens. Timing: wall ms on the main thread after one warm-up call (cold_first_call_ms is that call).',
  machine: machineInfo(),
  overall,
  subsets,
  timing,
  targets: Object.fromEntries(targets.map((t) => [t.name, { requirement: t.requirement, measured: t.measured, pass: t.pass }])),
  encounters: encounters.map((e) => ({
    id: e.id,
    subset: e.subset,
    extract_ms: r2(e.ms),
    error: e.error,
    reference_words: e.reference_words,
    retrieved: { id: e.retrieved.id, similarity: Math.round(e.retrieved.similarity * 1000) / 1000 },
    ...Object.fromEntries(SYSTEMS.map((s) => [s, { words: e.words[s], ...Object.fromEntries(METRICS.map((m) => [m, r1(100 * e.scores[s][m])])) }])),
  })),
};
fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
const outFile = path.join(root, 'bench', 'results', split === 'train' ? 'notes-train.json' : 'notes.json');
fs.writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
if (pairsFile) fs.writeFileSync(pairsFile, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');

// ── table ───────────────────────────────────────────────────────────────────
console.log(`clinical notes — ${result.reference}; ROUGE F1 ×100`);
console.log(`${'subset'.padEnd(18)}${'system'.padEnd(12)}${['R1', 'R2', 'RL', 'RLsum', 'words', 'ref'].map((h) => h.padStart(7)).join('')}`);
for (const [name, s] of [['all', overall], ...Object.entries(subsets)] as const) {
  for (const sys of SYSTEMS) {
    const v = s[sys];
    const cells = [...METRICS.map((m) => v[m].toFixed(1)), v.words_mean.toFixed(0), s.reference_words_mean.toFixed(0)];
    console.log(`${(sys === 'rules' ? `${name} (n=${s.n})` : '').padEnd(18)}${sys.padEnd(12)}${cells.map((c) => c.padStart(7)).join('')}`);
  }
}
const errors = encounters.filter((e) => e.error);
if (errors.length) console.log(`\nextraction failed on ${errors.length}: ${errors.map((e) => `${e.id} (${e.error})`).join('; ')}`);
console.log(`\nextraction: ${timing.per_encounter_ms.mean} ms mean, ${timing.per_encounter_ms.max} ms max per encounter (first call ${timing.cold_first_call_ms} ms); ` +
  `15-min consultation (${longWords} words): median ${timing.consultation_15min.median_ms} ms`);
console.log(`\n${targetTable(targets)}`);
console.log(`\nwritten ${path.relative(root, outFile)}`);
