import type { ChunkTranscript, StoredChunk } from '../core/session.js';
import { JobKeys, type JobOf } from '../core/jobs.js';
import type { JobQueue } from '../core/ports/job-queue.js';
import type { SessionStore } from '../core/ports/session-store.js';
import type { ChunkTranscriber } from './chunk-transcriber.js';

export interface TranscribeChunkDeps {
  store: SessionStore;
  /** Undefined when no speech recogniser is configured: there is nothing to do early. */
  chunks: ChunkTranscriber | undefined;
  jobs: Pick<JobQueue, 'running'>;
}

/** Samples the earlier chunks decode to, all together, when every one of them is known. */
export function precedingSamples(earlier: ReadonlyArray<ChunkTranscript | undefined>): number | undefined {
  let sum = 0;
  for (const t of earlier) {
    if (t?.samples == null) return undefined;
    sum += t.samples;
  }
  return sum;
}

/**
 * Incremental transcription: runs when a chunk is stored, while the session is
 * still recording. A chunk that stands alone (its own container header) is
 * recognised at once, whatever its predecessors are doing: its decoding overlaps
 * their recognition. Then, if headerless continuation slices are waiting, it
 * catches up on every chunk whose turn has come, so a slice that had to wait for
 * a late predecessor is done as soon as that predecessor arrives. What it leaves
 * undone, End Session's job does.
 */
export async function transcribeChunk(deps: TranscribeChunkDeps, job: JobOf<'transcribe-chunk'>): Promise<void> {
  const { chunks } = deps;
  if (!chunks) return;
  const { tenantId, sessionId, blobKey } = job.payload;
  const session = await deps.store.getSession(tenantId, sessionId);
  if (!session || !['created', 'recording', 'processing'].includes(session.status)) return;
  // Ended, and the session's own job is at work: it recognises what is left, in order.
  const sessionKey = JobKeys.processSession(tenantId, sessionId);
  if (session.status === 'processing' && (await deps.jobs.running([sessionKey])).has(sessionKey)) return;
  const stored: StoredChunk[] = (await deps.store.listChunks(tenantId, sessionId)).sort((a, b) => a.seq - b.seq);
  const known = new Map((await deps.store.listChunkTranscripts(tenantId, sessionId)).map((t) => [t.blobKey, t]));

  const ownIndex = stored.findIndex((c) => c.blobKey === blobKey);
  const own = stored[ownIndex];
  if (own && !known.has(own.blobKey) && (await chunks.standsAlone(own))) {
    const complete = stored.slice(0, ownIndex + 1).every((c, j) => c.seq === j);
    const t = await chunks.transcribe(session, own, stored.slice(0, ownIndex), { complete, phase: 'incremental' });
    if (t) known.set(own.blobKey, t);
  }
  // Standalone chunks have jobs of their own: walk only for continuation slices waiting their turn.
  const waiting = stored.filter((c) => !known.has(c.blobKey));
  if ((await Promise.all(waiting.map((c) => chunks.standsAlone(c)))).every(Boolean)) return;

  const done: Array<ChunkTranscript | undefined> = [];
  for (const [i, chunk] of stored.entries()) {
    let t = known.get(chunk.blobKey);
    if (!t) {
      const complete = stored.slice(0, i + 1).every((c, j) => c.seq === j);
      const earlier = stored.slice(0, i);
      const preceding = complete ? precedingSamples(done) : undefined;
      t = await chunks.transcribe(session, chunk, earlier, {
        complete,
        phase: 'incremental',
        ...(preceding !== undefined ? { precedingSamples: preceding } : {}),
      });
    }
    done.push(t);
  }
}
