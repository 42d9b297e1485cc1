import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api, createKey, SHARED, startServer, tempDataDir, type RunningServer } from '../helpers/server.js';

// ---------------------------------------------------------------------------
// Audio: the real files are read in place, never copied into the repository.
// ---------------------------------------------------------------------------

const AUDIO_DIR = path.join(SHARED, 'data/audio');
const read = (name: string): Buffer => fs.readFileSync(path.join(AUDIO_DIR, name));

/** Ogg's CRC-32 (polynomial 0x04c11db7, no reflection, init 0). */
const OGG_CRC = Array.from({ length: 256 }, (_, i) => {
  let r = i << 24;
  for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
  return r >>> 0;
});

function oggPage(headerType: number, granule: bigint, pageSeq: number, packets: Buffer[]): Buffer {
  const lacing: number[] = [];
  for (const p of packets) {
    for (let n = p.length; ; n -= 255) {
      lacing.push(Math.min(n, 255));
      if (n < 255) break;
    }
  }
  const header = Buffer.alloc(27);
  header.write('OggS', 0, 'ascii');
  header[4] = 0; // version
  header[5] = headerType;
  header.writeBigInt64LE(granule, 6);
  header.writeUInt32LE(0x0badcafe, 14); // stream serial
  header.writeUInt32LE(pageSeq, 18);
  header[26] = lacing.length;
  const page = Buffer.concat([header, Buffer.from(lacing), ...packets]);
  let crc = 0;
  for (const b of page) crc = ((crc << 8) ^ OGG_CRC[((crc >>> 24) ^ b) & 0xff]!) >>> 0;
  page.writeUInt32LE(crc, 22);
  return page;
}

/**
 * A small but well-formed Ogg Opus file (OpusHead, OpusTags, one second of Opus
 * silence frames): the shared data has no .ogg sample and ffmpeg may be missing.
 */
function oggOpus(): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'ascii');
  head[8] = 1; // version
  head[9] = 1; // channels
  head.writeUInt16LE(312, 10); // pre-skip
  head.writeUInt32LE(16_000, 12); // input sample rate
  head.writeInt16LE(0, 16); // output gain
  head[18] = 0; // mapping family
  const vendor = Buffer.from('openscribe-test');
  const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
  tags.write('OpusTags', 0, 'ascii');
  tags.writeUInt32LE(vendor.length, 8);
  vendor.copy(tags, 12);
  tags.writeUInt32LE(0, 12 + vendor.length);
  const silence = Array.from({ length: 50 }, () => Buffer.from([0xf8, 0xff, 0xfe])); // 50 × 20 ms
  return Buffer.concat([
    oggPage(0x02, 0n, 0, [head]),
    oggPage(0x00, 0n, 1, [tags]),
    oggPage(0x04, 312n + 48_000n, 2, silence),
  ]);
}

const WAV = read('consult-hypertension.wav');
const WAV2 = read('dictation-fever.wav');
const WEBM = read('consult-hypertension.webm');
const MP3 = read('consult-hypertension.mp3');
const M4A = read('dictation-fever.m4a');
const OGG = oggOpus();

/** A MediaRecorder-style continuation chunk: from a Cluster element in the middle of the WebM, no EBML header. */
function webmContinuation(): Buffer {
  const cluster = WEBM.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75]), Math.floor(WEBM.length / 3));
  assert.ok(cluster > 0, 'the sample WebM has a Cluster element past its first third');
  return WEBM.subarray(cluster, cluster + 40_000);
}

/** `size` bytes that start like a WAV file (so only the size can be wrong). */
function wavOfSize(size: number): Buffer {
  const buf = Buffer.alloc(size);
  WAV.copy(buf, 0, 0, Math.min(size, 4096));
  return buf;
}

// ---------------------------------------------------------------------------
// Servers and helpers
// ---------------------------------------------------------------------------

const MiB = 1024 * 1024;
const SMALL_LIMIT = 100_000;

let server: RunningServer;
let small: RunningServer;
let keyA: string;
let keyB: string;
let smallKey: string;

before(async () => {
  const dataDir = tempDataDir('openscribe-audio');
  keyA = createKey(dataDir, 'clinic-a');
  keyB = createKey(dataDir, 'clinic-b');
  const smallDir = tempDataDir('openscribe-audio-small');
  smallKey = createKey(smallDir, 'clinic-small');
  [server, small] = await Promise.all([
    startServer({ dataDir }),
    startServer({ dataDir: smallDir, env: { OPENSCRIBE_MAX_CHUNK_BYTES: String(SMALL_LIMIT) } }),
  ]);
});
after(async () => {
  await Promise.all([server?.stop(), small?.stop()]);
  for (const s of [server, small]) if (s) fs.rmSync(s.dataDir, { recursive: true, force: true });
});

const V1 = '/voice/v1';

