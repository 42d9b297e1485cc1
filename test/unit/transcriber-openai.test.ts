/**
 * The openai-compatible adapter against a real loopback HTTP server speaking
 * OpenAI's transcription API: what is sent (multipart fields, a real WAV, the
 * key), how answers map to segments and ISO languages, and which failures are
 * permanent and which are retried — with the key kept out of every message.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { AsrServerError, OpenAiTranscriber, parseSegments } from '../../src/speech/recognisers/openai/index.js';
import { readWav } from '../../src/speech/audio/wav.js';
import { PermanentTranscriberError } from '../../src/core/ports/transcriber.js';
import { freePort } from '../helpers/server.js';

const KEY = 'sk-test-Zq8vN3kD0pL5wX2rT7yB';

interface Received {
  method: string;
  url: string;
  auth: string | undefined;
  form: FormData;
}

type Reply = { status: number; json?: unknown; text?: string } | 'hang';

let server: http.Server;
let base: string;
let received: Received[] = [];
let reply: Reply = { status: 200, json: {} };

before(async () => {
  server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    const answer = async () => {
      // undici parses the multipart body exactly as a server framework would
      const form = await new Response(Buffer.concat(parts), { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
      received.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, form });
      if (reply === 'hang') return; // never answers
      res.writeHead(reply.status, { 'content-type': reply.json !== undefined ? 'application/json' : 'text/plain' });
      res.end(reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? ''));
    };
    // a failure here is the test's failure (an unhandled rejection), as before
    req.on('end', () => void answer());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  received = [];
  reply = { status: 200, json: {} };
});

/** 1.5 s of a 440 Hz tone. */
const pcm = Int16Array.from({ length: 24_000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16_000)));
const transcriber = (opts: { timeoutMs?: number; baseUrl?: string } = {}) =>
  new OpenAiTranscriber({ baseUrl: opts.baseUrl ?? base, apiKey: KEY, model: 'whisper-large-v3', timeoutMs: opts.timeoutMs ?? 5000 });

describe('openai-compatible: the request', () => {
  test('multipart to /v1/audio/transcriptions: the PCM as a 16 kHz mono WAV, model, verbose_json, segment timestamps, language, Bearer key', async () => {
    reply = { status: 200, json: { language: 'english', duration: 1.5, text: 'x', segments: [{ start: 0, end: 1, text: 'x' }] } };
    await transcriber().transcribe(pcm, { language: 'en-GB' });
    assert.equal(received.length, 1);
    const r = received[0]!;
    assert.equal(r.method, 'POST');
    assert.equal(r.url, '/v1/audio/transcriptions');
    assert.equal(r.auth, `Bearer ${KEY}`);
    assert.equal(r.form.get('model'), 'whisper-large-v3');
    assert.equal(r.form.get('response_format'), 'verbose_json');
    assert.deepEqual(r.form.getAll('timestamp_granularities[]'), ['segment']);
    assert.equal(r.form.get('language'), 'en');
    const file = r.form.get('file');
    assert.ok(file instanceof Blob);
    assert.equal((file as File).name, 'audio.wav');
    assert.equal(file.type, 'audio/wav');
    const wav = readWav(new Uint8Array(await file.arrayBuffer()));
    assert.equal(wav.info.sampleRate, 16_000);
    assert.equal(wav.info.channels, 1);
    assert.deepEqual(wav.samples, pcm);
  });

  test('no hint: no language field; a base URL ending in /v1 is not doubled', async () => {
    await transcriber({ baseUrl: `${base}/v1/` }).transcribe(pcm);
    assert.equal(received[0]!.url, '/v1/audio/transcriptions');
    assert.equal(received[0]!.form.has('language'), false);
  });
});

