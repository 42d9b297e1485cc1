import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PocketsphinxTranscriber } from '../../src/speech/recognisers/pocketsphinx/index.js';
import { RulesExtractor } from '../../src/extraction/rules/index.js';
import { readWav, writeWav } from '../../src/speech/audio/wav.js';
import { TemplateRegistry } from '../../src/core/templates/registry.js';
import { systemClock } from '../../src/core/ports/clock.js';
import type { Transcriber } from '../../src/core/ports/transcriber.js';
import { ChunkTranscriber } from '../../src/worker/chunk-transcriber.js';
import { processSession } from '../../src/worker/process-session.js';
import { transcribeChunk } from '../../src/worker/transcribe-chunk.js';
import { Worker } from '../../src/worker/worker.js';
import { SHARED } from '../helpers/server.js';
import { openStack } from '../helpers/stack.js';

// The real recogniser, its worker thread killed in the middle of decoding one chunk.
let recogniser: PocketsphinxTranscriber;
before(async () => {
  recogniser = await PocketsphinxTranscriber.create();
});
after(() => recogniser?.close());

const { samples } = readWav(fs.readFileSync(path.join(SHARED, 'data/audio/consult-hypertension.wav')));
// Three chunks of distinct lengths, so the drill can tell which one it is decoding.
const pieces = [samples.subarray(0, 16_000 * 14), samples.subarray(16_000 * 14, 16_000 * 30), samples.subarray(16_000 * 30, 16_000 * 45)];

/** Kills the recogniser's worker while it decodes the chosen chunk, `times` times. */
function crashing(target: number, times: number): Transcriber & { crashes: number } {
  return {
    id: recogniser.id,
    languages: recogniser.languages,
    splitsAtPauses: recogniser.splitsAtPauses,
    crashes: 0,
    transcribe(pcm, options) {
      const call = recogniser.transcribe(pcm, options);
      if (pcm.length === pieces[target]!.length && this.crashes < times) {
        this.crashes++;
        void sleep(50).then(() => recogniser.crashForDrill());
      }
      return call;
    },
  };
}

async function run(transcriber: Transcriber) {
  const { db, store, blobs, queue, events, sessions, tenantId, log } = await openStack('recogniser-failure', { clock: systemClock, maxAttempts: 2, backoffMs: 10 });
  const chunks = new ChunkTranscriber({ store, blobs, clock: systemClock, transcriber, log, maxChunkDurationSeconds: 20, maxSessionDurationSeconds: 3600 });
  const pipeline = { store, clock: systemClock, templates: new TemplateRegistry(), chunks, extractor: new RulesExtractor(), events, jobs: queue, log };
  const worker = new Worker(
    queue,
    { 'transcribe-chunk': (job) => transcribeChunk({ store, chunks, jobs: queue }, job), 'process-session': (job) => processSession(pipeline, job) },
    { concurrency: 1, leaseMs: 60_000, pollMs: 20 },
    log,
  );
  const s = await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http', templates: ['medications'] });
  for (const [seq, pcm] of pieces.entries()) {
    await sessions.addChunk(tenantId, s.id, { fileName: `audio_${seq}.wav`, contentType: 'audio/wav', declaredLength: undefined, body: Readable.from([writeWav(pcm)]) });
  }
  await sessions.end(tenantId, s.id, pieces.length);
  worker.start();
  try {
    for (let i = 0; i < 1200; i++) {
      const v = await store.getSession(tenantId, s.id);
      if (v && v.status !== 'processing') return v;
      await sleep(100);
    }
    throw new Error('the session never finished');
  } finally {
    await worker.stop();
    await db.destroy();
  }
}

test('a recogniser that crashes on one chunk every time: that chunk is reported, the rest is transcribed', async () => {
  const restartsBefore = recogniser.restarts;
  const transcriber = crashing(1, Infinity);
  const session = await run(transcriber);
  assert.equal(session.status, 'partial');
  const result = session.result!;
  assert.deepEqual(
    result.processing_errors.map((e) => [e.type, e.file]),
    [['transcription_failed', '1.wav']],
  );
  assert.match(result.processing_errors[0]!.message, /speech recogniser failed on audio file 1\.wav/);
  assert.equal(result.audio_files_processed, 2);
  assert.match(result.transcript, /headache/i, 'the chunks before and after are transcribed by the restarted recogniser');
  assert.ok(transcriber.crashes >= 2, `crashed ${transcriber.crashes} times`);
  assert.ok(recogniser.restarts > restartsBefore, 'the recogniser came back after each crash');
});

test('a crash on the first attempt only: the retry transcribes everything', async () => {
  const session = await run(crashing(2, 1));
  assert.equal(session.status, 'completed', JSON.stringify(session.result?.processing_errors));
  assert.equal(session.result!.audio_files_processed, 3);
  assert.match(session.result!.transcript, /amlodipine/i);
});
