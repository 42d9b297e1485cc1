/**
 * Speech recognition benchmark: word error rate overall and on drug names, with
 * the stock PocketSphinx en-us model ("before") and with the medical vocabulary
 * ("after"), plus the real-time factor. Audio: the shared synthesised recordings
 * in ../shared/data/audio and consultations synthesised here with Festival from
 * ACI-BENCH *valid* dialogues (held out from the medical LM, which is built from
 * ACI-BENCH train + PriMock57). Synthesised audio is cached under .tmp/asr-bench.
 *
 *   npm run bench:asr [-- --sweep] [-- --no-synth]
 *
 * Needs Debian packages: libpocketsphinx3 pocketsphinx-en-us ffmpeg, and for the
 * synthesis festival festvox-us-slt-hts festvox-kallpc16k sox.
 * Writes bench/results/asr.json.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PocketsphinxTranscriber, type PocketsphinxTranscriberOptions } from '../src/speech/recognisers/pocketsphinx/index.js';
import { DRUG_WORDS } from '../scripts/lib/medical-lexicon.js';
import { normalizeText, tokens } from '../src/speech/recognisers/text.js';
import { align, termScore } from './lib/wer.js';
import { decodeToPcm } from '../src/speech/audio/decode.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const shared = path.resolve(process.env.OPENSCRIBE_SHARED_DATA ?? path.join(root, '..', 'shared', 'data'));
const cacheDir = path.join(root, '.tmp', 'asr-bench');
const args = new Set(process.argv.slice(2));

interface Case {
  name: string;
  wav: string;
  /** Script lines `D|…` / `P|…`. */
  script: string;
  source: string;
}

function scriptTokens(script: string): string[] {
  return tokens(
    script
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^[DP]\|/, ''))
      .join(' '),
  );
}

// ---- synthesis (Festival, as ../shared/data/audio was made)
const ENCOUNTERS = ['D2N080', 'D2N087', 'D2N070'];

function excerpt(dialogue: string): string[] {
  const lines = dialogue.split('\n').filter((l) => /^\[(doctor|patient)\]/.test(l));
  const keep = new Set<number>();
  lines.forEach((l, i) => {
    if (tokens(l).some((w) => DRUG_WORDS.has(w))) for (const j of [i - 1, i, i + 1]) if (j >= 0 && j < lines.length) keep.add(j);
  });
  const out: string[] = [];
  for (const i of [...keep].sort((a, b) => a - b)) {
    const line = lines[i]!;
    const who = line.startsWith('[doctor]') ? 'D' : 'P';
    const body = line.replace(/^\[\w+\]\s*/, '');
    // at most three sentences around the drug mention
    const sentences = body.split(/(?<=[.?!])\s+/);
    let at = sentences.findIndex((s) => tokens(s).some((w) => DRUG_WORDS.has(w)));
    if (at < 0) at = 0;
    const text = normalizeText(sentences.slice(Math.max(0, at - 1), at + 2).join(' '));
    if (text) out.push(`${who}|${text}`);
  }
  return out.slice(0, 24);
}

function synthesise(name: string, lines: string[]): string {
  const wav = path.join(cacheDir, `${name}.wav`);
  const txt = path.join(cacheDir, `${name}.txt`);
  if (fs.existsSync(wav) && fs.existsSync(txt) && fs.readFileSync(txt, 'utf8') === lines.join('\n') + '\n') return wav;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'asr-synth-'));
  const parts: string[] = [];
  const silence = path.join(tmp, 'silence.wav');
  execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', silence, 'trim', '0', '0.7']);
  lines.forEach((line, i) => {
    const [who, text] = line.split('|') as [string, string];
    const lineTxt = path.join(tmp, `${i}.txt`);
    const raw = path.join(tmp, `${i}.raw.wav`);
    const out = path.join(tmp, `${i}.wav`);
    fs.writeFileSync(lineTxt, text + '\n');
    const voice = who === 'D' ? '(voice_cmu_us_slt_arctic_hts)' : '(voice_kal_diphone)';
    execFileSync('text2wave', ['-eval', voice, lineTxt, '-o', raw], { stdio: 'ignore' });
    execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', out]);
    if (i > 0) parts.push(silence);
    parts.push(out);
  });
  fs.mkdirSync(cacheDir, { recursive: true });
  execFileSync('sox', [...parts, wav]);
  fs.writeFileSync(txt, lines.join('\n') + '\n');
  fs.rmSync(tmp, { recursive: true, force: true });
  return wav;
}

