/**
 * Disk full: the data dir on a 20 MB tmpfs; uploads until refused (507/503, never 500),
 * nothing half-written listed or left in the blob dir, SQLite writes on a full disk
 * refused cleanly, and uploads accepted again after space is freed, without a restart.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fill, mountTmpfs, unmount } from '../../test/helpers/tmpfs.js';
import { api, createKey, EMBEDDED, filesUnder, startServer, tempDataDir, type DrillOptions, type ScenarioResult } from './lib.js';

const wav = (n: number) => Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), randomBytes(n)]);

export async function disk(_opts: DrillOptions): Promise<ScenarioResult> {
  const dataDir = tempDataDir('drill-disk');
  const why = mountTmpfs(dataDir);
  if (why !== null) return { totals: {}, params: { skipped: `tmpfs mount not permitted: ${why}` }, figures: {} };
  const statuses: Record<string, number> = {};
  const count = (s: number) => (statuses[s] = (statuses[s] ?? 0) + 1);
  let server;
  try {
    const key = createKey(dataDir, 'disk', EMBEDDED);
    server = await startServer({ dataDir, env: EMBEDDED });
    const sessions: Array<{ id: string; accepted: number }> = [];
    const newSession = async () => {
      const c = await api(server!.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
      count(c.status);
      if (c.status === 201) sessions.push({ id: c.body.session_id, accepted: 0 });
      return c.status;
    };
    await newSession();
    // Fill with uploads until refused (several sessions, 1 MB chunks), then to the last byte.
    let refusedWith: { status: number; code: string } | undefined;
    for (let i = 0; i < 60 && !refusedWith; i++) {
      const s = sessions[sessions.length - 1]!;
      const up = await api(server.url, 'POST', `/voice/v1/sessions/${s.id}/audio/a_${s.accepted}.wav`, { key, body: wav(1024 * 1024), headers: { 'content-type': 'audio/wav' } });
      count(up.status);
      if (up.status === 200) {
        s.accepted++;
        if (s.accepted % 5 === 0) await newSession();
      } else refusedWith = { status: up.status, code: up.body?.error?.code };
    }
    const filler = path.join(dataDir, 'filler');
    fill(filler);
    const onFull = { create: await newSession(), upload: 0, end: 0, get: 0 };
    const last = sessions[sessions.length - 1]!;
    const up = await api(server.url, 'POST', `/voice/v1/sessions/${last.id}/audio/a_${last.accepted}.wav`, { key, body: wav(8192), headers: { 'content-type': 'audio/wav' } });
    onFull.upload = up.status;
    count(up.status);
    const end = await api(server.url, 'POST', `/voice/v1/sessions/${sessions[0]!.id}/end`, { key, json: { audio_files_sent: sessions[0]!.accepted } });
    onFull.end = end.status;
    count(end.status);
    onFull.get = (await api(server.url, 'GET', `/voice/v1/sessions/${last.id}`, { key })).status;
    const alive = server.child.exitCode === null;
    const blobs = filesUnder(path.join(dataDir, 'blobs'));
    const tempFiles = blobs.filter((f) => f.includes('.tmp-')).length;
    let listedWrong = 0;
    for (const s of sessions) {
      const v = await api(server.url, 'GET', `/voice/v1/sessions/${s.id}`, { key });
      if ((v.body?.audio_files?.length ?? -1) !== s.accepted) listedWrong++;
    }
    const orphanBlobs = blobs.length - sessions.reduce((n, s) => n + s.accepted, 0);
    // Space returns: accepted again by the same process.
    fs.rmSync(filler);
    const again = await api(server.url, 'POST', `/voice/v1/sessions/${last.id}/audio/a_${last.accepted}.wav`, { key, body: wav(8192), headers: { 'content-type': 'audio/wav' } });
    if (again.status === 200) last.accepted++;
    const fiveHundreds = Object.entries(statuses).filter(([s]) => s === '500').reduce((n, [, c]) => n + c, 0);
    return {
      totals: { sessions_run: sessions.length, chunks_accepted: sessions.reduce((n, s) => n + s.accepted, 0) },
      params: { tmpfs: '20m', chunk_bytes: 1024 * 1024 },
      figures: {
        refused_with: refusedWith ?? null,
        statuses_on_full_disk: onFull,
        statuses,
        http_500s: fiveHundreds,
        server_alive: alive,
        temp_files_left: tempFiles,
        sessions_listing_wrong_files: listedWrong,
        orphan_blobs: orphanBlobs,
        upload_after_space_freed: again.status,
        passed: !!refusedWith && [503, 507].includes(refusedWith.status) && fiveHundreds === 0 && alive && tempFiles === 0 && listedWrong === 0 && again.status === 200,
      },
    };
  } finally {
    await server?.stop();
    unmount(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
