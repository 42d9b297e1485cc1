import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';

/** A valid-looking WAV: "RIFF....WAVE" header, then any bytes. */
export function wavBody(bytes: number): Buffer {
  const buf = randomBytes(bytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(bytes - 8, 4);
  buf.write('WAVEfmt ', 8, 'ascii');
  return buf;
}

/** Session ids we choose ourselves (client-supplied ids are 16–32 URL-safe characters). */
export class SessionIds {
  private n = 0;
  private readonly tag = randomBytes(4).toString('hex');

  next(kind: string): string {
    return `b${this.tag}_${kind}_${(this.n++).toString().padStart(7, '0')}`.slice(0, 32);
  }

  many(kind: string, count: number): string[] {
    return Array.from({ length: count }, () => this.next(kind));
  }
}

/**
 * Sends one request per item with autocannon (fast bulk set-up), each built by `build`,
 * and fails unless every answer had the expected status.
 */
export async function bulk(
  url: string,
  key: string,
  items: string[],
  expectStatus: number,
  build: (item: string) => { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
  connections = 16,
  timeoutS = 120,
): Promise<{ seconds: number; per_sec: number }> {
  if (items.length === 0) return { seconds: 0, per_sec: 0 };
  let i = 0;
  const bad: Record<string, number> = {};
  const started = Date.now();
  const instance = autocannon({
    url,
    connections: Math.min(connections, items.length),
    amount: items.length,
    timeout: 30,
    headers: { authorization: `Bearer ${key}` },
    requests: [
      {
        setupRequest: (req) => {
          const item = items[i++ % items.length]!;
          const r = build(item);
          return { ...req, method: r.method, path: r.path, headers: { ...req.headers, ...r.headers }, body: r.body ?? '' };
        },
      },
    ],
  });
  let last = started;
  instance.on('response', (_c: unknown, status: number) => {
    last = Date.now();
    if (status !== expectStatus) bad[status] = (bad[status] ?? 0) + 1;
  });
  const timer = setTimeout(() => instance.stop(), timeoutS * 1000);
  try {
    const result = await instance;
    const answered = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
    if (Object.keys(bad).length > 0 || result.errors > 0 || answered < items.length) {
      throw new Error(
        `set-up requests failed: ${JSON.stringify(bad)} unexpected statuses, ${result.errors} errors, ${answered}/${items.length} answered`,
      );
    }
  } finally {
    clearTimeout(timer);
  }
  // autocannon only notices the end at its next 1 s tick: time to the last answer instead.
  const seconds = Math.max(0.001, (last - started) / 1000);
  return { seconds, per_sec: Math.round(items.length / seconds) };
}

export const createBody = (id: string) =>
  JSON.stringify({ session_id: id, upload_type: 'chunked', communication_protocol: 'http', templates: ['soap'] });

export async function createSessions(url: string, key: string, ids: string[]) {
  return bulk(url, key, ids, 201, (id) => ({
    method: 'POST',
    path: '/voice/v1/sessions',
    headers: { 'content-type': 'application/json' },
    body: createBody(id),
  }));
}

export async function uploadChunks(url: string, key: string, ids: string[], body: Buffer, seq = 0) {
  return bulk(url, key, ids, 200, (id) => ({
    method: 'POST',
    path: `/voice/v1/sessions/${id}/audio/audio_${seq}.wav`,
    headers: { 'content-type': 'audio/wav' },
    body,
  }));
}

/** Prometheus text → the job queue gauges. */
export async function queueDepth(url: string): Promise<{ queued: number; running: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (state: string) => Number(new RegExp(`^openscribe_jobs\\{state="${state}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { queued: read('queued'), running: read('running') };
}

/** Waits (bounded) until the background worker has drained the processing queue. */
export async function waitForQueueDrain(url: string, maxMs: number): Promise<{ drained: boolean; waited_s: number; left: number }> {
  const started = Date.now();
  for (;;) {
    const d = await queueDepth(url);
    const left = d.queued + d.running;
    if (left === 0 || Date.now() - started > maxMs) {
      return { drained: left === 0, waited_s: Math.round((Date.now() - started) / 100) / 10, left };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
