import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { api, type RunningServer } from '../helpers/server.js';
import { startLoaded, StreamClient } from './stream-client.js';

// Random WebSocket traffic on the stream endpoint: raw PCM, μ-law, garbage bytes, text,
// and Media Streams events with wrong, missing or hostile fields, in any order. Whatever
// arrives, the server answers in the protocol's shape, never closes with 1011 (its own
// failure), stays healthy, and the session still ends cleanly. Scale with
// STREAM_FUZZ_RUNS (the drill runs thousands); reproduce with FUZZ_SEED.
const RUNS = Number(process.env.STREAM_FUZZ_RUNS ?? 60);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

let server: RunningServer;
let key: string;
before(async () => {
  // Thousands of sessions a minute at the drill's scale: the rate limit is not under test here.
  ({ server, key } = await startLoaded('streamfuzz', { OPENSCRIBE_RATE_LIMIT_PER_MINUTE: '10000000' }));
});
after(() => server?.stop());

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const hostile = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constant(null), fc.boolean(), fc.array(fc.nat(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
const encoding = fc.oneof({ arbitrary: fc.constantFrom('audio/x-mulaw', 'audio/mulaw', 'audio/x-l16', 'audio/l16'), weight: 4 }, hostile);
const sampleRate = fc.oneof({ arbitrary: fc.constantFrom(8000, 16000, 44100), weight: 4 }, fc.integer({ min: -5, max: 400_000 }), hostile);

const event = fc.oneof(
  fc.record({ event: fc.constant('connected'), protocol: fc.option(fc.string()) }),
  fc.record({ event: fc.constant('start'), start: fc.oneof(fc.record({ mediaFormat: fc.record({ encoding, sampleRate }, { requiredKeys: [] }) }), hostile) }, { requiredKeys: ['event'] }),
  fc.record({
    event: fc.constant('media'),
    media: fc.oneof(
      { arbitrary: fc.record({ payload: fc.uint8Array({ maxLength: 1600 }).map(b64) }), weight: 4 },
      fc.record({ payload: hostile }),
      hostile,
    ),
  }, { requiredKeys: ['event'] }),
  fc.record({ event: fc.constantFrom('stop', 'mark', 'dtmf'), mark: fc.option(fc.record({ name: fc.string() })) }),
  fc.record({ event: hostile }),
);

/** One frame: binary audio-ish bytes, or text (an event, JSON of any shape, or not JSON at all). */
const frame = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 1600 }).chain((n) => fc.int16Array({ minLength: n, maxLength: n })).map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)), weight: 4 },
  { arbitrary: fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)), weight: 2 },
  { arbitrary: event.map((e) => JSON.stringify(e)), weight: 4 },
  { arbitrary: fc.json(), weight: 1 },
  { arbitrary: fc.string({ maxLength: 200 }), weight: 1 },
);

const query = fc.option(
  fc.oneof(
    fc.constantFrom('sample_rate=8000', 'sample_rate=16000', 'sample_rate=48000'),
    fc.string({ maxLength: 12 }).map((s) => `sample_rate=${encodeURIComponent(s)}`),
    fc.string({ maxLength: 20 }).map((s) => encodeURIComponent(s)),
  ),
  { nil: undefined },
);

async function healthy(context: string): Promise<void> {
  const r = await fetch(`${server.url}/healthz`);
  assert.equal(r.status, 200, `server unhealthy after ${context}`);
}

test('random frames on the stream socket: protocol errors only, never 1011, healthy, and End Session still works', { timeout: 60 * 60_000 }, async () => {
  const closes = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(query, fc.array(frame, { maxLength: 12 }), fc.boolean(), async (q, frames, endWhileOpen) => {
      const created = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'stream', communication_protocol: 'websocket' } });
      assert.equal(created.status, 201, created.text);
      const id = created.body.session_id as string;
      const context = `query=${q} frames=${JSON.stringify(frames.map((f) => (typeof f === 'string' ? f.slice(0, 80) : `<${f.length} bytes>`)))}`;
      const client = StreamClient.connect(q ? `${created.body.upload_url}&${q}` : created.body.upload_url);
      await client.opened;
      for (const f of frames) {
        if (!client.open) break;
        client.ws.send(f);
      }
      // End Session with the socket still open flushes it; otherwise the client hangs up.
      const end = endWhileOpen ? await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 0 } }) : undefined;
      if (client.open) client.ws.close(1000);
      const code = await Promise.race([client.closed, new Promise<number>((r) => setTimeout(() => r(-1), 30_000))]);
      assert.notEqual(code, -1, `socket not closed\n${context}`);
      closes.set(code, (closes.get(code) ?? 0) + 1);
      assert.notEqual(code, 1011, `the server failed: ${client.closeReason}\n${context}`);
      for (const { msg } of client.messages) {
        assert.equal(typeof msg.type, 'string', `message without a type: ${JSON.stringify(msg)}\n${context}`);
        if (msg.type === 'error') {
          assert.equal(typeof msg.code, 'string', `${JSON.stringify(msg)}\n${context}`);
          assert.equal(typeof msg.message, 'string', `${JSON.stringify(msg)}\n${context}`);
          assert.notEqual(msg.code, 'internal_error', `${JSON.stringify(msg)}\n${context}`);
        }
      }
      const ended = end ?? (await api(server.url, 'POST', `/voice/v1/sessions/${id}/end`, { key, json: { audio_files_sent: 0 } }));
      assert.equal(ended.status, 202, `End Session: ${ended.status} ${ended.text}\n${context}`);
      const got = await api(server.url, 'GET', `/voice/v1/sessions/${id}`, { key });
      assert.ok(got.status < 500, `Get Session: ${got.status} ${got.text}\n${context}`);
    }),
    { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) },
  );
  await healthy('the stream fuzz run');
  // Every close was the server's answer to the input or the client's own hang-up.
  assert.ok([...closes.keys()].every((c) => [1000, 1005, 1007, 1008, 1009, 1012].includes(c)), `close codes: ${JSON.stringify([...closes])}`);
});

test('the server logged no failure during the stream fuzz run', () => {
  const failures = server
    .output()
    .split('\n')
    .filter((l) => /"level":(50|60)/.test(l) || /uncaught|unhandled/i.test(l));
  assert.deepEqual(failures, []);
});
