/**
 * Load: N recorders upload 10 s chunks of real speech at real-time pace (WAV, WebM/Opus,
 * Ogg, MP3 in turn) for D minutes on the embedded default with PocketSphinx on, then
 * End; every session must reach a terminal state (the backlog drains after the run).
 */
import { api, createKey, EMBEDDED, percentile, prepareClips, sleep, startServer, tempDataDir, waitTerminal, type DrillOptions, type ScenarioResult } from './lib.js';

export async function load(opts: DrillOptions): Promise<ScenarioResult> {
  const recorders = Number(process.env.DRILL_LOAD_RECORDERS ?? (opts.short ? 10 : 100));
  const minutes = Number(process.env.DRILL_LOAD_MINUTES ?? (opts.short ? 1 : 10));
  const drainMs = Number(process.env.DRILL_LOAD_DRAIN_MINUTES ?? (opts.short ? 15 : 60)) * 60_000;
  const chunkSeconds = 10;
  const chunksPer = Math.max(1, Math.round((minutes * 60) / chunkSeconds));
  const clips = prepareClips(opts.workDir);
  const dataDir = tempDataDir('drill-load');
  const key = createKey(dataDir, 'load', EMBEDDED);
  const server = await startServer({ dataDir, env: { ...EMBEDDED, OPENSCRIBE_TRANSCRIBER: 'pocketsphinx', LOG_LEVEL: 'warn', OPENSCRIBE_RATE_LIMIT_PER_MINUTE: '100000' } });
  const uploadMs: number[] = [];
  const endToResultMs: number[] = [];
  const statuses: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  let accepted = 0;
  let refused = 0;
  let stuck = 0;
  const t0 = Date.now();
  let lastEndAt = 0;
  try {
    await Promise.all(
      Array.from({ length: recorders }, async (_, r) => {
        // Stagger starts over one chunk period, as real recorders do.
        await sleep((r / recorders) * chunkSeconds * 1000);
        const c = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http', templates: ['soap'] } });
        if (c.status !== 201) throw new Error(`create: ${c.status} ${c.text}`);
        const id = c.body.session_id as string;
        const start = Date.now();
        let sent = 0;
        for (let seq = 0; seq < chunksPer; seq++) {
          // A chunk is uploaded when its 10 s have been recorded.
          await sleep(Math.max(0, start + (seq + 1) * chunkSeconds * 1000 - Date.now()));
          const clip = clips[(r * 7 + seq) % clips.length]!;
          const t = performance.now();
          const up = await api(server.url, 'POST', `/voice/v1/sessions/${id}/audio/chunk_${seq}.${clip.format}`, { key, body: clip.bytes, headers: { 'content-type': clip.type } });
          uploadMs.push(performance.now() - t);
          if (up.status === 200) {
            accepted++;
            sent++;
          } else refused++;
        }
        const endAt = Date.now();
        const end = await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: sent } });
        if (end.status !== 202) throw new Error(`end: ${end.status} ${end.text}`);
        lastEndAt = Math.max(lastEndAt, Date.now());
        const status = await waitTerminal(server.url, key, id, drainMs, 2000);
        // Why a session did not complete: its error code and per-file processing errors.
        const view = status && status !== 'completed' ? await api(server.url, 'GET', `/voice/v1/sessions/${id}`, { key }) : undefined;
        const templateErrors = ((view?.body?.templates ?? []) as Array<{ error?: { code?: string } }>).map((t) => t.error?.code && `template ${t.error.code}`);
        const fileErrors = ((view?.body?.processing_errors ?? []) as Array<{ type?: string }>).map((e) => e.type);
        for (const code of [view?.body?.error?.code, ...fileErrors, ...templateErrors]) {
          if (code) reasons[code] = (reasons[code] ?? 0) + 1;
        }
        if (status === null) stuck++;
        else {
          endToResultMs.push(Date.now() - endAt);
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      }),
    );
  } finally {
    await server.stop();
  }
  const drainedAt = Date.now();
  return {
    totals: { sessions_run: recorders, chunks_accepted: accepted, stuck_sessions: stuck },
    params: { recorders, minutes, chunk_seconds: chunkSeconds, chunks_per_session: chunksPer, formats: ['wav', 'webm', 'ogg', 'mp3'], transcriber: 'pocketsphinx', backend: 'embedded (sqlite + files)' },
    figures: {
      chunks_refused: refused,
      upload_ms: { p50: percentile(uploadMs, 50), p99: percentile(uploadMs, 99), max: percentile(uploadMs, 100), n: uploadMs.length },
      end_to_result_ms: { p50: percentile(endToResultMs, 50), p99: percentile(endToResultMs, 99), max: percentile(endToResultMs, 100) },
      // From the last End to the last result: how long the recogniser backlog took to drain.
      drain_seconds: Math.round((drainedAt - lastEndAt) / 1000),
      wall_seconds: Math.round((drainedAt - t0) / 1000),
      terminal_statuses: statuses,
      not_completed_reasons: reasons,
    },
  };
}