function cases(): Case[] {
  const list: Case[] = [];
  for (const name of ['consult-hypertension', 'dictation-fever']) {
    list.push({ name, wav: path.join(shared, 'audio', `${name}.wav`), script: fs.readFileSync(path.join(shared, 'audio', `${name}.txt`), 'utf8'), source: 'shared/data/audio' });
  }
  if (args.has('--no-synth')) return list;
  const valid = fs
    .readFileSync(path.join(shared, 'aci-bench', 'valid.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { encounter_id: string; dialogue: string });
  for (const id of ENCOUNTERS) {
    const enc = valid.find((e) => e.encounter_id === id);
    if (!enc) continue;
    const lines = excerpt(enc.dialogue);
    const t = Date.now();
    const wav = synthesise(`aci-valid-${id}`, lines);
    console.error(`synthesised ${id}: ${lines.length} lines (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    list.push({ name: `aci-valid-${id}`, wav, script: lines.join('\n'), source: 'Festival from ACI-BENCH valid' });
  }
  return list;
}

// ---- measuring
interface Totals {
  refWords: number;
  errors: number;
  drugTotal: number;
  drugCorrect: number;
  drugFalse: number;
  audioSec: number;
  decodeSec: number;
  cpuSec: number;
}

async function run(label: string, options: PocketsphinxTranscriberOptions, list: Case[], audio: Map<string, Int16Array>) {
  const tr = await PocketsphinxTranscriber.create(options);
  const perCase: Record<string, unknown>[] = [];
  const tot: Totals = { refWords: 0, errors: 0, drugTotal: 0, drugCorrect: 0, drugFalse: 0, audioSec: 0, decodeSec: 0, cpuSec: 0 };
  for (const c of list) {
    const pcm = audio.get(c.name)!;
    const t = performance.now();
    const cpu0 = process.cpuUsage();
    const r = await tr.transcribe(pcm, { language: 'en' });
    const sec = (performance.now() - t) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSec = (cpu.user + cpu.system) / 1e6;
    const hyp = r.segments.flatMap((s) => s.text.split(' ').filter(Boolean));
    const ref = scriptTokens(c.script);
    const a = align(ref, hyp);
    const d = termScore(ref, hyp, DRUG_WORDS);
    const errors = a.substitutions + a.deletions + a.insertions;
    const dur = pcm.length / 16000;
    tot.refWords += a.refWords;
    tot.errors += errors;
    tot.drugTotal += d.total;
    tot.drugCorrect += d.correct;
    tot.drugFalse += d.falseAlarms;
    tot.audioSec += dur;
    tot.decodeSec += sec;
    tot.cpuSec += cpuSec;
    perCase.push({
      case: c.name,
      audio_s: +dur.toFixed(2),
      wer: +(errors / a.refWords).toFixed(4),
      ref_words: a.refWords,
      substitutions: a.substitutions,
      deletions: a.deletions,
      insertions: a.insertions,
      drug_names: { total: d.total, correct: d.correct, false_alarms: d.falseAlarms, error_rate: +d.errorRate.toFixed(4), misses: d.misses },
      rtf: +(sec / dur).toFixed(3),
      cpu_rtf: +(cpuSec / dur).toFixed(3),
    });
    console.error(`${label.padEnd(10)} ${c.name.padEnd(24)} WER ${((errors / a.refWords) * 100).toFixed(1).padStart(5)}%  drugs ${d.correct}/${d.total}  RTF ${(sec / dur).toFixed(3)} (CPU ${(cpuSec / dur).toFixed(3)})`);
  }
  await tr.close();
  return {
    engine: tr.id,
    options: { vad: options.vad ?? true, vocabulary: options.vocabulary === false ? 'none' : (options.vocabulary ?? 'models/medical (default)') },
    wer: +(tot.errors / tot.refWords).toFixed(4),
    drug_name_error_rate: tot.drugTotal ? +((tot.drugTotal - tot.drugCorrect + tot.drugFalse) / tot.drugTotal).toFixed(4) : null,
    drug_names: { total: tot.drugTotal, correct: tot.drugCorrect, false_alarms: tot.drugFalse },
    rtf: +(tot.decodeSec / tot.audioSec).toFixed(3),
    cpu_rtf: +(tot.cpuSec / tot.audioSec).toFixed(3),
    audio_s: +tot.audioSec.toFixed(1),
    cases: perCase,
  };
}

async function main() {
  const list = cases();
  const audio = new Map<string, Int16Array>();
  for (const c of list) audio.set(c.name, (await decodeToPcm({ path: c.wav })).pcm);
  const before = await run('before', { vocabulary: false }, list, audio);
  const after = await run('after', {}, list, audio);
  const result: Record<string, unknown> = {
    benchmark: 'asr-wer',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version },
    notes:
      'WER = (S+D+I)/N over spoken-form tokens; drug-name error rate = (reference drug tokens not recognised + drug words inserted elsewhere) / reference drug tokens. ' +
      'RTF = wall time of transcribe() (VAD + decoding in the worker thread) / audio duration, one decoder, 2-core machine shared with other work; cpu_rtf = CPU time of the process over the same call / audio duration (steadier under load). ' +
      'Audio is synthetic (Festival); the medical LM never saw these scripts (ACI-BENCH valid is held out; the shared scripts are not in the corpus).',
    before,
    after,
  };
  if (args.has('--sweep')) {
    const sweep: Record<string, unknown>[] = [];
    for (const w of [0.3, 0.7]) {
      const r = await run(`w=${w}`, { vocabulary: { ...(await import('../src/speech/recognisers/pocketsphinx/index.js')).defaultMedicalVocabulary(), lmWeight: w } }, list, audio);
      sweep.push({ lm_weight: w, wer: r.wer, drug_name_error_rate: r.drug_name_error_rate, rtf: r.rtf, cpu_rtf: r.cpu_rtf });
    }
    const novad = await run('after-novad', { vad: false }, list, audio);
    result.sweep = sweep;
    result.after_without_vad = { wer: novad.wer, drug_name_error_rate: novad.drug_name_error_rate, rtf: novad.rtf, cpu_rtf: novad.cpu_rtf };
  }
  fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench', 'results', 'asr.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(
    `before: WER ${(before.wer * 100).toFixed(1)}%, drug names ${before.drug_names.correct}/${before.drug_names.total}, RTF ${before.rtf}\n` +
      `after:  WER ${(after.wer * 100).toFixed(1)}%, drug names ${after.drug_names.correct}/${after.drug_names.total}, RTF ${after.rtf} (CPU ${after.cpu_rtf})`,
  );
}

await main();
