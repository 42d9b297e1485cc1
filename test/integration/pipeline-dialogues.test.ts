import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { locateFfmpeg } from '../../src/speech/audio/ffmpeg.js';
import { readWav, writeWav } from '../../src/speech/audio/wav.js';
import { tokens } from '../../src/speech/recognisers/text.js';
import { wordErrorRate } from '../../bench/lib/wer.js';
import {
  cutsAtPauses,
  FESTIVAL_CACHE,
  loadAciBenchDialogue,
  SAMPLE_RATE,
  shortHash,
  splitLongLines,
  synthesiseDialogue,
  type SynthesisedDialogue,
} from '../helpers/festival.js';
import { type RunningServer, runSession as runSessionOn, serverWithKey, type Upload } from '../helpers/server.js';

// End to end on consultations synthesised from ACI-BENCH dialogues (valid split: held out of
// the medical language model): Festival → webm/opus chunks cut at pauses, out of order → HTTP →
// PocketSphinx → speaker labels → rules extractor. Gold: the prescriptions actually said.

interface Rx {
  /** The name as spoken in the dialogue. */
  said: string;
  generic: string;
  dose: number;
  frequency: 'OD' | 'BD' | 'TDS';
  perDay: number;
}

interface Case {
  name: string;
  encounter: string;
  /** Dialogue line indices, `to` exclusive. */
  from: number;
  to: number;
  gold: Rx[];
  /** Transcript WER bound for the chunked upload: a few points above what was measured. */
  maxWer: number;
}

const CASES: Case[] = [
  {
    // back pain, diabetes, hypertension: "meloxicam 15 mg once a day", "increase the metformin to
    // 1000 mg twice a day", "increase the lisinopril from 10 mg to 20 mg a day", "order lisinopril 20 mg daily"
    name: 'ACI-BENCH D2N070 (results, plan)',
    encounter: 'D2N070',
    from: 62,
    to: 85,
    gold: [
      { said: 'meloxicam', generic: 'meloxicam', dose: 15, frequency: 'OD', perDay: 1 },
      { said: 'metformin', generic: 'metformin', dose: 1000, frequency: 'BD', perDay: 2 },
      // PocketSphinx hears "from ten milligrams to twenty" as "from ten milligrams ten twenty"; the later
      // "order lisinopril twenty milligrams daily" must win over that first dose.
      { said: 'lisinopril', generic: 'lisinopril', dose: 20, frequency: 'OD', perDay: 1 },
    ],
    maxWer: 0.1, // measured 5.8 % (chunked), 3.8 % (MP3), 5.5 % (M4A)
  },
  {
    // heart failure, hypertension: "increase your lasix to 80 mg once a day", "continue with the lisinopril 20 mg a day"
    name: 'ACI-BENCH D2N068 (results, plan)',
    encounter: 'D2N068',
    from: 56,
    to: 73,
    gold: [
      { said: 'lasix', generic: 'furosemide', dose: 80, frequency: 'OD', perDay: 1 },
      { said: 'lisinopril', generic: 'lisinopril', dose: 20, frequency: 'OD', perDay: 1 },
    ],
    maxWer: 0.06, // measured 1.3 %
  },
];

let server: RunningServer;
let key: string;
let ffmpeg: string;

before(async () => {
  ({ server, key } = await serverWithKey('pipeline-dialogues', { OPENSCRIBE_TRANSCRIBER: 'pocketsphinx' }));
  ffmpeg = (await locateFfmpeg()).path;
});
after(() => server?.stop());

const synthesised = new Map<string, Promise<SynthesisedDialogue>>();
function dialogue(c: Case): Promise<SynthesisedDialogue> {
  let d = synthesised.get(c.encounter);
  if (!d) {
    d = synthesiseDialogue(splitLongLines(loadAciBenchDialogue(c.encounter, { from: c.from, to: c.to })));
    synthesised.set(c.encounter, d);
  }
  return d;
}

