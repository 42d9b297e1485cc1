import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChunkTranscript } from '../../src/core/session.js';
import { transcriptSoFar } from '../../src/core/transcript-so-far.js';
import { openStack, wavLike } from '../helpers/stack.js';

// Stored per-chunk transcripts: written while a session is live, gone with its result.
async function setup() {
  const stack = await openStack('chunk-transcripts', { env: { OPENSCRIBE_MAX_SESSION_SECONDS: '60' } });
  const { sessions, tenantId } = stack;
  const add = (id: string, seq: number) =>
    sessions.addChunk(tenantId, id, { fileName: `a_${seq}.wav`, contentType: 'audio/wav', declaredLength: undefined, body: wavLike() });
  return { ...stack, add };
}

const transcript = (blobKey: string, seq: number, text: string, samples = 16_000 * 10): ChunkTranscript => ({
  blobKey, seq, outcome: 'transcribed', samples, language: 'en', segments: [{ start: 1, end: 2, text }], error: null,
});

test('each stored chunk enqueues its transcription job in the same transaction', async () => {
  const { sessions, tenantId, add, queue, db } = await setup();
  const s = await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http' });
  const c0 = await add(s.id, 0);
  const c1 = await add(s.id, 1);
  const jobs = [await queue.claim('w', 1000), await queue.claim('w', 1000)];
  assert.deepEqual(jobs.map((j) => [j?.kind, j?.kind === 'transcribe-chunk' ? j.payload.blobKey : undefined]), [['transcribe-chunk', c0.blobKey], ['transcribe-chunk', c1.blobKey]]);
  await db.destroy();
});

test('the transcript so far runs from the first chunk until the first one not yet recognised, with offsets', async () => {
  const { sessions, tenantId, add, store, db, clock } = await setup();
  const s = await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http', session_mode: 'dictation' });
  const [c0, c1, c2] = [await add(s.id, 0), await add(s.id, 1), await add(s.id, 2)];
  await store.saveChunkTranscript(tenantId, s.id, transcript(c0.blobKey, 0, 'first words'), clock.now());
  await store.saveChunkTranscript(tenantId, s.id, transcript(c2.blobKey, 2, 'third words'), clock.now());
  const live = () => sessions.view(tenantId, s.id, { templatesFormat: 'array' });
  assert.equal((await live()).body.transcript, 'first words', 'chunk 2 waits for chunk 1');
  await store.saveChunkTranscript(tenantId, s.id, transcript(c1.blobKey, 1, 'second words'), clock.now());
  assert.equal((await live()).body.transcript, 'first words second words third words');
  const chunks = await store.listChunks(tenantId, s.id);
  const t = await store.listChunkTranscripts(tenantId, s.id);
  assert.equal(transcriptSoFar({ mode: 'consultation', committedFiles: null }, chunks, t).split('\n').length, 3);
  await db.destroy();
});

test('a re-sent chunk drops the transcript of the audio it replaces', async () => {
  const { sessions, tenantId, add, store, db, clock } = await setup();
  const s = await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http' });
  const first = await add(s.id, 0);
  await store.saveChunkTranscript(tenantId, s.id, transcript(first.blobKey, 0, 'old audio'), clock.now());
  await add(s.id, 0);
  assert.deepEqual(await store.listChunkTranscripts(tenantId, s.id), []);
  await db.destroy();
});

test('transcripts go with the result or the expiry, and none can be written afterwards', async () => {
  const { sessions, tenantId, add, store, db, clock } = await setup();
  const done = await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http' });
  const c = await add(done.id, 0);
  assert.equal(await store.saveChunkTranscript(tenantId, done.id, transcript(c.blobKey, 0, 'words'), clock.now()), true);
  await sessions.end(tenantId, done.id, 1);
  await store.transaction((tx) =>
    tx.finishSession(tenantId, done.id, 'completed', { model_used: 'lite', transcript: 'words', templates: [], audio_files_processed: 1, processing_errors: [] }, clock.now()),
  );
  assert.deepEqual(await store.listChunkTranscripts(tenantId, done.id), []);
  assert.equal(await store.saveChunkTranscript(tenantId, done.id, transcript(c.blobKey, 0, 'late job'), clock.now()), false);
  assert.deepEqual(await store.listChunkTranscripts(tenantId, done.id), [], 'a late job leaves nothing behind');

  const expiring = await sessions.create(tenantId, { upload_type: 'chunked', communication_protocol: 'http' });
  const e = await add(expiring.id, 0);
  await store.saveChunkTranscript(tenantId, expiring.id, transcript(e.blobKey, 0, 'words'), clock.now());
  clock.t += 61_000;
  assert.equal(await store.transaction((tx) => tx.expireSession(tenantId, expiring.id, clock.now())), true);
  assert.deepEqual(await store.listChunkTranscripts(tenantId, expiring.id), []);
  await db.destroy();
});
