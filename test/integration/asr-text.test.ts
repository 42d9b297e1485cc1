import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildArpa, parseArpa } from '../../scripts/lib/ngram.js';
import { DRUGS, DRUG_WORDS } from '../../scripts/lib/medical-lexicon.js';
import { parseDictFile, defaultMedicalVocabulary } from '../../src/speech/recognisers/pocketsphinx/engine.js';
import { normalizeText, numberToWords } from '../../src/speech/recognisers/text.js';
import { align, termScore, wordErrorRate } from '../../bench/lib/wer.js';
import fs from 'node:fs';
import { DEBIAN_MODEL_DIR } from '../../src/speech/recognisers/pocketsphinx/native.js';

test('normalizeText writes clinical text the way it is spoken', () => {
  assert.equal(normalizeText('BP 158/96, pulse 82.'), 'bp one fifty eight over ninety six pulse eighty two');
  assert.equal(normalizeText('Temp 98.4 F; amlodipine 5 mg OD'), 'temp ninety eight point four f amlodipine five milligrams od');
  assert.equal(normalizeText('1,500 mg and 3% in 2019, her 2nd visit'), 'one thousand five hundred milligrams and three percent in twenty nineteen her second visit');
  assert.equal(normalizeText("i do n't know , we 're gon na"), "i don't know we're gonna");
  assert.equal(normalizeText('<UNSURE>Hello</UNSURE> "quoted"'), 'hello quoted');
  assert.equal(numberToWords(101), 'one hundred one');
  assert.equal(numberToWords(2_000_017), 'two million seventeen');
});

test('WER and drug-name scoring by alignment', () => {
  const ref = 'start amlodipine five milligrams'.split(' ');
  assert.equal(wordErrorRate(ref, ref), 0);
  const hyp = 'start and let the pine five milligrams'.split(' ');
  const a = align(ref, hyp);
  assert.equal(a.substitutions + a.deletions + a.insertions, 4);
  assert.equal(wordErrorRate(ref, hyp), 1);
  const t = termScore(ref, hyp, DRUG_WORDS);
  assert.deepEqual([t.total, t.correct, t.falseAlarms], [1, 0, 0]);
  const t2 = termScore(ref, 'start amlodipine five metformin'.split(' '), DRUG_WORDS);
  assert.deepEqual([t2.total, t2.correct, t2.falseAlarms, t2.errorRate], [1, 1, 1, 1]);
});

test('the KN trigram builder writes a normalised ARPA model', () => {
  const corpus = ['take metformin twice daily', 'take amlodipine once daily', 'take it with food', 'continue metformin after food'].map((s) => s.split(' '));
  const vocabulary = new Set(['take', 'metformin', 'amlodipine', 'twice', 'once', 'daily', 'it', 'with', 'food', 'continue', 'after', 'lisinopril']);
  const { arpa, stats } = buildArpa(corpus, { vocabulary, extraUnigrams: ['lisinopril'] });
  const [, uni, bi] = parseArpa(arpa);
  assert.equal(stats.unigrams, uni!.size);
  assert.ok(uni!.has('lisinopril'), 'unseen lexicon words get a unigram');
  const p1 = [...uni!].filter(([w]) => w !== '<s>').reduce((s, [, v]) => s + 10 ** v.logp, 0);
  assert.ok(Math.abs(p1 - 1) < 1e-3, `unigrams sum to ${p1}`);
  // P(· | take) over the whole vocabulary sums to one through the backoff weight
  const bow = 10 ** uni!.get('take')!.bow;
  let sum = 0;
  for (const [w, v] of uni!) {
    if (w === '<s>') continue;
    const b = bi!.get(`take ${w}`);
    sum += b ? 10 ** b.logp : bow * 10 ** v.logp;
  }
  assert.ok(Math.abs(sum - 1) < 2e-3, `P(.|take) sums to ${sum}`);
});

test('the committed medical dictionary covers every lexicon drug with valid phones', () => {
  const { dict, lm } = defaultMedicalVocabulary();
  const entries = parseDictFile(fs.readFileSync(dict, 'utf8'));
  const phones = new Set('AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH'.split(' '));
  for (const e of entries) for (const p of e.phones.split(' ')) assert.ok(phones.has(p), `${e.word}: bad phone ${p}`);
  const words = new Set(entries.map((e) => e.word.replace(/\(\d+\)$/, '')));
  const cmu = new Set(fs.readFileSync(`${DEBIAN_MODEL_DIR}/cmudict-en-us.dict`, 'utf8').split('\n').map((l) => l.split(/[\s(]/)[0]));
  for (const d of DRUGS) assert.ok(words.has(d.word) || cmu.has(d.word), d.word);
  const size = fs.statSync(lm).size;
  assert.ok(size < 5e6, `medical.lm is ${size} bytes`);
  const uni = parseArpa(fs.readFileSync(lm, 'utf8'))[1]!;
  for (const w of ['metformin', 'amlodipine', 'lisinopril', 'paracetamol', 'cetirizine']) assert.ok(uni.has(w), w);
});
