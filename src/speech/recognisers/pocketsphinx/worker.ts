/**
 * Child process that owns one PocketSphinx decoder (and a Silero VAD session):
 * decoding, which is synchronous C code, never blocks the event loop of the
 * HTTP server, and a crash in native code ends this process, not the service.
 * Requests are handled one at a time, in order.
 */
import { SAMPLE_RATE } from '../../audio/pcm.js';
import { segmentsFromProbabilities, SileroVad, splitAtPauses, type SpeechSegment } from '../../audio/vad.js';
import type { TranscriptSegment } from '../../../core/ports/transcriber.js';
import { PocketsphinxEngine, type DecodedWord } from './engine.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './protocol.js';

const init = JSON.parse(process.argv[2] ?? '{}') as WorkerInit;
const post = (m: WorkerReply) => process.send!(m);
// The service went away (or closed us): nothing is left to do.
process.on('disconnect', () => process.exit(0));

/** Words of one decoded stretch → segments, cut where the speaker paused. */
function wordsToSegments(words: DecodedWord[], offset: number, pauseSec = 0.5): TranscriptSegment[] {
  const out: TranscriptSegment[] = [];
  let cur: DecodedWord[] = [];
  const flush = () => {
    if (cur.length) out.push({ start: round(offset + cur[0]!.start), end: round(offset + cur[cur.length - 1]!.end), text: cur.map((w) => w.word).join(' ') });
    cur = [];
  };
  for (const w of words) {
    const last = cur[cur.length - 1];
    if (last && w.start - last.end >= pauseSec) flush();
    cur.push(w);
  }
  flush();
  return out;
}

const round = (s: number) => Math.round(s * 1000) / 1000;

async function main() {
  let engine: PocketsphinxEngine;
  let vad: SileroVad | undefined;
  let vadNote: string | undefined;
  try {
    engine = new PocketsphinxEngine(init.engine);
  } catch (err) {
    const e = err as Error;
    post({ type: 'init-error', name: e.name, message: e.message });
    return;
  }
  if (init.vad) {
    try {
      vad = await SileroVad.load(init.vadModelPath ? { modelPath: init.vadModelPath } : {});
    } catch (err) {
      // still transcribes, in fixed pieces: worse cuts, but no outage
      vadNote = `Silero VAD unavailable, decoding in fixed pieces: ${(err as Error).message}`;
    }
  }
  post({ type: 'ready', addedWords: engine.addedWords, search: engine.search, vad: vad !== undefined, ...(vadNote ? { note: vadNote } : {}) });

  const max = init.maxUtteranceSec;
  /** Utterances: speech between pauses of ≥ 300 ms; longer than `max`, cut at the best short pause inside. */
  const utterances = async (pcm: Int16Array): Promise<SpeechSegment[]> => {
    const duration = pcm.length / SAMPLE_RATE;
    if (!vad) return splitAtPauses(duration, [{ start: 0, end: duration }], { maxPieceSec: max });
    const probs = await vad.frameProbabilities(pcm);
    const speech = segmentsFromProbabilities(probs, pcm.length, { minSilenceMs: 300, speechPadMs: 150 });
    let fine: SpeechSegment[] | undefined;
    return speech.flatMap((s) => {
      if (s.end - s.start <= max) return [s];
      fine ??= segmentsFromProbabilities(probs, pcm.length, { minSilenceMs: 60, speechPadMs: 0 });
      const inner = fine.filter((f) => f.end > s.start && f.start < s.end).map((f) => ({ start: Math.max(0, f.start - s.start), end: Math.min(s.end, f.end) - s.start }));
      return splitAtPauses(s.end - s.start, inner, { maxPieceSec: max }).map((p) => ({ start: s.start + p.start, end: s.start + p.end }));
    });
  };

  const transcribe = async (pcm: Int16Array): Promise<TranscriptSegment[]> => {
    const segments: TranscriptSegment[] = [];
    for (const r of await utterances(pcm)) {
      const a = Math.max(0, Math.round(r.start * SAMPLE_RATE));
      const b = Math.min(pcm.length, Math.round(r.end * SAMPLE_RATE));
      if (b - a < SAMPLE_RATE / 10) continue;
      const { words } = engine.decode(pcm.subarray(a, b));
      segments.push(...wordsToSegments(words, a / SAMPLE_RATE));
    }
    return segments;
  };

  let chain = Promise.resolve();
  process.on('message', (msg: WorkerRequest) => {
    if (msg.type === 'close') {
      chain = chain.then(async () => {
        engine.close();
        await vad?.close();
        process.disconnect();
      });
      return;
    }
    chain = chain.then(async () => {
      const t = performance.now();
      try {
        const segments = await transcribe(msg.pcm);
        post({ type: 'result', id: msg.id, segments, decodeMs: performance.now() - t });
      } catch (err) {
        const e = err as Error;
        post({ type: 'error', id: msg.id, name: e.name, message: e.message });
      }
    });
  });
}

void main();