async function newSession(opts: { key?: string; on?: RunningServer; uploadType?: 'chunked' | 'single' } = {}): Promise<string> {
  const r = await api((opts.on ?? server).url, 'POST', `${V1}/sessions`, {
    key: opts.key ?? keyA,
    json: { upload_type: opts.uploadType ?? 'chunked', communication_protocol: 'http' },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.status, 'created');
  return r.body.session_id as string;
}

type Form = 'path' | 'multipart' | 'disposition';
const FORMS: Form[] = ['path', 'multipart', 'disposition'];

/** Uploads one file in one of the three protocol forms. `contentType` undefined = no Content-Type at all. */
function upload(
  sessionId: string,
  fileName: string,
  bytes: Buffer,
  contentType: string | undefined,
  opts: { form?: Form; key?: string; on?: RunningServer } = {},
) {
  const base = (opts.on ?? server).url;
  const key = opts.key ?? keyA;
  const headers: Record<string, string> = {};
  switch (opts.form ?? 'path') {
    case 'path':
      if (contentType !== undefined) headers['content-type'] = contentType;
      return api(base, 'POST', `${V1}/sessions/${sessionId}/audio/${encodeURIComponent(fileName)}`, { key, body: bytes, headers });
    case 'multipart': {
      const form = new FormData();
      form.append('file', contentType === undefined ? new Blob([bytes]) : new Blob([bytes], { type: contentType }), fileName);
      return api(base, 'POST', `${V1}/sessions/${sessionId}/audio`, { key, body: form });
    }
    case 'disposition':
      if (contentType !== undefined) headers['content-type'] = contentType;
      headers['content-disposition'] = `attachment; filename="${fileName}"`;
      return api(base, 'POST', `${V1}/sessions/${sessionId}/audio`, { key, body: bytes, headers });
  }
}

async function getSession(sessionId: string, key = keyA, on = server) {
  return api(on.url, 'GET', `${V1}/sessions/${sessionId}`, { key });
}

async function listed(sessionId: string, key = keyA, on = server): Promise<string[]> {
  const r = await getSession(sessionId, key, on);
  assert.ok(r.status === 200 || r.status === 202 || r.status === 206, r.text);
  assert.equal(r.body.audio_files_received, r.body.audio_files.length);
  return r.body.audio_files as string[];
}

/** <dataDir>/blobs/<tenantId>/<sessionId>, found by listing the tenants. */
function sessionDir(sessionId: string, on = server): string | undefined {
  const blobs = path.join(on.dataDir, 'blobs');
  if (!fs.existsSync(blobs)) return undefined;
  const hits = fs.readdirSync(blobs).map((tenant) => path.join(blobs, tenant, sessionId)).filter((d) => fs.existsSync(d));
  assert.ok(hits.length <= 1, `session ${sessionId} has folders under ${hits.length} tenants`);
  return hits[0];
}

function sessionFiles(sessionId: string, on = server): string[] {
  const dir = sessionDir(sessionId, on);
  return dir ? fs.readdirSync(dir).sort() : [];
}

/** The one blob stored for `seq` (`<seq>.<random>.<ext>`), read back from disk. */
function storedBytes(sessionId: string, seq: number, ext: string, on = server): Buffer {
  const files = sessionFiles(sessionId, on).filter((f) => f.startsWith(`${seq}.`));
  assert.equal(files.length, 1, `exactly one blob for seq ${seq}: ${files.join(', ')}`);
  assert.match(files[0]!, new RegExp(`^${seq}\\.[A-Za-z0-9]+\\.${ext}$`));
  return fs.readFileSync(path.join(sessionDir(sessionId, on)!, files[0]!));
}

/** Every path under the data dir except the SQLite files: what the filesystem looks like. */
function tree(on = server): string[] {
  const all = fs.readdirSync(on.dataDir, { recursive: true }) as string[];
  return all.filter((p) => !/^openscribe\.db(-wal|-shm|-journal)?$/.test(p)).sort();
}

function assertError(r: { status: number; body: any; text: string }, status: number, code?: string | string[]): void {
  assert.equal(r.status, status, r.text);
  assert.equal(typeof r.body?.error?.code, 'string', `protocol error body: ${r.text}`);
  assert.equal(typeof r.body.error.message, 'string');
  if (code !== undefined) {
    const codes = Array.isArray(code) ? code : [code];
    assert.ok(codes.includes(r.body.error.code), `expected ${codes.join(' | ')}, got ${r.text}`);
  }
  assert.doesNotMatch(r.text, /\bat [\w.<>]+ \(|node_modules/, 'no stack traces');
}

interface RawResponse {
  status: number;
  body: any;
  text: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * A request through node:http with full control: the path is sent exactly as given
 * (no URL normalisation), and the body is streamed in pieces — with an honest
 * Content-Length, or with chunked transfer encoding when `chunked` is set. Writing
 * stops as soon as the server answers.
 *
 * `waitForAnswerAt`: after writing that many body bytes (0 = the headers alone), wait up to
 * 2 s for an early answer before sending the rest, as a careful streaming client (or an
 * `Expect: 100-continue` one) would. The server closes the connection after refusing a body
 * it did not read to the end, so bytes still in flight would reset the socket and the
 * answer could be lost (EPIPE) — see the report; pausing keeps these tests deterministic.
 */
function rawRequest(opts: {
  path: string;
  key?: string;
  on?: RunningServer;
  headers?: Record<string, string>;
  body?: Buffer;
  chunked?: boolean;
  pieceSize?: number;
  waitForAnswerAt?: number;
}): Promise<RawResponse> {
  const on = opts.on ?? server;
  const body = opts.body ?? Buffer.alloc(0);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key !== '') headers.authorization = `Bearer ${opts.key ?? keyA}`;
  if (!opts.chunked) headers['content-length'] = String(body.length);
  const pieceSize = opts.pieceSize ?? 64 * 1024;
  // A keep-alive agent of its own: `agent: false` would send Connection: close, and a server
  // that answers early then closes with our body unread resets the socket under us.
  const agent = new http.Agent({ keepAlive: true });
  return new Promise<RawResponse>((resolve, reject) => {
    let responded = false;
    const req = http.request({ host: '127.0.0.1', port: on.port, method: 'POST', path: opts.path, headers, agent }, (res) => {
      responded = true;
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        req.destroy();
        resolve({ status: res.statusCode!, body: parsed, text, headers: res.headers });
      });
    });
    req.on('error', (err) => {
      if (!responded) reject(err);
    });
    if (opts.chunked) assert.equal(req.getHeader('content-length'), undefined);
    const pauseAt = opts.waitForAnswerAt;
    let paused = false;
    let offset = 0;
    const pump = (): void => {
      while (offset < body.length) {
        if (responded || req.destroyed) return;
        if (pauseAt !== undefined && !paused && offset >= pauseAt) {
          paused = true;
          setTimeout(pump, 2000);
          return;
        }
        const stop = pauseAt !== undefined && !paused ? Math.min(offset + pieceSize, Math.max(pauseAt, offset + 1)) : offset + pieceSize;
        const piece = body.subarray(offset, stop);
        offset += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!responded) req.end();
    };
    req.flushHeaders();
    pump();
  }).finally(() => agent.destroy());
}

/** A multipart/form-data body with `bytes` in field "file", as fetch would send it. */
async function encodeMultipart(bytes: Buffer, type: string | undefined, fileName: string) {
  const form = new FormData();
  form.append('file', type === undefined ? new Blob([bytes]) : new Blob([bytes], { type }), fileName);
  const encoded = new Response(form);
  const body = Buffer.from(await encoded.arrayBuffer());
  const fileOffset = body.indexOf(bytes.subarray(0, 64));
  return { body, contentType: encoded.headers.get('content-type')!, fileOffset };
}

/**
 * An upload in any of the three forms through rawRequest, pausing for an early answer after
 * `waitForAnswerAt` bytes of the file (see rawRequest): for uploads the server refuses part-way.
 */
async function carefulUpload(
  sessionId: string,
  fileName: string,
  bytes: Buffer,
  contentType: string | undefined,
  opts: { form?: Form; key?: string; on?: RunningServer; waitForAnswerAt: number },
): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  const common = { key: opts.key, on: opts.on };
  switch (opts.form ?? 'path') {
    case 'path':
      if (contentType !== undefined) headers['content-type'] = contentType;
      return rawRequest({ ...common, path: `${V1}/sessions/${sessionId}/audio/${encodeURIComponent(fileName)}`, headers, body: bytes, waitForAnswerAt: opts.waitForAnswerAt });
    case 'disposition':
      if (contentType !== undefined) headers['content-type'] = contentType;
      headers['content-disposition'] = `attachment; filename="${fileName}"`;
      return rawRequest({ ...common, path: `${V1}/sessions/${sessionId}/audio`, headers, body: bytes, waitForAnswerAt: opts.waitForAnswerAt });
    case 'multipart': {
      const m = await encodeMultipart(bytes, contentType, fileName);
      assert.ok(m.fileOffset > 0);
      return rawRequest({
        ...common,
        path: `${V1}/sessions/${sessionId}/audio`,
        headers: { 'content-type': m.contentType },
        body: m.body,
        waitForAnswerAt: m.fileOffset + opts.waitForAnswerAt,
      });
    }
  }
}

// ---------------------------------------------------------------------------
// The three upload forms × every format
// ---------------------------------------------------------------------------

