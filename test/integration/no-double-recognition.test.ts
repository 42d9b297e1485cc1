import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { PocketsphinxTranscriber } from '../../src/speech/recognisers/pocketsphinx/index.js';
import { RulesExtractor } from '../../src/extraction/rules/index.js';
import { readWav, writeWav } from '../../src/speech/audio/wav.js';
import { TemplateRegistry } from '../../src/core/templates/registry.js';
import type { JobKind, JobOf } from '../../src/core/ports/job-queue.js';
import type { Transcriber } from '../../src/core/ports/transcriber.js';
import { ChunkTranscriber } from '../../src/worker/chunk-transcriber.js';
import { processSession } from '../../src/worker/process-session.js';
import { transcribeChunk } from '../../src/worker/transcribe-chunk.js';
import { SHARED } from '../helpers/server.js';
import { openStack } from '../helpers/stack.js';

// Two workers in different processes share no memory: each is a ChunkTranscriber of
// its own over one store and queue. The real recogniser, counted and held on a gate.
let recogniser: PocketsphinxTranscriber;
before(async () => {
  recogniser = await PocketsphinxTranscriber.create();
});
after(() => recogniser?.close());

const { samples } = readWav(fs.readFileSync(path.join(SHARED, 'data/audio/consult-hypertension.wav')));
const pieces = [samples.subarray(0, 16_000 * 6), samples.subarray(16_000 * 6, 16_000 * 12)];

function counted(): Transcriber & { calls: number; hold(): () => void } {
  let gate: Promise<void> | undefined;
  return {
    id: recogniser.id,
    languages: recogniser.languages,
    calls: 0,
    hold() {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return open;
    },
    async transcribe(pcm, options) {
      this.calls++;
      await gate;
      return recogniser.transcribe(pcm, options);
    },
  };
}

async function setup() {
  const stack = await openStack('no-double-recognition');
  const { store, blobs, clock, log, queue, events, sessions, tenantId } = stack;
  const worker = () => {
    const transcriber = counted();
    const chunks = new ChunkTranscriber({ store, blobs, clock, transcriber, log, maxChunkDurationSeconds: 20, maxSessionDurationSeconds: 3600 });
    const pipeline = { store, clock, templates: new TemplateRegistry(), chunks, extractor: new RulesExtractor(), events, jobs: queue, log };
    return {
      transcriber,
      chunk: (job: JobOf<'transcribe-chunk'>) => transcribeChunk({ store, chunks, jobs: queue }, job),
      session: (job: JobOf<'process-session'>) => processSession(pipeline, job),
    };
  };
  const s = await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http', templates: ['soap'] });
  for (const [seq, pcm] of pieces.entries()) {
    await sessions.addChunk(tenantId, s.id, { fileName: `audio_${seq}.wav`, contentType: 'audio/wav', declaredLength: undefined, body: Readable.from([writeWav(pcm)]) });
  }
  await sessions.end(tenantId, s.id, pieces.length);
  // Claimed in the order they were queued: chunk 0, chunk 1, the session.
  const claim = async <K extends JobKind>(worker: string, kind: K): Promise<JobOf<K>> => {
    const job = await queue.claim(worker, 60_000, [kind]);
    assert.ok(job?.kind === kind, `a ${kind} job to claim`);
    return job as JobOf<K>;
  };
  return { ...stack, a: worker(), b: worker(), sessionId: s.id, claim };
}

test('the session job waits for a chunk another worker is recognising, and each chunk is recognised once', async () => {
  const { a, b, claim, queue, clock, store, tenantId, sessionId, db } = await setup();
  try {
    const open = b.transcriber.hold();
    const chunk0 = await claim('worker-b', 'transcribe-chunk');
    const running = b.chunk(chunk0);
    while (b.transcriber.calls === 0) await new Promise((r) => setTimeout(r, 10));
    // Worker A takes chunk 1, then the session job while B still holds chunk 0.
    const chunk1 = await claim('worker-a', 'transcribe-chunk');
    assert.equal(await a.chunk(chunk1), undefined);
    await queue.complete(chunk1);
    const sessionJob = await claim('worker-a', 'process-session');
    const deferred = await a.session(sessionJob);
    assert.ok(deferred && deferred.releaseUntil > clock.now(), 'the session job steps aside');
    await queue.release(sessionJob, 'worker-a', deferred.releaseUntil);
    assert.equal(a.transcriber.calls, 1, 'A recognised only its own chunk');
    assert.equal((await store.getSession(tenantId, sessionId))?.status, 'processing');

    open();
    await running;
    await queue.complete(chunk0);
    clock.advance(1000);
    const again = await claim('worker-a', 'process-session');
    assert.equal(again.id, sessionJob.id);
    assert.equal(again.attempts, 1, 'stepping aside spent no attempt');
    assert.equal(await a.session(again), undefined);
    const done = await store.getSession(tenantId, sessionId);
    assert.equal(done?.status, 'completed');
    assert.equal(done?.result?.audio_files_processed, 2);
    assert.match(done?.result?.transcript ?? '', /\w+ \w+/);
    assert.equal(a.transcriber.calls + b.transcriber.calls, 2, 'two chunks, two recognitions');
  } finally {
    await db.destroy();
  }
});

test('a chunk job of an ended session leaves the chunk to the session job running elsewhere', async () => {
  const { a, b, claim, queue, store, tenantId, sessionId, db } = await setup();
  try {
    const chunk0 = await claim('worker-a', 'transcribe-chunk');
    const chunk1 = await claim('worker-a', 'transcribe-chunk');
    const sessionJob = await claim('worker-b', 'process-session');
    // The session job holds its lease: a chunk job that starts now does nothing.
    await a.chunk(chunk0);
    await a.chunk(chunk1);
    assert.equal(a.transcriber.calls, 0);
    await queue.complete(chunk0);
    await queue.complete(chunk1);
    assert.equal(await b.session(sessionJob), undefined);
    assert.equal(b.transcriber.calls, 2);
    assert.equal((await store.getSession(tenantId, sessionId))?.status, 'completed');
  } finally {
    await db.destroy();
  }
});
