/**
 * Real speech for end-to-end tests: doctor–patient dialogues synthesised with
 * Festival the way `../shared/data/audio` was made (doctor: cmu_us_slt_arctic_hts,
 * patient: kal_diphone, 0.7 s of silence between lines, 16 kHz mono 16-bit WAV),
 * with the exact time span of every line in the output.
 *
 * Needs the Debian packages festival, festvox-us-slt-hts, festvox-kallpc16k and sox
 * (or ffmpeg) for resampling. Results are cached under
 * `os.tmpdir()/openscribe-festival/<hash of cleaned lines + voices>/`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { locateFfmpeg } from '../../src/speech/audio/ffmpeg.js';
import { readWav, writeWav } from '../../src/speech/audio/wav.js';
import { normalizeText } from '../../src/speech/recognisers/text.js';
import { SHARED } from './server.js';

export type Speaker = 'doctor' | 'patient';

export interface DialogueLine {
  speaker: Speaker;
  text: string;
}

export interface TimedUtterance extends DialogueLine {
  /** Seconds from the start of the WAV: first and last sample of the line's speech. */
  start: number;
  end: number;
}

export interface SynthesisedDialogue {
  /** 16 kHz mono s16 WAV of the whole dialogue. */
  wav: string;
  /** What was spoken, one line per utterance (no speaker prefixes): the reference for WER. */
  script: string;
  utterances: TimedUtterance[];
  durationSec: number;
}

export const SAMPLE_RATE = 16_000;
export const PAUSE_SEC = 0.7;
export const VOICES: Readonly<Record<Speaker, string>> = { doctor: 'cmu_us_slt_arctic_hts', patient: 'kal_diphone' };
export const FESTIVAL_CACHE = path.join(os.tmpdir(), 'openscribe-festival');

/** Bump when the synthesis or trimming changes, so stale cache entries are not reused. */
const CACHE_VERSION = 1;
/** Samples quieter than this (of 32767) count as silence when trimming a line's edges. */
const SILENCE_LEVEL = 64;

const FILLERS = /\b(?:um+|uh+|uh-huh|mm-hmm|mhm|hmm+|mm+|ah+|er+|erm)\b/gi;

/**
 * Written dialogue text → text Festival reads as intended: bracketed and tagged
 * annotations, fillers and cut-off fragments removed, tokenised punctuation and
 * contractions rejoined, numbers and units written out ("80 mg" → "eighty
 * milligrams", as the recogniser outputs them), odd characters dropped. Empty
 * when nothing speakable is left.
 */