interface FormatCase {
  label: string;
  bytes: Buffer;
  ext: string;
  contentType: string | undefined;
}

const FORMAT_CASES: FormatCase[] = [
  { label: 'wav audio/wav', bytes: WAV, ext: 'wav', contentType: 'audio/wav' },
  { label: 'wav audio/x-wav', bytes: WAV2, ext: 'wav', contentType: 'audio/x-wav' },
  { label: 'wav audio/wave', bytes: WAV2, ext: 'wav', contentType: 'audio/wave' },
  { label: 'wav, no Content-Type', bytes: WAV2, ext: 'wav', contentType: undefined },
  { label: 'wav application/octet-stream', bytes: WAV2, ext: 'wav', contentType: 'application/octet-stream' },
  { label: 'webm audio/webm;codecs=opus', bytes: WEBM, ext: 'webm', contentType: 'audio/webm;codecs=opus' },
  { label: 'webm audio/webm', bytes: WEBM, ext: 'webm', contentType: 'audio/webm' },
  { label: 'webm, no Content-Type', bytes: WEBM, ext: 'webm', contentType: undefined },
  { label: 'webm application/octet-stream', bytes: WEBM, ext: 'webm', contentType: 'application/octet-stream' },
  { label: 'mp3 audio/mpeg', bytes: MP3, ext: 'mp3', contentType: 'audio/mpeg' },
  { label: 'mp3 audio/mp3', bytes: MP3, ext: 'mp3', contentType: 'audio/mp3' },
  { label: 'mp3, no Content-Type', bytes: MP3, ext: 'mp3', contentType: undefined },
  { label: 'mp3 application/octet-stream', bytes: MP3, ext: 'mp3', contentType: 'application/octet-stream' },
  { label: 'm4a audio/mp4', bytes: M4A, ext: 'm4a', contentType: 'audio/mp4' },
  { label: 'm4a audio/m4a', bytes: M4A, ext: 'm4a', contentType: 'audio/m4a' },
  { label: 'mp4 audio/mp4', bytes: M4A, ext: 'mp4', contentType: 'audio/mp4' },
  { label: 'm4a, no Content-Type', bytes: M4A, ext: 'm4a', contentType: undefined },
  { label: 'm4a application/octet-stream', bytes: M4A, ext: 'm4a', contentType: 'application/octet-stream' },
  { label: 'ogg audio/ogg', bytes: OGG, ext: 'ogg', contentType: 'audio/ogg' },
  { label: 'ogg audio/ogg;codecs=opus', bytes: OGG, ext: 'ogg', contentType: 'audio/ogg;codecs=opus' },
  { label: 'opus audio/ogg', bytes: OGG, ext: 'opus', contentType: 'audio/ogg' },
  { label: 'ogg, no Content-Type', bytes: OGG, ext: 'ogg', contentType: undefined },
  { label: 'ogg application/octet-stream', bytes: OGG, ext: 'ogg', contentType: 'application/octet-stream' },
];

describe('upload forms × formats: accepted and stored byte-for-byte', () => {
  for (const form of FORMS) {
    test(`${form}: every format with its MIME type, with none, and as application/octet-stream`, async (t) => {
      const id = await newSession();
      const expected: string[] = [];
      for (const [seq, c] of FORMAT_CASES.entries()) {
        const fileName = `audio_${seq}.${c.ext}`;
        const r = await upload(id, fileName, c.bytes, c.contentType, { form });
        assert.equal(r.status, 200, `${c.label}: ${r.text}`);
        assert.deepEqual(r.body, {
          session_id: id,
          success: true,
          original_filename: fileName,
          stored_filename: `${seq}.${c.ext}`,
          bytes: c.bytes.length,
        });
        assert.ok(storedBytes(id, seq, c.ext).equals(c.bytes), `${c.label}: stored bytes differ from the source`);
        expected.push(`${seq}.${c.ext}`);
      }
      assert.deepEqual(await listed(id), expected);
      assert.equal(sessionFiles(id).length, FORMAT_CASES.length, 'one blob per chunk, no temp files');
      t.diagnostic(`${FORMAT_CASES.length} uploads via ${form}`);
    });
  }

  test('the Content-Disposition filename* (RFC 5987) form works too', async () => {
    const id = await newSession();
    const r = await api(server.url, 'POST', `${V1}/sessions/${id}/audio`, {
      key: keyA,
      body: WEBM,
      headers: { 'content-type': 'audio/webm;codecs=opus', 'content-disposition': `attachment; filename*=UTF-8''audio_0.webm` },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.stored_filename, '0.webm');
    assert.ok(storedBytes(id, 0, 'webm').equals(WEBM));
  });

  test('X-API-Key works as well as Bearer', async () => {
    const id = await newSession();
    const r = await api(server.url, 'POST', `${V1}/sessions/${id}/audio/audio_0.wav`, {
      body: WAV2,
      headers: { 'x-api-key': keyA, 'content-type': 'audio/wav' },
    });
    assert.equal(r.status, 200, r.text);
  });
});

// ---------------------------------------------------------------------------
// Session state, ordering, replacement, single uploads
// ---------------------------------------------------------------------------

describe('session state and listing', () => {
  test('the first upload moves created → recording; audio_files are listed in numeric order', async () => {
    const id = await newSession();
    let g = await getSession(id);
    assert.equal(g.status, 202);
    assert.equal(g.body.status, 'created');
    assert.deepEqual(g.body.audio_files, []);
    assert.equal(g.body.audio_files_received, 0);

    // A refused upload does not start the recording.
    const refused = await upload(id, 'audio_0.wav', Buffer.from('<html>not audio</html>'), 'audio/wav');
    assertError(refused, 400, 'invalid_audio_format');
    assert.equal((await getSession(id)).body.status, 'created');

    for (const seq of [10, 2, 1, 0, 21, 3]) {
      const r = await upload(id, `audio_${seq}.webm`, WEBM, 'audio/webm;codecs=opus');
      assert.equal(r.status, 200, r.text);
      if (seq === 10) {
        g = await getSession(id);
        assert.equal(g.status, 202);
        assert.equal(g.body.status, 'recording');
        assert.deepEqual(g.body.audio_files, ['10.webm']);
      }
    }
    g = await getSession(id);
    assert.equal(g.status, 202);
    assert.equal(g.body.status, 'recording');
    assert.deepEqual(g.body.audio_files, ['0.webm', '1.webm', '2.webm', '3.webm', '10.webm', '21.webm']);
    assert.equal(g.body.audio_files_received, 6);
  });

  test('re-uploading the same seq replaces the chunk: one blob, the newest bytes, count unchanged', async () => {
    const id = await newSession();
    assert.equal((await upload(id, 'audio_0.wav', WAV2, 'audio/wav')).status, 200);
    assert.equal((await upload(id, 'audio_1.wav', WAV2, 'audio/wav')).status, 200);
    assert.deepEqual(await listed(id), ['0.wav', '1.wav']);

    for (const form of FORMS) {
      const r = await upload(id, 'audio_0.wav', WAV, 'audio/wav', { form });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.bytes, WAV.length);
      assert.deepEqual(await listed(id), ['0.wav', '1.wav']);
      assert.equal(sessionFiles(id).length, 2, `old blob removed after the ${form} retry`);
      assert.ok(storedBytes(id, 0, 'wav').equals(WAV));
    }

    // A retry in another format replaces it too, and the listed name follows.
    const r = await upload(id, 'audio_0.webm', WEBM, 'audio/webm');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(await listed(id), ['0.webm', '1.wav']);
    assert.equal(sessionFiles(id).length, 2);
    assert.ok(storedBytes(id, 0, 'webm').equals(WEBM));
    assert.ok(storedBytes(id, 1, 'wav').equals(WAV2), 'the other chunk is untouched');
  });

  test('a refused retry leaves the accepted chunk intact', async () => {
    const id = await newSession();
    assert.equal((await upload(id, 'audio_0.wav', WAV2, 'audio/wav')).status, 200);
    for (const form of FORMS) {
      assertError(await carefulUpload(id, 'audio_0.wav', MP3, 'audio/wav', { form, waitForAnswerAt: 1024 }), 400, 'invalid_audio_format');
    }
    assertError(await upload(id, 'audio_0.wav', Buffer.alloc(0), 'audio/wav'), 400);
    assert.deepEqual(await listed(id), ['0.wav']);
    assert.ok(storedBytes(id, 0, 'wav').equals(WAV2));
  });

  test('single sessions accept a name without a sequence number (recording.wav → 0.wav)', async () => {
    const id = await newSession({ uploadType: 'single' });
    const r = await upload(id, 'recording.wav', WAV2, 'audio/wav');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { session_id: id, success: true, original_filename: 'recording.wav', stored_filename: '0.wav', bytes: WAV2.length });
    assert.ok(storedBytes(id, 0, 'wav').equals(WAV2));
    assert.deepEqual(await listed(id), ['0.wav']);
    assert.equal((await getSession(id)).body.status, 'recording');

    for (const form of ['multipart', 'disposition'] as const) {
      const other = await newSession({ uploadType: 'single' });
      const m = await upload(other, 'Consult Recording.m4a', M4A, 'audio/mp4', { form });
      assert.equal(m.status, 200, m.text);
      assert.equal(m.body.stored_filename, '0.m4a');
      assert.ok(storedBytes(other, 0, 'm4a').equals(M4A));
    }
  });

  test('chunked sessions refuse a name without a sequence number', async () => {
    const id = await newSession();
    for (const form of FORMS) {
      assertError(await upload(id, 'recording.wav', WAV2, 'audio/wav', { form }), 400, 'invalid_file_name');
    }
    assert.deepEqual(await listed(id), []);
    assert.deepEqual(sessionFiles(id), []);
  });
});

