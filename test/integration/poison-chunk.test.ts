import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { RulesExtractor } from '../../src/extraction/rules/index.js';
import { writeWav } from '../../src/speech/audio/wav.js';
import { TemplateRegistry } from '../../src/core/templates/registry.js';
import { JobKeys, type JobOf } from '../../src/core/jobs.js';
import type { Transcriber } from '../../src/core/ports/transcriber.js';
import { ChunkTranscriber } from '../../src/worker/chunk-transcriber.js';
import { processSession } from '../../src/worker/process-session.js';
import { openStack } from '../helpers/stack.js';

/** One second of a tone per chunk, of distinct lengths so the recogniser's calls tell the chunks apart. */
const tone = (seconds: number) => {
  const pcm = new Int16Array(16_000 * seconds);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / 16_000));
  return writeWav(pcm);
};

test('a chunk whose own job killed its worker on every attempt is skipped and reported at End Session; the rest is processed (partial)', async () => {
  const { db, store, blobs, queue, events, sessions, tenantId, log, clock } = await openStack('poison-chunk');
  const heard: number[] = [];
  // Stands in for the engine: what matters here is which chunks the session job hands it.
  const transcriber: Transcriber = {
    id: 'fake',
    languages: ['en'],
    splitsAtPauses: true,
    async transcribe(pcm) {
      heard.push(Math.round(pcm.length / 16_000));
      return { language: 'en', segments: [{ start: 0, end: 1, text: 'the patient reports a headache' }] };
    },
  };
  const chunks = new ChunkTranscriber({ store, blobs, clock, transcriber, log, maxChunkDurationSeconds: 20, maxSessionDurationSeconds: 3600 });
  const s = await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http', templates: ['soap'] });
  for (const [seq, seconds] of [1, 2, 3].entries()) {
    await sessions.addChunk(tenantId, s.id, { fileName: `audio_${seq}.wav`, contentType: 'audio/wav', declaredLength: undefined, body: Readable.from([tone(seconds)]) });
  }
  const stored = await store.listChunks(tenantId, s.id);
  const poison = stored.find((c) => c.seq === 1)!;
  // Chunk 1's transcription job: its worker is killed holding it, on both attempts.
  for (;;) {
    const job = await queue.claim('w', 1000, ['transcribe-chunk']);
    if (!job) break;
    if (job.kind !== 'transcribe-chunk' || job.payload.blobKey !== poison.blobKey) {
      await queue.release(job, 'w', new Date(clock.now().getTime() + 3_600_000));
      continue;
    }
    clock.t += 1001;
  }
  assert.equal((await queue.dead([JobKeys.transcribeChunk(poison.blobKey)])).size, 1);

  await sessions.end(tenantId, s.id, 3);
  const job = await queue.claim('w', 60_000, ['process-session']);
  await processSession({ store, clock, templates: new TemplateRegistry(), chunks, extractor: new RulesExtractor(), events, jobs: queue, log }, job as JobOf<'process-session'>);
  const done = await store.getSession(tenantId, s.id);
  assert.equal(done?.status, 'partial');
  assert.deepEqual(done?.result?.processing_errors.map((e) => [e.type, e.file]), [['audio_file_skipped', poison.name]]);
  assert.equal(done?.result?.audio_files_processed, 2);
  assert.deepEqual(heard.sort(), [1, 3], 'the poison chunk is never handed to the recogniser again');
  await db.destroy();
});