/** PCM → an encoded file (cached beside the Festival output, keyed by content and arguments). */
async function encode(pcm: Int16Array, ext: string, codecArgs: string[]): Promise<Buffer> {
  const wav = writeWav(pcm, SAMPLE_RATE);
  const out = path.join(FESTIVAL_CACHE, 'encoded', `${shortHash(wav, codecArgs.join(' '))}.${ext}`);
  if (!fs.existsSync(out)) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp.${ext}`;
    await new Promise<void>((resolve, reject) => {
      const child = spawn(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'wav', '-i', 'pipe:0', ...codecArgs, tmp], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${codecArgs.join(' ')}: ${err}`))));
      child.stdin.end(wav);
    });
    fs.renameSync(tmp, out);
  }
  return fs.readFileSync(out);
}
const OPUS = ['-c:a', 'libopus', '-b:a', '32k', '-f', 'webm'];
const MP3 = ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'];
const M4A = ['-c:a', 'aac', '-b:a', '64k', '-f', 'ipod'];

const runSession = (body: Record<string, unknown>, uploads: Upload[]) =>
  runSessionOn(server.url, key, { session_mode: 'consultation', templates: ['soap', 'medications'], ...body }, uploads);

type Med = { generic_name: string; dose_value: number | null; dose_unit: string | null; frequency: string | null; frequency_per_day: number | null };

function template(body: { templates: Array<Record<string, { status: string; data: any }>> }, id: string) {
  const t = body.templates.find((x) => id in x)?.[id];
  assert.ok(t, `template ${id} missing`);
  assert.equal(t.status, 'success', JSON.stringify(t));
  return t.data;
}

/** Every gold prescription is in `meds` with its dose and frequency, as the extractor normalises them. */
function assertPrescribed(meds: Med[], gold: Rx[], where: string, transcript: string) {
  const summary = meds.map((m) => `${m.generic_name} ${m.dose_value ?? '?'} ${m.dose_unit ?? ''} ${m.frequency ?? '?'}`).join('; ');
  for (const rx of gold) {
    const found = meds.filter((m) => m.generic_name === rx.generic);
    assert.ok(found.length, `${where}: ${rx.generic} not found in [${summary}]\n${mentions(transcript, gold)}`);
    const doseOk = (m: Med) => m.dose_value === rx.dose && m.dose_unit === 'mg';
    assert.ok(
      found.some((m) => doseOk(m) && m.frequency === rx.frequency && m.frequency_per_day === rx.perDay),
      `${where}: ${rx.generic} ${rx.dose} mg ${rx.frequency} not found in [${summary}]\n${mentions(transcript, gold)}`,
    );
  }
}

/** The transcript lines that mention a prescribed drug or a dose (for failure messages). */
function mentions(transcript: string, gold: Rx[]): string {
  return transcript
    .split('\n')
    .filter((l) => gold.some((rx) => l.includes(rx.said)) || /milligrams|once|twice/.test(l))
    .join('\n');
}

function werOf(transcript: string, script: string): number {
  return wordErrorRate(tokens(script), tokens(transcript.replace(/^(Doctor|Patient|Speaker): /gm, '')));
}

/** Upload order that is neither sequential nor reversed: odd sequence numbers descending, then even ascending. */
function shuffled(n: number): number[] {
  const odd = [...Array(n).keys()].filter((i) => i % 2).reverse();
  const even = [...Array(n).keys()].filter((i) => i % 2 === 0);
  return [...odd, ...even];
}