// ---------------------------------------------------------------------------
// Hostile file names
// ---------------------------------------------------------------------------

describe('hostile file names → 400 invalid_file_name, nothing written anywhere', () => {
  test('raw path form (names sent percent-encoded, exactly as given)', async () => {
    const id = await newSession();
    // A first good chunk, so that the session folder exists and must stay exactly as it is.
    assert.equal((await upload(id, 'audio_0.wav', WAV2, 'audio/wav')).status, 200);
    const marker = `pwn${randomBytes(4).toString('hex')}`;
    const names = [
      `%2E%2E%2F${marker}_1.wav`, // ../x_1.wav
      `%2e%2e%2f${marker}_1.wav`,
      `..%2F..%2F${marker}_1.wav`,
      `%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F${marker}_1.wav`, // far above the data dir
      `%2E%2E%5C${marker}_1.wav`, // ..\x_1.wav
      `${marker}%5Cb_1.wav`, // backslash
      `sub%2F${marker}_1.wav`, // a/b
      `%2Ftmp%2F${marker}_1.wav`, // absolute
      `${marker}%00_1.wav`, // NUL
      `${marker}_1.wav%00`,
      `${marker}_1.wav%00.exe`,
      `%01${marker}_1.wav`, // control characters
      `${marker}%0A_1.wav`,
      `${marker}%0D%0A_1.wav`,
      `${marker}%09_1.wav`,
      `${marker}%1B_1.wav`,
      `${marker}%7F_1.wav`,
      '%2E%2E', // ..
      '..',
      '.',
      `${marker}..${marker}_1.wav`,
      `..${marker}_1.wav`,
      `.${marker}_1.wav`, // hidden
      `${marker}_1..wav`,
      `${marker}%3A_1.wav`, // colon
      `%C3%A4${marker}_1.wav`, // non-ASCII
      `${'a'.repeat(129 - `_1.wav`.length)}_1.wav`, // 129 chars
      `${marker}${'b'.repeat(300)}_1.wav`,
      'audio_01.wav', // padded seq
      'audio_007.wav',
      'audio_100000.wav', // seq above the maximum
      `${marker}.wav`, // no seq in a chunked session
      'audio.webm',
    ];
    const before = tree();
    for (const name of names) {
      const r = await rawRequest({ path: `${V1}/sessions/${id}/audio/${name}`, headers: { 'content-type': 'audio/wav' }, body: WAV2 });
      assertError(r, 400, 'invalid_file_name');
    }
    assert.deepEqual(tree(), before, 'nothing written in the data dir, not even in the session folder');
    for (const dir of [server.dataDir, path.dirname(server.dataDir), '/tmp']) {
      assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes(marker)), [], `nothing named after the attack in ${dir}`);
    }
    assert.deepEqual(await listed(id), ['0.wav']);
    assert.ok(storedBytes(id, 0, 'wav').equals(WAV2));
  });

  test('Content-Disposition form', async () => {
    const id = await newSession();
    const before = tree();
    const dispositions = [
      'attachment; filename="../x_0.webm"',
      'attachment; filename="../../../../x_0.webm"',
      'attachment; filename="..\\\\x_0.webm"',
      'attachment; filename="a\\\\b_0.webm"',
      'attachment; filename="/etc/x_0.webm"',
      `attachment; filename*=UTF-8''..%2F..%2Fx_0.webm`,
      `attachment; filename*=UTF-8''x%00_0.webm`,
      `attachment; filename*=UTF-8''x%0A_0.webm`,
      'attachment; filename="a..b_0.webm"',
      'attachment; filename="audio_01.webm"',
      'attachment; filename="audio.webm"',
      `attachment; filename="${'c'.repeat(200)}_0.webm"`,
    ];
    for (const cd of dispositions) {
      const r = await api(server.url, 'POST', `${V1}/sessions/${id}/audio`, {
        key: keyA,
        body: WEBM,
        headers: { 'content-type': 'audio/webm', 'content-disposition': cd },
      });
      assertError(r, 400, 'invalid_file_name');
    }
    assert.deepEqual(tree(), before);
    assert.deepEqual(await listed(id), []);
  });

  test('multipart form: hostile names are refused or reduced to the bare name, never written outside the session', async () => {
    const id = await newSession();
    for (const name of ['a..b_0.wav', 'audio_01.wav', 'audio.wav', `${'d'.repeat(200)}_0.wav`, 'x%00_0.wav']) {
      assertError(await upload(id, name, WAV2, 'audio/wav', { form: 'multipart' }), 400, 'invalid_file_name');
    }
    assert.deepEqual(await listed(id), []);
    const before = tree().filter((p) => !p.includes(id));
    // busboy drops directory parts of a multipart filename; whatever is left must be a plain chunk.
    for (const name of ['../../x_0.wav', '..\\..\\x_0.wav', '/etc/x_0.wav', 'C:\\temp\\x_0.wav']) {
      const r = await upload(id, name, WAV2, 'audio/wav', { form: 'multipart' });
      if (r.status === 200) {
        assert.equal(r.body.stored_filename, '0.wav', r.text);
        assert.doesNotMatch(r.body.original_filename, /[\\/]|\.\./);
      } else {
        assertError(r, 400, 'invalid_file_name');
      }
    }
    assert.deepEqual(tree().filter((p) => !p.includes(id)), before, 'nothing outside the session folder');
    assert.ok(sessionFiles(id).every((f) => /^0\.[A-Za-z0-9]+\.wav$/.test(f)));
    assert.ok(sessionFiles(id).length <= 1);
  });

  test('hostile session ids → 404, nothing written', async () => {
    const before = tree();
    for (const sid of ['..', '%2E%2E', '%2E%2E%2F%2E%2E', '..%2Fses_x', 'ses_x%00', `${'s'.repeat(65)}`]) {
      const r = await rawRequest({ path: `${V1}/sessions/${sid}/audio/audio_0.wav`, headers: { 'content-type': 'audio/wav' }, body: WAV2 });
      assertError(r, 404, 'session_not_found');
    }
    assert.deepEqual(tree(), before);
  });

  // Router errors happen before any route runs; frameworkErrorHandler gives them the protocol shape.
  test('a file name longer than the router limit (500 chars) is a 400 with a protocol error body', async () => {
    const id = await newSession();
    const r = await rawRequest({ path: `${V1}/sessions/${id}/audio/${'e'.repeat(600)}_0.wav`, headers: { 'content-type': 'audio/wav' }, body: WAV2 });
    assertError(r, 400, ['invalid_file_name', 'invalid_request']);
  });

  test('a file name with broken percent-encoding gets a protocol error body', async () => {
    const id = await newSession();
    const r = await rawRequest({ path: `${V1}/sessions/${id}/audio/%ZZ_0.wav`, headers: { 'content-type': 'audio/wav' }, body: WAV2 });
    assertError(r, 400);
  });
});