describe('openai-compatible: the answer', () => {
  test('segments are mapped (trimmed, empty dropped, kept inside the audio); "english" → en', async () => {
    reply = {
      status: 200,
      json: {
        language: 'english',
        duration: 1.5,
        text: 'Blood pressure is high. Start amlodipine.',
        segments: [
          { id: 0, start: 0, end: 0.8, text: ' Blood pressure is high.', avg_logprob: -0.2 },
          { id: 1, start: 0.8, end: 0.9, text: '  ' },
          { id: 2, start: 0.9, end: 1.7, text: ' Start amlodipine.' },
        ],
      },
    };
    const t = await transcriber().transcribe(pcm, {});
    assert.equal(t.language, 'en');
    assert.deepEqual(t.segments, [
      { start: 0, end: 0.8, text: 'Blood pressure is high.' },
      { start: 0.9, end: 1.5, text: 'Start amlodipine.' },
    ]);
  });

  test('no segments: the whole text is one segment over the audio; language names and codes map to ISO 639-1', async () => {
    reply = { status: 200, json: { language: 'Hindi', text: ' नमस्ते डॉक्टर ' } };
    const t = await transcriber().transcribe(pcm);
    assert.equal(t.language, 'hi');
    assert.deepEqual(t.segments, [{ start: 0, end: 1.5, text: 'नमस्ते डॉक्टर' }]);
    assert.deepEqual(parseSegments({ text: '' }, 3), []);
    reply = { status: 200, json: { language: 'ta', text: 'x' } };
    assert.equal((await transcriber().transcribe(pcm)).language, 'ta');
    reply = { status: 200, json: { text: 'x' } };
    assert.equal((await transcriber().transcribe(pcm, { language: 'mr' })).language, 'mr', 'no language in the answer: the hint');
  });
});

describe('openai-compatible: failures', () => {
  const noKey = (e: Error) => {
    assert.ok(!e.message.includes(KEY), `key leaked: ${e.message}`);
    assert.ok(!e.message.includes(KEY.slice(3, 15)), `part of the key leaked: ${e.message}`);
    return true;
  };

  test('400 and 401 are permanent, with the server reason, without the key (even when the server echoes it)', async () => {
    reply = { status: 400, json: { error: { message: 'Invalid file format. Supported formats: flac, mp3, wav', type: 'invalid_request_error' } } };
    await assert.rejects(transcriber().transcribe(pcm), (e: Error) => {
      assert.ok(e instanceof PermanentTranscriberError, e.name);
      assert.match(e.message, /HTTP 400: Invalid file format/);
      return noKey(e);
    });
    reply = { status: 401, json: { error: { message: `Incorrect API key provided: ${KEY}. You can find your API key at …` } } };
    await assert.rejects(transcriber().transcribe(pcm), (e: Error) => {
      assert.ok(e instanceof PermanentTranscriberError);
      assert.match(e.message, /HTTP 401: Incorrect API key provided: \[redacted\]/);
      return noKey(e);
    });
  });

  for (const status of [503, 500, 429, 408]) {
    test(`${status} is retryable (not permanent)`, async () => {
      reply = { status, json: { error: { message: `busy, key ${KEY}` } } };
      await assert.rejects(transcriber().transcribe(pcm), (e: Error) => {
        assert.ok(e instanceof AsrServerError, e.name);
        assert.ok(!(e instanceof PermanentTranscriberError));
        assert.equal((e as AsrServerError).status, status);
        assert.match(e.message, new RegExp(`HTTP ${status}`));
        return noKey(e);
      });
    });
  }

  test('a server that never answers: retryable timeout error', async () => {
    reply = 'hang';
    await assert.rejects(transcriber({ timeoutMs: 300 }).transcribe(pcm), (e: Error) => {
      assert.ok(e instanceof AsrServerError && !(e instanceof PermanentTranscriberError), e.name);
      assert.match(e.message, /did not answer within 300 ms/);
      return noKey(e);
    });
  });

  test('nothing listening: retryable network error; a non-JSON 200: retryable', async () => {
    const port = await freePort();
    await assert.rejects(transcriber({ baseUrl: `http://127.0.0.1:${port}` }).transcribe(pcm), (e: Error) => {
      assert.ok(e instanceof AsrServerError, e.name);
      assert.match(e.message, /unreachable: ECONNREFUSED/);
      return noKey(e);
    });
    reply = { status: 200, text: '<html>gateway</html>' };
    await assert.rejects(transcriber().transcribe(pcm), (e: Error) => e instanceof AsrServerError && /other than JSON/.test(e.message));
  });
});
