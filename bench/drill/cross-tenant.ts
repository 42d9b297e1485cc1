/**
 * Cross-tenant: tenant B uses its own valid key on every route that names a tenant-A
 * resource (sessions, audio, end, webhooks, deliveries, redeliver). Anything but a 404
 * that is a success (2xx) counts; every answer other than 404 is listed.
 */
import { startReceiver } from '../../test/helpers/webhook-receiver.js';
import { api, createKey, EMBEDDED, sleep, startServer, tempDataDir, type DrillOptions, type ScenarioResult } from './lib.js';

export async function crossTenant(_opts: DrillOptions): Promise<ScenarioResult> {
  const dataDir = tempDataDir('drill-tenant');
  const keyA = createKey(dataDir, 'tenant-a', EMBEDDED);
  const keyB = createKey(dataDir, 'tenant-b', EMBEDDED);
  const rx = await startReceiver(() => 200);
  const server = await startServer({ dataDir, env: { ...EMBEDDED, OPENSCRIBE_WEBHOOK_ALLOW_PRIVATE: '1' } });
  const wav = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), Buffer.alloc(32_000)]);
  try {
    const hook = await api(server.url, 'POST', '/voice/v1/webhooks', { key: keyA, json: { url: rx.url } });
    const open = (await api(server.url, 'POST', '/voice/v1/sessions', { key: keyA, json: { upload_type: 'chunked', communication_protocol: 'http' } })).body.session_id as string;
    const done = (await api(server.url, 'POST', '/voice/v1/sessions', { key: keyA, json: { upload_type: 'chunked', communication_protocol: 'http' } })).body.session_id as string;
    await api(server.url, 'POST', `/voice/v1/sessions/${open}/audio/a_0.wav`, { key: keyA, body: wav, headers: { 'content-type': 'audio/wav' } });
    await api(server.url, 'POST', `/voice/v1/sessions/${done}/end`, { key: keyA, json: { audio_files_sent: 0 } });
    await rx.until((r) => r.length >= 2, 30_000).catch(() => undefined);
    await sleep(500);
    const wh = hook.body.id ?? hook.body.webhook_id;
    const deliveries = await api(server.url, 'GET', `/voice/v1/webhooks/${wh}/deliveries`, { key: keyA });
    const list = deliveries.body?.deliveries ?? deliveries.body?.data ?? [];
    const deliveryId = list[0]?.id ?? list[0]?.delivery_id ?? 'unknown';
    const attempts: Array<[string, string, Record<string, unknown>]> = [];
    for (const id of [open, done]) {
      attempts.push(['GET', `/voice/v1/sessions/${id}`, {}]);
      attempts.push(['GET', `/voice/v1/sessions/${id}?template_id=soap`, {}]);
      attempts.push(['POST', `/voice/v1/sessions/${id}/audio/a_1.wav`, { body: wav, headers: { 'content-type': 'audio/wav' } }]);
      attempts.push(['POST', `/voice/v1/sessions/${id}/audio/a_0.wav`, { body: wav, headers: { 'content-type': 'audio/wav' } }]);
      attempts.push(['POST', `/voice/v1/sessions/${id}/audio`, { body: wav, headers: { 'content-type': 'audio/wav', 'content-disposition': 'attachment; filename="a_2.wav"' } }]);
      attempts.push(['POST', `/voice/v1/sessions/${id}/end`, { json: { audio_files_sent: 1 } }]);
    }
    attempts.push(['GET', `/voice/v1/webhooks/${wh}/deliveries`, {}]);
    attempts.push(['POST', `/voice/v1/webhooks/${wh}/deliveries/${deliveryId}/redeliver`, {}]);
    attempts.push(['DELETE', `/voice/v1/webhooks/${wh}`, {}]);
    let successes = 0;
    const non404: Array<{ route: string; status: number }> = [];
    for (const [method, path, extra] of attempts) {
      const r = await api(server.url, method, path, { key: keyB, ...extra });
      if (r.status !== 404) non404.push({ route: `${method} ${path.replace(open, ':open').replace(done, ':ended').replace(String(wh), ':webhook')}`, status: r.status });
      if (r.status >= 200 && r.status < 300) successes++;
    }
    // B's webhook list must not show A's.
    const listB = await api(server.url, 'GET', '/voice/v1/webhooks', { key: keyB });
    if (JSON.stringify(listB.body ?? {}).includes(String(wh))) successes++;
    // A's resources are untouched.
    const stillA = await api(server.url, 'GET', `/voice/v1/sessions/${open}`, { key: keyA });
    const hooksA = await api(server.url, 'GET', '/voice/v1/webhooks', { key: keyA });
    return {
      totals: { sessions_run: 2, cross_tenant_successes: successes },
      params: { routes_tried: attempts.length + 1, delivery_id_found: deliveryId !== 'unknown' },
      figures: {
        non_404_answers: non404,
        tenant_a_session_files_after: stillA.body?.audio_files ?? null,
        tenant_a_webhook_still_listed: JSON.stringify(hooksA.body ?? {}).includes(String(wh)),
      },
    };
  } finally {
    await server.stop();
    await rx.close();
  }
}