// ---------------------------------------------------------------------------
// Formats: unsupported types, lying bytes, WebM continuation chunks, empty bodies
// ---------------------------------------------------------------------------

describe('format checks', () => {
  test('unsupported extension → 400 invalid_audio_format', async () => {
    const id = await newSession();
    for (const form of FORMS) {
      for (const name of ['audio_0.exe', 'audio_0.txt', 'audio_0.flac']) {
        assertError(await upload(id, name, WAV2, 'audio/wav', { form }), 400, 'invalid_audio_format');
        assertError(await upload(id, name, WAV2, undefined, { form }), 400, 'invalid_audio_format');
      }
    }
    assert.deepEqual(await listed(id), []);
    assert.deepEqual(sessionFiles(id), []);
  });

  test('unsupported MIME type → 400 invalid_audio_format', async () => {
    const id = await newSession();
    for (const form of FORMS) {
      for (const type of ['text/plain', 'application/json', 'text/html', 'video/mp4', 'image/png']) {
        const r = await upload(id, 'audio_0.wav', WAV2, type, { form });
        assertError(r, 400, 'invalid_audio_format');
      }
    }
    assert.deepEqual(await listed(id), []);
    assert.deepEqual(sessionFiles(id), []);
    assert.equal((await getSession(id)).body.status, 'created');
  });

  test('bytes plainly not the declared format → 400 invalid_audio_format, nothing listed', async () => {
    const id = await newSession();
    const html = Buffer.from('<!DOCTYPE html><html><head><title>x</title></head><body>not audio</body></html>\n'.repeat(50));
    const json = Buffer.from(JSON.stringify({ audio: 'nope', padding: 'x'.repeat(5000) }));
    const lies: Array<[label: string, name: string, bytes: Buffer, type: string | undefined]> = [
      ['WAV sent as audio/mpeg', 'audio_0.mp3', WAV, 'audio/mpeg'],
      ['WAV named .wav sent as audio/mpeg', 'audio_0.wav', WAV, 'audio/mpeg'],
      ['WAV sent as audio/webm', 'audio_0.webm', WAV, 'audio/webm'],
      ['HTML sent as audio/webm', 'audio_0.webm', html, 'audio/webm'],
      ['HTML sent as audio/webm;codecs=opus', 'audio_0.webm', html, 'audio/webm;codecs=opus'],
      ['JSON sent as audio/webm', 'audio_0.webm', json, 'audio/webm'],
      ['HTML sent as audio/wav', 'audio_0.wav', html, 'audio/wav'],
      ['MP3 sent as .wav (no Content-Type)', 'audio_0.wav', MP3, undefined],
      ['MP3 sent as .wav (octet-stream)', 'audio_0.wav', MP3, 'application/octet-stream'],
      ['MP3 sent as .wav (audio/wav)', 'audio_0.wav', MP3, 'audio/wav'],
      ['M4A sent as audio/ogg', 'audio_0.ogg', M4A, 'audio/ogg'],
      ['Ogg sent as audio/mp4', 'audio_0.m4a', OGG, 'audio/mp4'],
      ['WebM sent as .mp3', 'audio_0.mp3', WEBM, undefined],
      ['WebM sent as audio/wav', 'audio_0.wav', WEBM, 'audio/wav'],
      ['WebM continuation sent as audio/wav', 'audio_0.wav', webmContinuation(), 'audio/wav'],
      ['tiny text body', 'audio_0.webm', Buffer.from('hi'), 'audio/webm'],
    ];
    for (const form of FORMS) {
      for (const [label, name, bytes, type] of lies) {
        // The server refuses on the first bytes; the client waits for that answer (see rawRequest).
        const r = await carefulUpload(id, name, bytes, type, { form, waitForAnswerAt: 1024 });
        assert.equal(r.status, 400, `${form} ${label}: ${r.text}`);
        assertError(r, 400, 'invalid_audio_format');
      }
    }
    assert.deepEqual(await listed(id), []);
    assert.deepEqual(sessionFiles(id), [], 'refused bytes are not kept');
    assert.equal((await getSession(id)).body.status, 'created');
  });

  test('a MediaRecorder-style WebM continuation chunk (no EBML header) is accepted as audio/webm', async () => {
    const id = await newSession();
    const first = WEBM.subarray(0, 60_000);
    const next = webmContinuation();
    assert.notDeepEqual([...next.subarray(0, 4)], [0x1a, 0x45, 0xdf, 0xa3]);
    assert.equal((await upload(id, 'audio_0.webm', first, 'audio/webm;codecs=opus')).status, 200);
    for (const [seq, form] of FORMS.entries()) {
      const r = await upload(id, `audio_${seq + 1}.webm`, next, 'audio/webm;codecs=opus', { form });
      assert.equal(r.status, 200, `${form}: ${r.text}`);
      assert.ok(storedBytes(id, seq + 1, 'webm').equals(next));
    }
    const r = await upload(id, 'audio_4.webm', next, undefined);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(await listed(id), ['0.webm', '1.webm', '2.webm', '3.webm', '4.webm']);
  });

  test('an empty body → 400, nothing listed', async () => {
    const id = await newSession();
    for (const form of FORMS) {
      assertError(await upload(id, 'audio_0.wav', Buffer.alloc(0), 'audio/wav', { form }), 400);
      assertError(await upload(id, 'audio_0.webm', Buffer.alloc(0), 'audio/webm', { form }), 400);
      assertError(await upload(id, 'audio_0.webm', Buffer.alloc(0), undefined, { form }), 400);
    }
    // No body at all (not even Content-Length: 0).
    assertError(await api(server.url, 'POST', `${V1}/sessions/${id}/audio/audio_0.wav`, { key: keyA }), 400);
    // Chunked transfer encoding with zero bytes.
    assertError(await rawRequest({ path: `${V1}/sessions/${id}/audio/audio_0.webm`, headers: { 'content-type': 'audio/webm' }, chunked: true }), 400);
    assert.deepEqual(await listed(id), []);
    assert.deepEqual(sessionFiles(id), []);
  });

  test('the /audio endpoint without a file name → 400', async () => {
    const id = await newSession();
    assertError(await api(server.url, 'POST', `${V1}/sessions/${id}/audio`, { key: keyA, body: WAV2, headers: { 'content-type': 'audio/wav' } }), 400, 'missing_required_field');
    assertError(
      await api(server.url, 'POST', `${V1}/sessions/${id}/audio`, { key: keyA, body: WAV2, headers: { 'content-type': 'audio/wav', 'content-disposition': 'attachment' } }),
      400,
    );
    const form = new FormData();
    form.append('audio', new Blob([WAV2], { type: 'audio/wav' }), 'audio_0.wav');
    assertError(await api(server.url, 'POST', `${V1}/sessions/${id}/audio`, { key: keyA, body: form }), 400, 'missing_required_field');
    assert.deepEqual(await listed(id), []);
  });
});

