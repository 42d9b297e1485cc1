/**
 * Generates the medical vocabulary that the PocketSphinx transcriber adds to its
 * stock en-us model (run by hand when the lexicon changes; the outputs are
 * committed, so neither Festival nor the shared data is needed at run time):
 *
 *   models/medical/medical.dict  pronunciations for drug names, clinical terms,
 *                                abbreviations and the dialogue corpus' words
 *                                that CMUdict lacks (hand-written phones from
 *                                scripts/lib/medical-lexicon.ts, otherwise
 *                                Festival's CMU letter-to-sound rules)
 *   models/medical/medical.lm    a trigram LM (ARPA) of doctor–patient talk from
 *                                ACI-BENCH train + PriMock57 dialogues, with every
 *                                lexicon drug substituted into the corpus' own
 *                                drug contexts
 *
 * Usage: npx tsx scripts/build-medical-vocab.ts [--data ../shared/data]
 * Needs: Debian packages pocketsphinx-en-us (CMUdict) and festival (letter-to-sound).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLINICAL_TERMS, DRUGS, DRUG_WORDS, SPELLED, spelledPhones, type LexiconEntry } from './lib/medical-lexicon.js';
import { buildArpa } from './lib/ngram.js';
import { DEBIAN_MODEL_DIR } from '../src/speech/recognisers/pocketsphinx/native.js';
import { normalizeText } from '../src/speech/recognisers/text.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const argData = process.argv.indexOf('--data');
const dataDir = path.resolve(argData > 0 ? process.argv[argData + 1]! : path.join(root, '..', 'shared', 'data'));
const outDir = path.join(root, 'models', 'medical');

// ---- CMUdict as shipped with pocketsphinx-en-us
const cmu = new Map<string, string[]>();
for (const line of fs.readFileSync(path.join(DEBIAN_MODEL_DIR, 'cmudict-en-us.dict'), 'utf8').split('\n')) {
  const m = /^(\S+?)(?:\((\d+)\))?\s+(.+)$/.exec(line.trim());
  if (!m) continue;
  const l = cmu.get(m[1]!) ?? [];
  l.push(m[3]!.trim());
  cmu.set(m[1]!, l);
}

// ---- the dialogue corpus, as spoken-form sentences
function splitSentences(text: string): string[] {
  return text.split(/(?<=[.?!])\s+|\n+/).map((s) => s.replace(/^\s*\[(doctor|patient|patient_guest|doctor_guest|guest_family|guest_clinician)\]\s*/i, ''));
}
const sentences: string[][] = [];
for (const line of fs.readFileSync(path.join(dataDir, 'aci-bench', 'train.jsonl'), 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const { dialogue } = JSON.parse(line) as { dialogue: string };
  for (const s of splitSentences(dialogue)) {
    const t = normalizeText(s);
    if (t) sentences.push(t.split(' '));
  }
}
const primockDir = path.join(dataDir, 'primock57');
for (const f of fs.readdirSync(primockDir).filter((f) => f.endsWith('.json')).sort()) {
  const { utterances } = JSON.parse(fs.readFileSync(path.join(primockDir, f), 'utf8')) as { utterances: { text: string }[] };
  for (const u of utterances) {
    for (const s of splitSentences(u.text)) {
      const t = normalizeText(s);
      if (t) sentences.push(t.split(' '));
    }
  }
}
console.log(`corpus: ${sentences.length} sentences, ${sentences.reduce((n, s) => n + s.length, 0)} words`);

// ---- words to add
const JUNK = new Set(['unin', 'unsure', 'mmm', 'hmm', 'uhm', 'mhm', 'gon', 'na', 'wh', 'partici', 'quali', 'oper', 'chole', 'estra', 'foof', 'notate', 'weened', 'flection']);
const corpusCounts = new Map<string, number>();
for (const s of sentences) for (const w of s) corpusCounts.set(w, (corpusCounts.get(w) ?? 0) + 1);
const lexicon: LexiconEntry[] = [...DRUGS, ...CLINICAL_TERMS];
const lexWords = new Set(lexicon.map((e) => e.word));
const corpusOov = [...corpusCounts]
  .filter(([w, n]) => n >= 2 && !cmu.has(w) && !lexWords.has(w) && !JUNK.has(w) && /^[a-z][a-z']*[a-z]$/.test(w) && !w.includes("'"))
  .map(([w]) => w);

// ---- Festival letter-to-sound for words without hand-written phones
const RADIO_TO_CMU: Record<string, string> = { ax: 'AH', axr: 'ER', el: 'AH L', em: 'AH M', en: 'AH N', ix: 'IH', nx: 'N', dx: 'T', hv: 'HH' };
function festivalPhones(words: string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (!words.length) return out;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lts-'));
  const scm = path.join(dir, 'lts.scm');
  fs.writeFileSync(
    scm,
    `(voice_cmu_us_slt_arctic_hts)\n(mapcar (lambda (w) (format t "%s\\t%l\\n" w (lex.lookup w nil))) '(${words.map((w) => `"${w}"`).join(' ')}))\n`,
  );
  const text = execFileSync('festival', ['-b', scm], { encoding: 'utf8', maxBuffer: 64 << 20 });
  fs.rmSync(dir, { recursive: true, force: true });
  for (const line of text.split('\n')) {
    const [w, lex] = line.split('\t');
    if (!w || !lex) continue;
    const phones = [...lex.matchAll(/\(\(([a-z ]+)\) \d\)/g)]
      .flatMap((m) => m[1]!.split(' '))
      .filter((p) => p && p !== 'pau')
      .map((p) => RADIO_TO_CMU[p] ?? p.toUpperCase());
    if (phones.length) out.set(w, phones.join(' '));
  }
  return out;
}
const needLts = [...lexicon.map((e) => e.word), ...corpusOov].filter((w) => !SPELLED.includes(w));
const lts = festivalPhones([...new Set(needLts)]);

const dict = new Map<string, string[]>();
const add = (word: string, phones: string | undefined) => {
  if (!phones) return;
  const existing = [...(cmu.get(word) ?? []), ...(dict.get(word) ?? [])];
  if (existing.includes(phones)) return;
  dict.set(word, [...(dict.get(word) ?? []), phones]);
};
for (const e of lexicon) {
  for (const p of e.phones ?? []) add(e.word, p);
  // the letter-to-sound reading as an alternative: how a reader unsure of the drug says it
  if (!cmu.has(e.word)) add(e.word, lts.get(e.word));
}
for (const w of SPELLED) if (!cmu.has(w)) add(w, spelledPhones(w));
for (const w of corpusOov) add(w, /[aeiouy]/.test(w) ? lts.get(w) : spelledPhones(w));

const dictLines: string[] = [];
for (const [w, prons] of [...dict].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
  const base = cmu.get(w)?.length ?? 0;
  prons.forEach((p, i) => {
    const n = base + i;
    dictLines.push(`${n === 0 ? w : `${w}(${n + 1})`} ${p}`);
  });
}
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'medical.dict'), dictLines.join('\n') + '\n');
console.log(`medical.dict: ${dict.size} words, ${dictLines.length} pronunciations`);

// ---- domain LM: corpus + each drug in the corpus' own drug contexts
const vocabulary = new Set<string>([...cmu.keys(), ...dict.keys()]);
const drugContexts = sentences.filter((s) => s.some((w) => DRUG_WORDS.has(w)) && s.length <= 30);
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const augmented: string[][] = [];
for (const drug of DRUG_WORDS) {
  for (let k = 0; k < 4 && drugContexts.length; k++) {
    const ctx = drugContexts[Math.floor(rand() * drugContexts.length)]!;
    augmented.push(ctx.map((w) => (DRUG_WORDS.has(w) ? drug : w)));
  }
}
console.log(`drug contexts: ${drugContexts.length}, augmented sentences: ${augmented.length}`);
const { arpa, stats } = buildArpa([...sentences, ...augmented], { vocabulary, extraUnigrams: dict.keys() });
fs.writeFileSync(path.join(outDir, 'medical.lm'), arpa);
console.log(`medical.lm: ${stats.unigrams} unigrams, ${stats.bigrams} bigrams, ${stats.trigrams} trigrams, ${(arpa.length / 1e6).toFixed(2)} MB`);
