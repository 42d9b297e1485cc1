/**
 * Crash: kill -9 the server K times at random moments while sessions are created, chunks
 * uploaded, sessions ended, processed and their webhooks delivered; restart on the same
 * data dir each time. Then: every chunk answered 200 is on disk byte for byte, every
 * session reaches a terminal state, no job completed twice, every event arrived with a
 * stable id.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startReceiver } from '../../test/helpers/webhook-receiver.js';
import { api, createKey, EMBEDDED, filesUnder, prepareClips, sleep, startServer, tempDataDir, waitTerminal, type DrillOptions, type RunningServer, type ScenarioResult } from './lib.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Tracked {
  id: string;
  chunks: Array<{ seq: number; sha: string }>;
  endAnswered: boolean;
}

export async function crash(opts: DrillOptions): Promise<ScenarioResult> {
  const kills = Number(process.env.DRILL_CRASH_KILLS ?? (opts.short ? 5 : 50));
  const clips = prepareClips(opts.workDir).filter((c) => c.format === 'wav' || c.format === 'mp3');
  const dataDir = tempDataDir('drill-crash');
  const key = createKey(dataDir, 'crash', EMBEDDED);
  const rx = await startReceiver(() => 200);
  const env = { ...EMBEDDED, OPENSCRIBE_WEBHOOK_ALLOW_PRIVATE: '1', OPENSCRIBE_TRANSCRIBER: 'none', LOG_LEVEL: 'info', OPENSCRIBE_RATE_LIMIT_PER_MINUTE: '100000' };
  const sessions: Tracked[] = [];
  const logs: string[] = [];
  const inFlightAtKill = { uploads: 0, ends: 0, processing: 0, deliveries_pending: 0 };
  let accepted = 0;
  const t0 = Date.now();

  let server: RunningServer = await startServer({ dataDir, env });
  const reg = await api(server.url, 'POST', '/voice/v1/webhooks', { key, json: { url: rx.url } });
  if (reg.status !== 201) throw new Error(`register webhook: ${reg.status} ${reg.text}`);
  try {
    for (let k = 0; k < kills; k++) {
      if (k > 0) server = await startServer({ dataDir, env });
      let stop = false;
      const inflight = { uploads: 0, ends: 0 };
      // Two clients doing the whole lifecycle over and over until the kill.
      const client = async () => {
        while (!stop) {
          const c = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http', templates: ['soap'] } }).catch(() => undefined);
          if (c?.status !== 201) return;
          const t: Tracked = { id: c.body.session_id, chunks: [], endAnswered: false };
          sessions.push(t);
          const n = 1 + Math.floor(Math.random() * 3);
          for (let seq = 0; seq < n && !stop; seq++) {
            const clip = clips[Math.floor(Math.random() * clips.length)]!;
            inflight.uploads++;
            const up = await api(server.url, 'POST', `/voice/v1/sessions/${t.id}/audio/a_${seq}.${clip.format}`, { key, body: clip.bytes, headers: { 'content-type': clip.type } }).catch(() => undefined);
            inflight.uploads--;
            if (up?.status === 200) {
              t.chunks.push({ seq, sha: sha(clip.bytes) });
              accepted++;
            }
          }
          if (stop) return;
          inflight.ends++;
          const end = await api(server.url, 'POST', `/voice/v1/sessions/${t.id}/end`, { key, json: { audio_files_sent: t.chunks.length } }).catch(() => undefined);
          inflight.ends--;
          if (end?.status === 202) t.endAnswered = true;
        }
      };
      const clientsDone = Promise.all([client(), client()]);
      await sleep(300 + Math.random() * 2500);
      // What was going on at the moment of the kill.
      inFlightAtKill.uploads += inflight.uploads;
      inFlightAtKill.ends += inflight.ends;
      inFlightAtKill.processing += sessions.filter((s) => s.endAnswered).length > 0 ? 1 : 0;
      inFlightAtKill.deliveries_pending += rx.received.length < sessions.length * 2 ? 1 : 0;
      await server.kill();
      stop = true;
      await clientsDone;
      logs.push(server.output());
    }

    // Final restart: every session must get to a terminal state.
    server = await startServer({ dataDir, env });
    let stuck = 0;
    const stuckStates: Record<string, number> = {};
    const terminal = new Map<string, string>();
    for (const s of sessions) {
      if (!s.endAnswered) {
        const end = await api(server.url, 'POST', `/voice/v1/sessions/${s.id}/end`, { key, json: { audio_files_sent: s.chunks.length } });
        // 409: its End did commit before the kill, the answer was lost.
        if (end.status !== 202 && end.status !== 409) throw new Error(`end after restart: ${end.status} ${end.text}`);
      }
    }
    for (const s of sessions) {
      const status = await waitTerminal(server.url, key, s.id, 120_000);
      if (status === null) {
        stuck++;
        // Where it hangs, for the record: the status it is stuck in.
        const v = await api(server.url, 'GET', `/voice/v1/sessions/${s.id}`, { key });
        const state = `${v.status} ${v.body?.status ?? ''}`.trim();
        stuckStates[state] = (stuckStates[state] ?? 0) + 1;
      } else terminal.set(s.id, status);
    }

    // Every chunk answered 200 is on disk, byte for byte.
    let lost = 0;
    const blobRoot = path.join(dataDir, 'blobs');
    const blobs = filesUnder(blobRoot);
    for (const s of sessions) {
      const mine = blobs.filter((f) => f.split(path.sep).includes(s.id));
      for (const c of s.chunks) {
        const match = mine.filter((f) => path.basename(f).startsWith(`${c.seq}.`)).some((f) => sha(fs.readFileSync(path.join(blobRoot, f))) === c.sha);
        if (!match) lost++;
      }
    }

    // Every event (started, ended, the terminal one) arrived, each with one stable id.
    const expected = new Set<string>();
    for (const [id, status] of terminal) for (const e of ['session.started', 'session.ended', `session.${status}`]) expected.add(`${id} ${e}`);
    const seen = () => new Set(rx.received.map((r) => `${r.body?.session_id} ${r.body?.event}`));
    const deadline = Date.now() + 120_000;
    while ([...expected].some((e) => !seen().has(e)) && Date.now() < deadline) await sleep(500);
    const got = seen();
    const lostEvents = [...expected].filter((e) => !got.has(e)).length;
    const ids = new Map<string, Set<string>>();
    for (const r of rx.received) {
      const k = `${r.body?.session_id} ${r.body?.event}`;
      if (!ids.has(k)) ids.set(k, new Set());
      ids.get(k)!.add(String(r.headers['x-msa-event-id']));
    }
    const unstableIds = [...ids.values()].filter((s) => s.size > 1).length;
    await sleep(1000);
    await server.stop();
    logs.push(server.output());

    // No job completed twice, across every run's log.
    const completions = new Map<string, { kind: string; n: number }>();
    for (const log of logs) {
      for (const line of log.split('\n')) {
        if (!line.includes('"msg":"job completed"')) continue;
        try {
          const j = JSON.parse(line) as { jobId: string; kind: string };
          const c = completions.get(j.jobId) ?? { kind: j.kind, n: 0 };
          c.n++;
          completions.set(j.jobId, c);
        } catch {
          // a line torn by the kill
        }
      }
    }
    const dupes = [...completions.values()].filter((c) => c.n > 1);
    const processCompletions = [...completions.values()].filter((c) => c.kind === 'process-session').length;
    const statusCounts: Record<string, number> = {};
    for (const s of terminal.values()) statusCounts[s] = (statusCounts[s] ?? 0) + 1;
    return {
      totals: {
        sessions_run: sessions.length,
        chunks_accepted: accepted,
        lost_chunks: lost,
        stuck_sessions: stuck,
        duplicate_completions: dupes.reduce((n, c) => n + c.n - 1, 0),
        lost_events: lostEvents + unstableIds,
      },
      params: { kills, kill_delay_ms: '300–2800 after start, random', clients: 2, chunks_per_session: '1–3', transcriber: 'none', backend: 'embedded (sqlite + files)' },
      figures: {
        in_flight_at_kills: inFlightAtKill,
        sessions_ended_before_a_kill: sessions.filter((s) => s.endAnswered).length,
        terminal_statuses: statusCounts,
        stuck_states: stuckStates,
        jobs_completed: completions.size,
        process_session_completions: processCompletions,
        duplicate_job_kinds: dupes.map((d) => d.kind),
        events_expected: expected.size,
        events_received: rx.received.length,
        events_redelivered: rx.received.length - ids.size,
        unstable_event_ids: unstableIds,
        wall_seconds: Math.round((Date.now() - t0) / 1000),
      },
    };
  } finally {
    await server.kill().catch(() => undefined);
    await rx.close();
  }
}