// ---------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------

describe('connections', () => {
  test('a refused upload does not stall the keep-alive connection it came on', async () => {
    const id = await newSession();
    // One socket at a time, reused while it stays open: a connection left with unread body
    // bytes would stall the next request (until keepAliveTimeout, 72 s) instead of answering it.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, pathname: string, headers: Record<string, string>, body?: Buffer) =>
      new Promise<{ status: number; body: any; connection?: string }>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: server.port,
            method,
            path: pathname,
            agent,
            headers: { authorization: `Bearer ${keyA}`, ...(body ? { 'content-length': String(body.length) } : {}), ...headers },
          },
          (res) => {
            const parts: Buffer[] = [];
            res.on('data', (c: Buffer) => parts.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(parts).toString() || 'null'), connection: res.headers.connection }),
            );
          },
        );
        req.on('error', reject);
        req.setTimeout(5000, () => req.destroy(Object.assign(new Error(`${method} ${pathname}: no answer within 5 s (stalled connection)`), { code: 'STALLED' })));
        req.end(body);
      });
    const multipart = async (bytes: Buffer, type: string, name: string) => {
      const m = await encodeMultipart(bytes, type, name);
      return send('POST', `${V1}/sessions/${id}/audio`, { 'content-type': m.contentType }, m.body);
    };
    try {
      const audio = `${V1}/sessions/${id}/audio`;
      // `closes`: refused after reading part of the body, so the server closes the connection; a client
      // still writing may then see a reset instead of the answer (a known limitation, see the report).
      const steps: Array<[label: string, run: () => Promise<{ status: number; body: any; connection?: string }>, status: number, closes: boolean]> = [
        ['bytes not WAV (path)', () => send('POST', `${audio}/audio_0.wav`, { 'content-type': 'audio/wav' }, MP3), 400, true],
        ['good upload', () => send('POST', `${audio}/audio_0.wav`, { 'content-type': 'audio/wav' }, WAV), 200, false],
        ['unsupported MIME (multipart)', () => multipart(WAV, 'text/plain', 'audio_1.wav'), 400, false],
        ['good upload', () => send('POST', `${audio}/audio_1.wav`, { 'content-type': 'audio/wav' }, WAV2), 200, false],
        ['bytes not WAV (multipart)', () => multipart(MP3, 'audio/wav', 'audio_2.wav'), 400, true],
        ['GET session', () => send('GET', `${V1}/sessions/${id}`, {}), 202, false],
        ['unknown session (multipart)', async () => {
          const m = await encodeMultipart(WAV, 'audio/wav', 'audio_2.wav');
          return send('POST', `${V1}/sessions/ses_nope/audio`, { 'content-type': m.contentType }, m.body);
        }, 404, false],
        ['hostile name (multipart)', () => multipart(WAV, 'audio/wav', 'a..b_2.wav'), 400, false],
        ['no "file" field (multipart)', async () => {
          const form = new FormData();
          form.append('audio', new Blob([WAV], { type: 'audio/wav' }), 'audio_2.wav');
          const encoded = new Response(form);
          return send('POST', audio, { 'content-type': encoded.headers.get('content-type')! }, Buffer.from(await encoded.arrayBuffer()));
        }, 400, false],
        ['HTML as WebM (Content-Disposition)', () => send('POST', audio, { 'content-type': 'audio/webm', 'content-disposition': 'attachment; filename="audio_2.webm"' }, Buffer.from('<html>'.repeat(100_000))), 400, true],
        ['unsupported MIME (path)', () => send('POST', `${audio}/audio_2.wav`, { 'content-type': 'text/plain' }, WAV), 400, false],
        ['hostile name (path)', () => send('POST', `${audio}/%2E%2E%2Fx_2.wav`, { 'content-type': 'audio/wav' }, WAV), 400, false],
        ['unknown session (path)', () => send('POST', `${V1}/sessions/ses_nope/audio/audio_2.wav`, { 'content-type': 'audio/wav' }, WAV), 404, false],
        ['GET session', () => send('GET', `${V1}/sessions/${id}`, {}), 202, false],
      ];
      for (const [label, run, status, closes] of steps) {
        let r: Awaited<ReturnType<typeof run>>;
        try {
          r = await run();
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          assert.ok(closes && (code === 'EPIPE' || code === 'ECONNRESET'), `${label}: ${String(err)}`);
          continue;
        }
        assert.equal(r.status, status, `${label}: ${JSON.stringify(r.body)}`);
        // Refusals that did not read into the body keep the connection (Node or busboy drains the rest).
        if (!closes) assert.notEqual(r.connection, 'close', `${label} should keep the connection alive`);
      }
      assert.deepEqual(await listed(id), ['0.wav', '1.wav']);
    } finally {
      agent.destroy();
    }
  });

  test(
    'a client sending a whole mislabelled 2 MB body gets the 400, never a connection reset',
    async () => {
      const id = await newSession();
      const outcomes: Record<string, number> = {};
      for (let i = 0; i < 30; i++) {
        const form = FORMS[i % 3]!;
        const outcome = await upload(id, 'audio_0.mp3', WAV, 'audio/mpeg', { form }).then(
          (r) => String(r.status),
          (err: { cause?: { code?: string } }) => err.cause?.code ?? 'error',
        );
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
      assert.deepEqual(outcomes, { 400: 30 });
    },
  );
});