for (const c of CASES) {
  test(`${c.name}: ~10 s webm/opus chunks cut at pauses, uploaded out of order → transcript, SOAP note, medication list`, async () => {
    const t0 = Date.now();
    const d = await dialogue(c);
    const { samples } = readWav(fs.readFileSync(d.wav));
    assert.equal(samples.length, Math.round(d.durationSec * SAMPLE_RATE));

    // The timings are exact: every cut falls in digital silence between two lines.
    const cuts = cutsAtPauses(d.utterances, 10);
    for (const at of cuts) {
      assert.ok(!d.utterances.some((u) => at > u.start * SAMPLE_RATE && at < u.end * SAMPLE_RATE), `cut ${at / SAMPLE_RATE}s inside a line`);
      assert.ok(samples.subarray(at - 1600, at + 1600).every((s) => s === 0), `cut ${at / SAMPLE_RATE}s is not in a pause`);
    }
    const bounds = [0, ...cuts, samples.length];
    const pieces = bounds.slice(1).map((end, i) => samples.subarray(bounds[i]!, end));
    for (const p of pieces) assert.ok(p.length / SAMPLE_RATE <= 18, `a ${p.length / SAMPLE_RATE} s chunk (the server takes ≤ 20 s)`);
    assert.ok(pieces.length >= 6, `${pieces.length} chunks`);
    const files = await Promise.all(pieces.map((p) => encode(p, 'webm', OPUS)));
    for (const f of files) assert.equal(f.readUInt32BE(0), 0x1a45dfa3, 'each chunk is a standalone WebM with its EBML header');
    const tSynth = Date.now() - t0;

    const order = shuffled(files.length);
    const r = await runSession(
      { upload_type: 'chunked' },
      order.map((seq) => [`audio_${seq}.webm`, files[seq]!, 'audio/webm;codecs=opus'] as [string, Buffer, string]),
    );
    assert.equal(r.status, 200, r.text.slice(0, 800));
    assert.equal(r.body.status, 'completed', r.text.slice(0, 800));
    assert.equal(r.body.audio_files_received, files.length);
    assert.equal(r.body.processing_errors, undefined, 'no chunk skipped');

    const transcript = r.body.transcript as string;
    const wer = werOf(transcript, d.script);
    console.log(
      `# pipeline WER on ${c.encounter} lines ${c.from}-${c.to - 1} (${d.durationSec.toFixed(0)} s, ${files.length} webm/opus chunks): ${(wer * 100).toFixed(1)}%` +
        ` — synthesis+encoding ${(tSynth / 1000).toFixed(1)} s, upload→result ${((Date.now() - t0 - tSynth) / 1000).toFixed(1)} s`,
    );
    assert.ok(wer <= c.maxWer, `WER ${wer}\n${transcript}`);
    assert.match(transcript, /^Doctor: /m);
    assert.match(transcript, /^Patient: /m);

    const missed = c.gold.filter((rx) => !tokens(transcript).includes(rx.said)).map((rx) => rx.said);
    if (missed.length) console.log(`# drug names not recognised in ${c.encounter}: ${missed.join(', ')}`);
    assertPrescribed(template(r.body, 'medications').medications, c.gold, 'medications', transcript);
    const soap = template(r.body, 'soap');
    assertPrescribed(soap.plan.medications, c.gold, 'soap.plan.medications', transcript);
    const planText = (soap.plan.text as string).toLowerCase();
    for (const rx of c.gold) assert.ok(planText.includes(rx.said) || planText.includes(rx.generic), `SOAP plan text lacks ${rx.said}: ${planText}`);
  });
}

test(`${CASES[0]!.name} as one MP3 and as one M4A (upload_type single) → completed, prescriptions found`, async () => {
  const c = CASES[0]!;
  const d = await dialogue(c);
  const { samples } = readWav(fs.readFileSync(d.wav));
  const [mp3, m4a] = await Promise.all([encode(samples, 'mp3', MP3), encode(samples, 'm4a', M4A)]);
  const t0 = Date.now();
  // Both sessions at once: the worker runs two jobs concurrently.
  const results = await Promise.all([
    runSession({ upload_type: 'single' }, [['consultation.mp3', mp3, 'audio/mpeg']]),
    runSession({ upload_type: 'single' }, [['consultation.m4a', m4a, 'audio/mp4']]),
  ]);
  for (const [label, r] of [['MP3', results[0]], ['M4A', results[1]]] as const) {
    assert.equal(r.status, 200, r.text.slice(0, 800));
    assert.equal(r.body.status, 'completed', r.text.slice(0, 800));
    const wer = werOf(r.body.transcript, d.script);
    console.log(`# pipeline WER on ${c.encounter} (single ${label}): ${(wer * 100).toFixed(1)}%`);
    assert.ok(wer <= c.maxWer, `WER ${wer}`);
    assertPrescribed(template(r.body, 'medications').medications, c.gold, `${label} medications`, r.body.transcript);
  }
  console.log(`# two single uploads of ${d.durationSec.toFixed(0)} s processed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