export function cleanForFestival(input: string): string {
  let s = ` ${input} `;
  s = s.replace(/<[^>]*>/g, ' '); // <UNSURE>, <UNIN/>, <INAUDIBLE_SPEECH/>
  s = s.replace(/\[[^\]]*\]|\([^)]*\)|\{[^}]*\}/g, ' ');
  s = s.replace(/[‘’`]/g, "'").replace(/[“”"]/g, ' ').replace(/[–—]/g, ', ');
  // ACI-BENCH tokenisation: "do n't", "it 's", "gon na", "word ," / "word ."
  s = s
    .replace(/\b(\w+) n't\b/gi, "$1n't")
    .replace(/\b(\w+) '(s|re|ve|ll|d|m)\b/gi, "$1'$2")
    .replace(/\bgon na\b/gi, 'gonna')
    .replace(/\bwan na\b/gi, 'wanna')
    .replace(/\bgot ta\b/gi, 'gotta');
  s = s.replace(FILLERS, ' ');
  // stutters and cut-offs: "i-i" → "i", "y-you" → "you", "s- s- systolic" → "systolic", "under-" → ""
  s = s.replace(/\b([a-z]+)-(?=([a-z]+)\b)/gi, (m, a: string, b: string) => (b.toLowerCase().startsWith(a.toLowerCase()) ? '' : m));
  // a word cut off and restarted ("we'- we're", "under- out of") goes; a turn cut off at its end keeps its last word
  s = s.replace(/(^|\s)[a-z']+-(?=\s+[a-z])/gi, '$1');
  s = s.replace(/\.{2,}|…/g, ', ');
  // numbers with their units, readings and percentages, in words
  s = s.replace(/\d+(?:,\d{3})*(?:\.\d+)?(?:\s*\/\s*\d+)?(?:\s*(?:%|[a-z]+\b))?/gi, (m) => ` ${normalizeText(m)} `);
  s = s.replace(/[&+=]/g, (c) => ({ '&': ' and ', '+': ' plus ', '=': ' equals ' })[c]!);
  s = s.replace(/[^A-Za-z' ,.?!-]+/g, ' ');
  s = s.replace(/(^|\s)-+|-+(?=\s|[,.?!]|$)/g, ' ');
  s = s.replace(/\s+([,.?!])/g, '$1').replace(/([,.?!])(?:\s*[,.?!])+/g, '$1');
  s = s.replace(/\s+/g, ' ').trim();
  s = s.replace(/^[,.?!\s]+/, '').replace(/,\s*$/, '.');
  return /[a-z]/i.test(s) ? s : '';
}

// ── Corpora ─────────────────────────────────────────────────────────────────

/** Dialogue line indices, `to` exclusive (as `Array.slice`). */
export interface Excerpt {
  from?: number;
  to?: number;
}

const ACI_DIR = path.join(SHARED, 'data/aci-bench');
const PRIMOCK_DIR = path.join(SHARED, 'data/primock57');

function mapSpeaker(tag: string): Speaker {
  const t = tag.toLowerCase();
  if (t.startsWith('doctor')) return 'doctor';
  if (t.startsWith('patient')) return 'patient'; // also [patient_guest]: the patient's side of the room
  throw new Error(`unknown speaker tag "${tag}"`);
}

/**
 * The raw lines of an ACI-BENCH encounter (`D2N070`, from train.jsonl or
 * valid.jsonl). A line without a `[speaker]` tag continues the previous speaker.
 * Indices in `excerpt` are the dialogue's own line numbers.
 */
export function loadAciBenchDialogue(encounterId: string, excerpt: Excerpt = {}): DialogueLine[] {
  for (const file of ['valid.jsonl', 'train.jsonl']) {
    for (const row of fs.readFileSync(path.join(ACI_DIR, file), 'utf8').split('\n')) {
      if (!row.trim()) continue;
      const e = JSON.parse(row) as { encounter_id: string; dialogue: string };
      if (e.encounter_id !== encounterId) continue;
      let speaker: Speaker | undefined;
      const lines = e.dialogue.split('\n').map((raw) => {
        const m = /^\s*\[([a-z_0-9]+)\]\s*(.*)$/i.exec(raw);
        if (m) speaker = mapSpeaker(m[1]!);
        if (!speaker) throw new Error(`${encounterId}: first line has no speaker tag`);
        return { speaker, text: m ? m[2]! : raw.trim() };
      });
      return lines.slice(excerpt.from ?? 0, excerpt.to ?? lines.length);
    }
  }
  throw new Error(`ACI-BENCH encounter ${encounterId} not found in ${ACI_DIR}`);
}

/**
 * The utterances of a PriMock57 consultation (`day1_consultation07`) in order of
 * start time; indices in `excerpt` refer to that order.
 */
export function loadPrimockDialogue(id: string, excerpt: Excerpt = {}): DialogueLine[] {
  const doc = JSON.parse(fs.readFileSync(path.join(PRIMOCK_DIR, `${id}.json`), 'utf8')) as {
    utterances: Array<{ start: number; speaker: string; text: string }>;
  };
  const lines = [...doc.utterances].sort((a, b) => a.start - b.start).map((u) => ({ speaker: mapSpeaker(u.speaker), text: u.text }));
  return lines.slice(excerpt.from ?? 0, excerpt.to ?? lines.length);
}

/**
 * Splits lines of more than `maxWords` words (after cleaning) at sentence ends into
 * consecutive lines of the same speaker, each of at most `maxWords` words where the
 * sentences allow. A clinician's 40-second monologue then has pauses a recorder can
 * cut at (chunks are limited to 20 s).
 */
export function splitLongLines(lines: DialogueLine[], maxWords = 32): DialogueLine[] {
  const out: DialogueLine[] = [];
  for (const line of lines) {
    const text = cleanForFestival(line.text);
    if (!text) continue;
    const sentences = text.match(/[^.?!]+[.?!]*/g)!.map((s) => s.trim()).filter(Boolean);
    let current = '';
    for (const s of sentences) {
      const words = (t: string) => (t ? t.split(/\s+/).length : 0);
      if (current && words(current) + words(s) > maxWords) {
        out.push({ speaker: line.speaker, text: current });
        current = s;
      } else current = current ? `${current} ${s}` : s;
    }
    if (current) out.push({ speaker: line.speaker, text: current });
  }
  return out;
}

// ── Synthesis ───────────────────────────────────────────────────────────────

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 4000) err += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} did not start (${e.message}); install festival, festvox-us-slt-hts, festvox-kallpc16k and sox`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? code}): ${err.trim()}`));
    });
  });
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return out;
}

let resampler: Promise<(input: string, output: string) => Promise<void>> | undefined;

/** sox when it runs, else the project's ffmpeg. */
function getResampler() {
  resampler ??= new Promise((resolve) => {
    const probe = spawn('sox', ['--version'], { stdio: 'ignore' });
    probe.on('error', () => resolve(viaFfmpeg));
    probe.on('close', (code) => resolve(code === 0 ? viaSox : viaFfmpeg));
  });
  return resampler;
}
const viaSox = (input: string, output: string) => run('sox', [input, '-r', String(SAMPLE_RATE), '-c', '1', '-b', '16', '-e', 'signed-integer', output]);
const viaFfmpeg = async (input: string, output: string) => {
  const { path: ffmpeg } = await locateFfmpeg();
  await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-ac', '1', '-ar', String(SAMPLE_RATE), '-c:a', 'pcm_s16le', output]);
};

/** One line → 16 kHz mono PCM, edges trimmed to the speech. */
async function synthesiseLine(dir: string, i: number, line: DialogueLine): Promise<Int16Array> {
  const base = path.join(dir, `line-${String(i).padStart(3, '0')}`);
  fs.writeFileSync(`${base}.txt`, `${line.text}\n`);
  await run('text2wave', ['-eval', `(voice_${VOICES[line.speaker]})`, `${base}.txt`, '-o', `${base}.raw.wav`]);
  let { info, samples } = readWav(fs.readFileSync(`${base}.raw.wav`));
  if (info.sampleRate !== SAMPLE_RATE || info.channels !== 1) {
    await (await getResampler())(`${base}.raw.wav`, `${base}.wav`);
    ({ info, samples } = readWav(fs.readFileSync(`${base}.wav`)));
    if (info.sampleRate !== SAMPLE_RATE || info.channels !== 1) throw new Error(`resampling ${base} gave ${info.sampleRate} Hz × ${info.channels}`);
  }
  let first = 0;
  while (first < samples.length && Math.abs(samples[first]!) < SILENCE_LEVEL) first++;
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last]!) < SILENCE_LEVEL) last--;
  if (first >= samples.length) throw new Error(`Festival produced silence for "${line.text}"`);
  return samples.slice(first, last + 1);
}

/**
 * Synthesises a dialogue: each line cleaned (`cleanForFestival`; lines left empty
 * are dropped), spoken by its speaker's voice (text2wave, at most two at once),
 * trimmed to its speech and joined with `PAUSE_SEC` of digital silence.
 * `utterances[i].start/end` are exact: the first and last sample of line i.
 */
export async function synthesiseDialogue(input: DialogueLine[]): Promise<SynthesisedDialogue> {
  const lines = input.map((l) => ({ speaker: l.speaker, text: cleanForFestival(l.text) })).filter((l) => l.text);
  if (!lines.length) throw new Error('nothing to synthesise');
  const key = createHash('sha256')
    .update(JSON.stringify({ v: CACHE_VERSION, voices: VOICES, pause: PAUSE_SEC, rate: SAMPLE_RATE, lines }))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(FESTIVAL_CACHE, key);
  const wav = path.join(dir, 'dialogue.wav');
  const meta = path.join(dir, 'dialogue.json');
  if (fs.existsSync(meta) && fs.existsSync(wav)) {
    return { wav, ...(JSON.parse(fs.readFileSync(meta, 'utf8')) as Omit<SynthesisedDialogue, 'wav'>) };
  }

  // Build in a private directory and rename it into place, so concurrent runs never see half a result.
  fs.mkdirSync(FESTIVAL_CACHE, { recursive: true });
  const work = fs.mkdtempSync(path.join(FESTIVAL_CACHE, `${key}.tmp-`));
  try {
    const pcm = await pool(lines, 2, (line, i) => synthesiseLine(work, i, line));
    const pause = Math.round(PAUSE_SEC * SAMPLE_RATE);
    const total = pcm.reduce((n, p) => n + p.length, 0) + pause * (pcm.length - 1);
    const all = new Int16Array(total);
    const utterances: TimedUtterance[] = [];
    let at = 0;
    pcm.forEach((p, i) => {
      all.set(p, at);
      utterances.push({ ...lines[i]!, start: at / SAMPLE_RATE, end: (at + p.length) / SAMPLE_RATE });
      at += p.length + pause;
    });
    const result = { script: lines.map((l) => l.text).join('\n'), utterances, durationSec: total / SAMPLE_RATE };
    fs.writeFileSync(path.join(work, 'dialogue.wav'), writeWav(all, SAMPLE_RATE));
    fs.writeFileSync(path.join(work, 'dialogue.json'), JSON.stringify(result, null, 1));
    for (const f of fs.readdirSync(work)) if (f.startsWith('line-') && f.endsWith('.wav')) fs.rmSync(path.join(work, f));
    try {
      fs.renameSync(work, dir);
    } catch {
      // another run finished first; its result is identical
    }
    return { wav, ...result };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// ── Chunking ────────────────────────────────────────────────────────────────

/**
 * Sample offsets at which to cut the dialogue into pieces of about `targetSec`:
 * only in the pauses between lines (the middle of each gap), as a recorder that
 * flushes its buffer when the speaker pauses. A piece is longer than the target
 * only when one line alone is.
 */
export function cutsAtPauses(utterances: TimedUtterance[], targetSec = 10): number[] {
  const gaps = utterances.slice(1).map((u, i) => (utterances[i]!.end + u.start) / 2);
  const cuts: number[] = [];
  let last = 0;
  let i = 0;
  while (i < gaps.length) {
    let j = i;
    while (j + 1 < gaps.length && gaps[j + 1]! - last <= targetSec) j++;
    // gaps[j] is the last pause within the target (or the first pause after it)
    if (utterances[utterances.length - 1]!.end - last <= targetSec * 1.2) break; // the rest fits in one piece
    cuts.push(gaps[j]!);
    last = gaps[j]!;
    i = j + 1;
  }
  return cuts.map((s) => Math.round(s * SAMPLE_RATE));
}

/** The first 16 hex digits of a SHA-256, for cache keys of derived files. */
export function shortHash(...parts: Array<string | Buffer>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 16);
}