// ---------------------------------------------------------------------------
// Size limits
// ---------------------------------------------------------------------------

describe('size limits', () => {
  const TEN_MIB = 10 * MiB;

  async function assertNothingKept(id: string, on = server, key = keyA, keep: string[] = []): Promise<void> {
    assert.deepEqual(await listed(id, key, on), keep);
    const files = sessionFiles(id, on);
    assert.equal(files.length, keep.length, `no partial or temp files left: ${files.join(', ')}`);
    assert.ok(files.every((f) => !f.includes('.tmp-')));
  }

  test('> 10 MB with an honest Content-Length → 413 chunk_too_large', async () => {
    const id = await newSession();
    assert.equal((await upload(id, 'audio_0.wav', WAV2, 'audio/wav')).status, 200);
    // The server refuses on the header alone and closes the connection. The client sends the
    // headers first and waits for that early answer, as an Expect: 100-continue client would: a
    // client that keeps writing into the closed socket may see EPIPE instead of the 413 (see report).
    for (const form of ['path', 'disposition'] as const) {
      const r = await rawRequest({
        path: form === 'path' ? `${V1}/sessions/${id}/audio/audio_1.wav` : `${V1}/sessions/${id}/audio`,
        headers: { 'content-type': 'audio/wav', ...(form === 'disposition' ? { 'content-disposition': 'attachment; filename="audio_1.wav"' } : {}) },
        body: wavOfSize(TEN_MIB + 1),
        waitForAnswerAt: 0,
      });
      assertError(r, 413, 'chunk_too_large');
      assert.equal(r.body.error.details?.max_bytes, TEN_MIB);
    }
    await assertNothingKept(id, server, keyA, ['0.wav']);
    assert.ok(storedBytes(id, 0, 'wav').equals(WAV2));
  });

  test('> 10 MB with chunked transfer encoding (no Content-Length) → 413, nothing kept', async () => {
    const id = await newSession();
    assert.equal((await upload(id, 'audio_0.wav', WAV2, 'audio/wav')).status, 200);
    for (const name of ['audio_1.wav', 'audio_0.wav']) {
      const r = await rawRequest({
        path: `${V1}/sessions/${id}/audio/${name}`,
        headers: { 'content-type': 'audio/wav' },
        body: wavOfSize(TEN_MIB + 1),
        chunked: true,
        waitForAnswerAt: TEN_MIB + 1,
      });
      assertError(r, 413, 'chunk_too_large');
    }
    // Also far beyond the limit, and via the Content-Disposition form.
    const big = await rawRequest({
      path: `${V1}/sessions/${id}/audio`,
      headers: { 'content-type': 'audio/wav', 'content-disposition': 'attachment; filename="audio_2.wav"' },
      body: wavOfSize(3 * TEN_MIB),
      chunked: true,
      waitForAnswerAt: TEN_MIB + 1,
    });
    assertError(big, 413, 'chunk_too_large');
    await assertNothingKept(id, server, keyA, ['0.wav']);
    assert.ok(storedBytes(id, 0, 'wav').equals(WAV2), 'an oversized retry does not touch the accepted chunk');
  });

  test('> 10 MB as multipart → 413, nothing kept', async () => {
    const id = await newSession();
    const r = await carefulUpload(id, 'audio_0.wav', wavOfSize(TEN_MIB + 1), 'audio/wav', { form: 'multipart', waitForAnswerAt: TEN_MIB + 1 });
    assertError(r, 413, 'chunk_too_large');
    await assertNothingKept(id);
    assert.equal((await getSession(id)).body.status, 'created');
  });

  test('exactly 10 MB is accepted', async () => {
    const id = await newSession();
    const body = wavOfSize(TEN_MIB);
    const r = await rawRequest({ path: `${V1}/sessions/${id}/audio/audio_0.wav`, headers: { 'content-type': 'audio/wav' }, body, chunked: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.bytes, TEN_MIB);
    assert.ok(storedBytes(id, 0, 'wav').equals(body));
  });

  test(`OPENSCRIBE_MAX_CHUNK_BYTES=${SMALL_LIMIT}: ${SMALL_LIMIT} bytes accepted, ${SMALL_LIMIT + 1} refused`, async () => {
    const id = await newSession({ on: small, key: smallKey });
    const ok = await upload(id, 'audio_0.wav', wavOfSize(SMALL_LIMIT), 'audio/wav', { on: small, key: smallKey });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.bytes, SMALL_LIMIT);
    for (const chunked of [false, true]) {
      const r = await rawRequest({
        on: small,
        key: smallKey,
        path: `${V1}/sessions/${id}/audio/audio_1.wav`,
        headers: { 'content-type': 'audio/wav' },
        body: wavOfSize(SMALL_LIMIT + 1),
        chunked,
        waitForAnswerAt: chunked ? SMALL_LIMIT + 1 : 0,
      });
      assertError(r, 413, 'chunk_too_large');
      assert.equal(r.body.error.details?.max_bytes, SMALL_LIMIT);
    }
    for (const form of ['multipart', 'disposition'] as const) {
      const r = await carefulUpload(id, 'audio_1.wav', wavOfSize(SMALL_LIMIT + 1), 'audio/wav', { form, on: small, key: smallKey, waitForAnswerAt: SMALL_LIMIT + 1 });
      assertError(r, 413, 'chunk_too_large');
    }
    // The real 2 MB WAV is far too large for this deployment.
    const wav = await rawRequest({ on: small, key: smallKey, path: `${V1}/sessions/${id}/audio/audio_1.wav`, headers: { 'content-type': 'audio/wav' }, body: WAV, waitForAnswerAt: 0 });
    assertError(wav, 413, 'chunk_too_large');
    await assertNothingKept(id, small, smallKey, ['0.wav']);
  });
});

// ---------------------------------------------------------------------------
// Who may upload, and when
// ---------------------------------------------------------------------------

