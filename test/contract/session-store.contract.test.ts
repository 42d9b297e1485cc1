import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { migrateToLatest } from '../../src/adapters/db/migrations.js';
import { openPostgres } from '../../src/adapters/db/postgres.js';
import { SqlSessionStore } from '../../src/adapters/store/sql-session-store.js';
import type { ChunkTranscript, Session, SessionResult, StoredChunk } from '../../src/core/session.js';
import type { SessionStore } from '../../src/core/ports/session-store.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { BACKENDS, type Backend } from './session-store-backends.js';

// One suite for the SessionStore port, run against every database it is built for.

const T0 = new Date('2026-01-01T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const uid = (p: string) => `${p}_${randomBytes(6).toString('hex')}`;

function session(tenantId: string, over: Partial<Session> = {}): Session {
  return {
    tenantId,
    id: uid('ses'),
    status: 'created',
    mode: 'consultation',
    uploadType: 'chunked',
    communicationProtocol: 'http',
    model: 'lite',
    templates: ['soap_note', 'clinical_notes'],
    languageHint: ['en'],
    transcriptLanguage: [],
    additionalData: { emr: { visit: 'v-1' }, n: 3 },
    patientDetails: null,
    createdAt: T0,
    expiresAt: at(3600),
    endedAt: null,
    completedAt: null,
    expiredAt: null,
    audioFilesSent: null,
    committedFiles: null,
    result: null,
    audioPurgedAt: null,
    ...over,
  };
}

const chunk = (seq: number, over: Partial<StoredChunk> = {}): StoredChunk => ({
  seq,
  name: `${seq}.webm`,
  originalName: `rec_${seq}.webm`,
  blobKey: uid(`t/s/${seq}`),
  contentType: 'audio/webm',
  bytes: 1000 + seq,
  receivedAt: at(seq),
  ...over,
});

const transcript = (blobKey: string, seq: number, text = `words ${seq}`): ChunkTranscript => ({
  blobKey,
  seq,
  outcome: 'transcribed',
  samples: 160_000,
  language: 'en',
  segments: [{ start: 0.5, end: 2.25, text }],
  error: null,
});

const result: SessionResult = { model_used: 'lite', transcript: 'hello', templates: [], audio_files_processed: 1, processing_errors: [] };

export function sessionStoreContract(backend: Backend): void {
  describe(`SessionStore on ${backend.name}`, () => {
    let store: SessionStore;
    let close: () => Promise<void>;
    before(async () => {
      const opened = await backend.open();
      store = new SqlSessionStore(opened.db);
      close = opened.close;
    });
    after(() => close());

    async function tenant(): Promise<string> {
      const id = uid('ten');
      await store.createTenant({ id, name: `name-${id}`, createdAt: T0 });
      return id;
    }
    async function created(tenantId: string, over: Partial<Session> = {}): Promise<Session> {
      const s = session(tenantId, over);
      assert.equal(await store.transaction((tx) => tx.insertSession(s)), true);
      return s;
    }
    const record = (tenantId: string, id: string, c: StoredChunk, now = at(10)) => store.transaction((tx) => tx.recordChunk(tenantId, id, c, now));
    const commit = (tenantId: string, id: string, now = at(20), sent = 1) => store.transaction((tx) => tx.commitSession(tenantId, id, now, sent));

    test('tenants: created, found by name, counted', async () => {
      const before = await store.countTenants();
      const id = await tenant();
      assert.equal(typeof before, 'number');
      assert.equal(await store.countTenants(), before + 1);
      assert.deepEqual(await store.findTenantByName(`name-${id}`), { id, name: `name-${id}`, createdAt: T0 });
      assert.equal(await store.findTenantByName('no such tenant'), undefined);
    });

    test('API keys: found by prefix while active, listed per tenant, revoked once, touched', async () => {
      const a = await tenant();
      const b = await tenant();
      const prefix = uid('p');
      const key = (id: string, tenantId: string, s: number) => ({
        id, tenantId, prefix, hash: uid('h'), environment: 'test' as const, createdAt: at(s), revokedAt: null, lastUsedAt: null,
      });
      await store.insertApiKey(key('k1', a, 1));
      await store.insertApiKey(key('k2', a, 2));
      await store.insertApiKey(key('k3', b, 3));
      assert.deepEqual((await store.findApiKeysByPrefix(prefix)).map((k) => k.id).sort(), ['k1', 'k2', 'k3']);
      assert.deepEqual((await store.listApiKeys(a)).map((k) => k.id), ['k1', 'k2']);
      assert.ok((await store.listApiKeys()).some((k) => k.id === 'k3'));
      assert.equal(await store.revokeApiKey('k2', at(10)), true);
      assert.equal(await store.revokeApiKey('k2', at(11)), false, 'a revoked key is not revoked again');
      assert.equal(await store.revokeApiKey('nope', at(11)), false);
      assert.deepEqual((await store.findApiKeysByPrefix(prefix)).map((k) => k.id).sort(), ['k1', 'k3']);
      await store.touchApiKey('k1', at(20));
      const [k1, k2] = await store.listApiKeys(a);
      assert.deepEqual(k1!.lastUsedAt, at(20));
      assert.deepEqual(k2!.revokedAt, at(10));
      assert.equal(k1!.environment, 'test');
    });

    test('a session round-trips every field; a second insert of its id is refused, in another tenant it is not', async () => {
      const a = await tenant();
      const b = await tenant();
      const s = await created(a, { patientDetails: { name: 'P', age: 40 } });
      assert.deepEqual(await store.getSession(a, s.id), s);
      assert.equal(await store.transaction((tx) => tx.insertSession({ ...s, model: 'pro' })), false);
      assert.equal((await store.getSession(a, s.id))!.model, 'lite');
      assert.equal(await store.transaction((tx) => tx.insertSession({ ...s, tenantId: b })), true);
      assert.equal(await store.getSession(a, 'unknown'), undefined);
    });

    test('tenant isolation: another tenant can neither see, upload to, end, finish nor expire a session', async () => {
      const a = await tenant();
      const b = await tenant();
      const s = await created(a, { expiresAt: at(5) });
      await record(a, s.id, chunk(0), at(1));
      assert.equal(await store.getSession(b, s.id), undefined);
      assert.deepEqual(await store.listChunks(b, s.id), []);
      assert.deepEqual(await record(b, s.id, chunk(1), at(1)), { accepted: false });
      assert.equal(await commit(b, s.id, at(2)), undefined);
      assert.equal(await store.transaction((tx) => tx.expireSession(b, s.id, at(10))), false);
      assert.equal(await store.saveChunkTranscript(b, s.id, transcript('x', 0), at(2)), false);
      assert.equal((await store.getSession(a, s.id))!.status, 'recording');
      assert.equal((await store.listChunks(a, s.id)).length, 1);
    });

    test('chunks: recording starts, listed in numeric order, a re-sent sequence replaces the row and drops its transcript', async () => {
      const t = await tenant();
      const s = await created(t);
      for (const seq of [10, 2, 0]) assert.deepEqual(await record(t, s.id, chunk(seq)), { accepted: true });
      assert.equal((await store.getSession(t, s.id))!.status, 'recording');
      const listed = await store.listChunks(t, s.id);
      assert.deepEqual(listed.map((c) => c.seq), [0, 2, 10]);
      const old = listed[1]!;
      assert.equal(await store.saveChunkTranscript(t, s.id, transcript(old.blobKey, 2), at(11)), true);
      const again = chunk(2, { bytes: 5, contentType: 'audio/ogg' });
      const replaced = await record(t, s.id, again, at(12));
      assert.deepEqual(replaced, { accepted: true, replaced: old });
      assert.deepEqual((await store.listChunks(t, s.id))[1], again);
      assert.deepEqual(await store.listChunkTranscripts(t, s.id), [], 'the transcript of the replaced audio is gone');
      assert.deepEqual(await store.transaction((tx) => tx.listChunks(t, s.id)), await store.listChunks(t, s.id));
    });

    test('a chunk is refused once the session ended or its deadline passed', async () => {
      const t = await tenant();
      const ended = await created(t);
      assert.ok(await commit(t, ended.id));
      assert.deepEqual(await record(t, ended.id, chunk(0), at(30)), { accepted: false });
      const late = await created(t, { expiresAt: at(5) });
      assert.deepEqual(await record(t, late.id, chunk(0), at(5)), { accepted: false });
      assert.deepEqual(await store.listChunks(t, late.id), []);
      assert.equal((await store.getSession(t, late.id))!.status, 'created');
    });

    test('a transaction that throws leaves nothing behind', async () => {
      const t = await tenant();
      const s = session(t);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.insertSession(s);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await store.getSession(t, s.id), undefined);
      const open = await created(t);
      await assert.rejects(
        store.transaction(async (tx) => {
          assert.equal((await tx.recordChunk(t, open.id, chunk(0), at(1))).accepted, true);
          assert.ok(await tx.commitSession(t, open.id, at(2), 1));
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.deepEqual(await store.getSession(t, open.id), open, 'status, chunk and commit all rolled back');
      assert.deepEqual(await store.listChunks(t, open.id), []);
    });

    test('End Session: the commit fixes the files; 20 at once have exactly one winner', async () => {
      const t = await tenant();
      const s = await created(t);
      await record(t, s.id, chunk(0));
      await record(t, s.id, chunk(1));
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, () =>
          store.transaction(async (tx) => {
            const won = await tx.commitSession(t, s.id, at(20), 2);
            if (won) await tx.setCommittedFiles(t, s.id, (await tx.listChunks(t, s.id)).map((c) => c.name));
            return won;
          }),
        ),
      );
      const winners = outcomes.filter(Boolean);
      assert.equal(winners.length, 1);
      assert.equal(winners[0]!.status, 'processing');
      assert.deepEqual(winners[0]!.endedAt, at(20));
      const after = (await store.getSession(t, s.id))!;
      assert.equal(after.status, 'processing');
      assert.equal(after.audioFilesSent, 2);
      assert.deepEqual(after.committedFiles, ['0.webm', '1.webm']);
      // The stored count can replace the declared one (a stream client cannot know it).
      await store.transaction((tx) => tx.setCommittedFiles(t, s.id, ['0.webm', '1.webm'], 7));
      assert.equal((await store.getSession(t, s.id))!.audioFilesSent, 7);
      assert.deepEqual((await store.getSession(t, s.id))!.committedFiles, ['0.webm', '1.webm']);
      const late = await created(t, { expiresAt: at(5) });
      assert.equal(await commit(t, late.id, at(5)), undefined, 'not past the deadline');
    });

    test('uploads racing End Session: exactly the accepted chunks are the committed ones', async () => {
      const t = await tenant();
      const s = await created(t);
      let committed: number[] | undefined;
      const uploads = Array.from({ length: 20 }, (_, seq) => record(t, s.id, chunk(seq)).then((r) => (r.accepted ? seq : -1)));
      const end = store.transaction(async (tx) => {
        if (!(await tx.commitSession(t, s.id, at(20), 0))) return;
        committed = (await tx.listChunks(t, s.id)).map((c) => c.seq);
      });
      const accepted = (await Promise.all(uploads)).filter((seq) => seq >= 0);
      await end;
      assert.deepEqual(committed, accepted.sort((x, y) => x - y));
      assert.deepEqual((await store.listChunks(t, s.id)).map((c) => c.seq), committed);
    });

    test('finishing: only a processing session, once; its chunk transcripts go with it', async () => {
      const t = await tenant();
      const s = await created(t);
      const c = chunk(0);
      await record(t, s.id, c);
      assert.equal(await store.transaction((tx) => tx.finishSession(t, s.id, 'completed', result, at(30))), false, 'still recording');
      assert.equal(await store.saveChunkTranscript(t, s.id, transcript(c.blobKey, 0), at(11)), true);
      assert.ok(await commit(t, s.id));
      assert.equal(await store.saveChunkTranscript(t, s.id, transcript(c.blobKey, 0, 'again'), at(21)), true, 'processing still takes transcripts');
      assert.equal(await store.transaction((tx) => tx.finishSession(t, s.id, 'partial', result, at(30))), true);
      assert.equal(await store.transaction((tx) => tx.finishSession(t, s.id, 'completed', result, at(31))), false);
      const done = (await store.getSession(t, s.id))!;
      assert.equal(done.status, 'partial');
      assert.deepEqual(done.result, result);
      assert.deepEqual(done.completedAt, at(30));
      assert.deepEqual(await store.listChunkTranscripts(t, s.id), []);
      assert.equal(await store.saveChunkTranscript(t, s.id, transcript(c.blobKey, 0), at(32)), false, 'nothing is stored after the result');
      assert.deepEqual(await store.listChunkTranscripts(t, s.id), []);
    });

    test('transcripts saved while the session finishes never outlive its result', async () => {
      const t = await tenant();
      const s = await created(t);
      assert.ok(await commit(t, s.id));
      const saves = Array.from({ length: 20 }, (_, seq) => store.saveChunkTranscript(t, s.id, transcript(uid('k'), seq), at(21)));
      const finish = store.transaction((tx) => tx.finishSession(t, s.id, 'completed', result, at(30)));
      await Promise.all(saves);
      assert.equal(await finish, true);
      assert.deepEqual(await store.listChunkTranscripts(t, s.id), []);
    });

    test('chunk transcripts: stored by blob key (upserted), listed in sequence order', async () => {
      const t = await tenant();
      const s = await created(t);
      await store.saveChunkTranscript(t, s.id, transcript('k2', 2), at(1));
      await store.saveChunkTranscript(t, s.id, transcript('k0', 0), at(1));
      const skipped: ChunkTranscript = { blobKey: 'k2', seq: 2, outcome: 'skipped', samples: null, language: null, segments: [], error: { type: 'audio_too_short', message: 'short', file: '2.webm' } };
      assert.equal(await store.saveChunkTranscript(t, s.id, skipped, at(2)), true);
      assert.deepEqual(await store.listChunkTranscripts(t, s.id), [transcript('k0', 0), skipped]);
    });

    test('expiry: only an open session past its deadline, once; found by the sweeper query until then', async () => {
      const t = await tenant();
      const due = await created(t, { expiresAt: at(100) });
      const notYet = await created(t, { expiresAt: at(200) });
      const processing = await created(t, { expiresAt: at(100) });
      assert.ok(await commit(t, processing.id, at(50)));
      await store.saveChunkTranscript(t, due.id, transcript(uid('k'), 0), at(1));
      const expirable = async (now: Date) => (await store.findExpirable(now, 1000)).filter((x) => x.tenantId === t).map((x) => x.id);
      assert.deepEqual(await expirable(at(150)), [due.id]);
      assert.equal((await store.findExpirable(at(10_000), 1)).length, 1, 'limit');
      assert.equal(await store.transaction((tx) => tx.expireSession(t, notYet.id, at(150))), false, 'not past its deadline');
      assert.equal(await store.transaction((tx) => tx.expireSession(t, processing.id, at(150))), false, 'not open');
      assert.equal(await store.transaction((tx) => tx.expireSession(t, due.id, at(150))), true);
      assert.equal(await store.transaction((tx) => tx.expireSession(t, due.id, at(151))), false, 'once');
      const expired = (await store.getSession(t, due.id))!;
      assert.equal(expired.status, 'expired');
      assert.deepEqual(expired.expiredAt, at(150));
      assert.deepEqual(await store.listChunkTranscripts(t, due.id), []);
      assert.deepEqual(await expirable(at(150)), []);
    });

    test('purge: finished or expired sessions older than the cut-off, until marked purged', async () => {
      const t = await tenant();
      const old = await created(t);
      assert.ok(await commit(t, old.id, at(10)));
      await store.transaction((tx) => tx.finishSession(t, old.id, 'completed', result, at(20)));
      const recent = await created(t);
      assert.ok(await commit(t, recent.id, at(10)));
      await store.transaction((tx) => tx.finishSession(t, recent.id, 'failed', result, at(500)));
      const expired = await created(t, { expiresAt: at(30) });
      await store.transaction((tx) => tx.expireSession(t, expired.id, at(40)));
      await created(t);
      const purgeable = async (before: Date) => (await store.findPurgeable(before, 1000)).filter((x) => x.tenantId === t).map((x) => x.id).sort();
      assert.deepEqual(await purgeable(at(100)), [old.id, expired.id].sort());
      assert.equal((await store.findPurgeable(at(100_000), 1)).length, 1, 'limit');
      await store.markAudioPurged(t, old.id, at(200));
      assert.deepEqual((await store.getSession(t, old.id))!.audioPurgedAt, at(200));
      assert.deepEqual(await purgeable(at(1000)), [recent.id, expired.id].sort());
    });

    test('ping answers while the database is up', async () => {
      await store.ping();
    });
  });
}

for (const backend of BACKENDS) sessionStoreContract(backend);

test('PostgreSQL: several processes migrating one fresh database at once all succeed, each migration runs once', async () => {
  const pg = await createTestDatabase('migrate_race');
  const dbs = Array.from({ length: 4 }, () => openPostgres(pg.url, { poolSize: 2 }));
  try {
    const applied = await Promise.all(dbs.map((db) => migrateToLatest(db)));
    const all = applied.flat();
    assert.equal(new Set(all).size, all.length, 'no migration ran twice');
    assert.ok(all.includes('0001_initial'));
    assert.deepEqual(await Promise.all(dbs.map((db) => migrateToLatest(db))), [[], [], [], []]);
  } finally {
    await Promise.all(dbs.map((db) => db.destroy()));
    await pg.drop();
  }
});