describe('session lookup and lifecycle', () => {
  test('unknown session → 404 session_not_found, nothing written', async () => {
    const before = tree();
    for (const form of FORMS) {
      assertError(await upload('ses_doesnotexist0000000', 'audio_0.wav', WAV2, 'audio/wav', { form }), 404, 'session_not_found');
    }
    assert.deepEqual(tree(), before);
  });

  test("another tenant's session → 404, exactly like an unknown one", async () => {
    const id = await newSession({ key: keyA });
    assert.equal((await upload(id, 'audio_0.wav', WAV2, 'audio/wav')).status, 200);
    const before = tree();
    for (const form of FORMS) {
      const foreign = await upload(id, 'audio_1.wav', WAV, 'audio/wav', { form, key: keyB });
      const unknownId = `ses_${'Z'.repeat(20)}`;
      const unknown = await upload(unknownId, 'audio_1.wav', WAV, 'audio/wav', { form, key: keyB });
      assertError(foreign, 404, 'session_not_found');
      assert.deepEqual(JSON.parse(foreign.text.replaceAll(id, '<id>')), JSON.parse(unknown.text.replaceAll(unknownId, '<id>')));
      // Replacing the owner's chunk is not possible either.
      assertError(await upload(id, 'audio_0.wav', WAV, 'audio/wav', { form, key: keyB }), 404, 'session_not_found');
    }
    assert.deepEqual(tree(), before);
    assert.deepEqual(await listed(id), ['0.wav']);
    assert.ok(storedBytes(id, 0, 'wav').equals(WAV2));
    assert.equal((await getSession(id, keyB)).status, 404);
  });

  test('no or a wrong credential → 401, nothing written', async () => {
    const id = await newSession();
    const before = tree();
    assertError(await rawRequest({ path: `${V1}/sessions/${id}/audio/audio_0.wav`, key: '', headers: { 'content-type': 'audio/wav' }, body: WAV2 }), 401, 'authentication_failed');
    assertError(await upload(id, 'audio_0.wav', WAV2, 'audio/wav', { key: 'sk_test_not_a_real_key' }), 401, 'authentication_failed');
    assert.deepEqual(tree(), before);
  });

  test('after End Session → 400 session_ended, nothing listed or kept', async () => {
    const id = await newSession();
    assert.equal((await upload(id, 'audio_0.wav', WAV2, 'audio/wav')).status, 200);
    const end = await api(server.url, 'POST', `${V1}/sessions/${id}/end`, { key: keyA, json: { audio_files_sent: 1 } });
    assert.equal(end.status, 202, end.text);
    assert.deepEqual(end.body.audio_files, ['0.wav']);
    for (const [i, form] of FORMS.entries()) {
      const r = await upload(id, `audio_${i + 1}.wav`, WAV2, 'audio/wav', { form });
      // The worker may already have finished the session (no transcriber: it fails at once), and then
      // session_completed is the right answer; while it is still processing it must be session_ended.
      assertError(r, 400, ['session_ended', 'session_completed']);
      const g = await getSession(id);
      if (r.body.error.code === 'session_completed') assert.notEqual(g.body.status, 'processing');
      if (g.body.status === 'processing') assert.equal(r.body.error.code, 'session_ended');
      // A retry of an already committed chunk is refused too.
      assertError(await upload(id, 'audio_0.wav', WAV, 'audio/wav', { form }), 400, ['session_ended', 'session_completed']);
    }
    assert.deepEqual((await getSession(id)).body.audio_files, ['0.wav']);
    assert.deepEqual(sessionFiles(id).map((f) => f.split('.')[0]), ['0']);
    assert.ok(storedBytes(id, 0, 'wav').equals(WAV2));
  });
});

// ---------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------

describe('concurrency', () => {
  test('16 parallel uploads of different seqs to one session all succeed and are all listed', async () => {
    const id = await newSession();
    const sources = [WAV2, WEBM, MP3, M4A];
    const exts = ['wav', 'webm', 'mp3', 'm4a'];
    const types = ['audio/wav', 'audio/webm;codecs=opus', 'audio/mpeg', 'audio/mp4'];
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, seq) =>
        upload(id, `audio_${seq}.${exts[seq % 4]}`, sources[seq % 4]!, types[seq % 4], { form: FORMS[seq % 3]! }),
      ),
    );
    for (const [seq, r] of results.entries()) {
      assert.equal(r.status, 200, `seq ${seq}: ${r.text}`);
      assert.equal(r.body.stored_filename, `${seq}.${exts[seq % 4]}`);
    }
    const expected = Array.from({ length: 16 }, (_, seq) => `${seq}.${exts[seq % 4]}`);
    assert.deepEqual(await listed(id), expected);
    assert.equal(sessionFiles(id).length, 16);
    for (let seq = 0; seq < 16; seq++) assert.ok(storedBytes(id, seq, exts[seq % 4]!).equals(sources[seq % 4]!), `seq ${seq}`);
    assert.equal((await getSession(id)).body.status, 'recording');
  });

  test('parallel retries of the same seq leave exactly one chunk, with one of the uploaded bodies', async () => {
    const id = await newSession();
    const bodies = [WAV, WAV2, wavOfSize(50_000), wavOfSize(70_000), WAV2.subarray(0, 30_000), WAV.subarray(0, 90_000)];
    const results = await Promise.all(bodies.map((b) => upload(id, 'audio_0.wav', b, 'audio/wav')));
    for (const r of results) assert.equal(r.status, 200, r.text);
    assert.deepEqual(await listed(id), ['0.wav']);
    const stored = storedBytes(id, 0, 'wav');
    assert.ok(bodies.some((b) => b.equals(stored)), 'the stored chunk is one of the uploads, whole');
  });

  test('an upload racing End Session is either accepted and listed, or refused and not listed (20 rounds)', async (t) => {
    const outcomes: Record<string, number> = { accepted: 0 };
    for (let round = 0; round < 20; round++) {
      const id = await newSession();
      assert.equal((await upload(id, 'audio_0.wav', WAV2, 'audio/wav')).status, 200);
      // Vary the body size and how late End Session starts, so that both orders happen and
      // End Session also lands while the upload is being stored.
      const body = round % 2 === 0 ? WAV : WAV2.subarray(0, 20_000);
      const form = FORMS[round % 3]!;
      const endDelay = [0, 1, 2, 4, 6, 8, 12, 16, 24, 40][round % 10]!;
      const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const [up, end] = await Promise.all([
        upload(id, 'audio_1.wav', body, 'audio/wav', { form }),
        delay(endDelay).then(() => api(server.url, 'POST', `${V1}/sessions/${id}/end`, { key: keyA, json: { audio_files_sent: 2 } })),
      ]);
      assert.equal(end.status, 202, end.text);
      const files = end.body.audio_files as string[];
      assert.equal(end.body.audio_files_received, files.length);
      if (up.status === 200) {
        outcomes.accepted!++;
        assert.deepEqual(files, ['0.wav', '1.wav'], `round ${round}: accepted upload missing from End Session`);
        assert.ok(storedBytes(id, 1, 'wav').equals(body));
      } else {
        assertError(up, 400, ['session_ended', 'session_completed']);
        outcomes[up.body.error.code] = (outcomes[up.body.error.code] ?? 0) + 1;
        assert.deepEqual(files, ['0.wav'], `round ${round}: refused upload listed by End Session`);
        assert.deepEqual(
          sessionFiles(id).filter((f) => f.startsWith('1.')),
          [],
          `round ${round}: the refused upload's blob is removed`,
        );
      }
      assert.deepEqual((await getSession(id)).body.audio_files, files, `round ${round}: GET agrees with End Session`);
    }
    t.diagnostic(Object.entries(outcomes).map(([k, n]) => `${k} ${n}`).join(', '));
  });
});
