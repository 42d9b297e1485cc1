// Property-based fuzzing of the whole HTTP surface against a real server process.
//
// Properties, for every generated request:
//   - the server never answers 5xx (a client mistake is never a server error);
//   - every 4xx body is exactly the protocol error shape {"error":{code,message,details?}},
//     as JSON, without stack traces;
//   - a request without a valid credential never gets a 2xx from an authenticated
//     endpoint, and one tenant's key never gets a 2xx on another tenant's session.
// Concurrent bursts on one session never give a 5xx and never start processing twice.
// Raw-socket abuse (garbage request lines, broken framing, truncated bodies) must
// leave the server healthy, and the process must be alive, ready and free of logged
// request failures at the end.
//
// Error bodies that Fastify's router or Node's HTTP parser write before any openscribe
// code runs are collected instead and reported by the last (todo) test: changing them
// needs Fastify options in src/http/server.ts.
//
// Reproduce a failure with the seed fast-check prints: FUZZ_SEED=<seed> FUZZ_PATH=<path>.
// Scale with FUZZ_RUNS (HTTP requests), FUZZ_BURST_RUNS (concurrent bursts) and
// FUZZ_RAW_RUNS (raw-socket cases).
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import {
  audioBytes,
  buildMultipart,
  endSessionBody,
  fileName,
  multipartSpec,
  percentEncode,
  requestSpec,
  segment,
  type AuthSpec,
  type JsonBody,
  type RequestSpec,
  type SessionIdSpec,
} from '../helpers/arbitraries.js';
import { api, createKey, startServer, tempDataDir, type RunningServer } from '../helpers/server.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const RAW_RUNS = Number(process.env.FUZZ_RAW_RUNS ?? 250);
const BURST_RUNS = Number(process.env.FUZZ_BURST_RUNS ?? 150);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const PATH = process.env.FUZZ_PATH;
const fcParams = <T>(numRuns: number): fc.Parameters<T> => ({
  numRuns,
  ...(SEED !== undefined ? { seed: SEED } : {}),
  ...(PATH !== undefined ? { path: PATH } : {}),
  // Shrinking against a stateful server is slow; keep it bounded.
  interruptAfterTimeLimit: 120_000,
  markInterruptAsFailure: false,
});

let server: RunningServer;
let keyA: string;
let keyB: string;
/** Live session ids of tenant A (grows as fuzzed creates succeed) and of tenant B. */
const own: string[] = [];
const foreign: string[] = [];
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const stats = { requests: 0, raw: 0, bursts: 0, byStatus: new Map<number, number>(), clientRefused: 0, dropped: 0, headParse: 0, retried: 0 };

before(async () => {
  const dataDir = tempDataDir('openscribe-fuzz');
  keyA = createKey(dataDir, 'fuzz-a');
  keyB = createKey(dataDir, 'fuzz-b');
  server = await startServer({ dataDir, env: { OPENSCRIBE_RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'warn' } });
  const create = async (key: string, body: Record<string, unknown>) => {
    const r = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { communication_protocol: 'http', ...body } });
    assert.equal(r.status, 201, r.text);
    return r.body.session_id as string;
  };
  for (let i = 0; i < 3; i++) own.push(await create(keyA, { upload_type: 'chunked', templates: ['soap'] }));
  own.push(await create(keyA, { upload_type: 'single' }));
  own.push(await create(keyA, { upload_type: 'chunked', session_id: `fuzz-Client_${Date.now()}` }));
  // One with a chunk, one ended: uploads to it must be refused with a 4xx, not a 5xx.
  const withChunk = await create(keyA, { upload_type: 'chunked' });
  const wav = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEfmt '), Buffer.alloc(64)]);
  assert.equal((await api(server.url, 'POST', `/voice/v1/sessions/${withChunk}/audio/audio_0.wav`, { key: keyA, body: wav, headers: { 'content-type': 'audio/wav' } })).status, 200);
  own.push(withChunk);
  const ended = await create(keyA, { upload_type: 'chunked' });
  assert.equal((await api(server.url, 'POST', `/voice/v1/sessions/${ended}/end`, { key: keyA, json: { audio_files_sent: 0 } })).status, 202);
  own.push(ended);
  for (let i = 0; i < 2; i++) foreign.push(await create(keyB, { upload_type: 'chunked' }));
});

after(async () => {
  agent.destroy();
  const statuses = [...stats.byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`).join(' ');
  console.log(
    `fuzz: ${stats.requests} HTTP requests (${stats.bursts} concurrent bursts among them), ${stats.raw} raw-socket cases; statuses ${statuses}; ` +
      `${stats.clientRefused} refused by the HTTP client before sending, ${stats.headParse} unframeable answers to HEAD, ` +
      `${stats.retried} retried after a keep-alive race, ${stats.dropped} connections dropped by the server`,
  );
  await server?.stop();
});

// ---------------------------------------------------------------------------
// Materialising a spec into a request

interface WireRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
}

const pick = (pool: string[], n: number): string => pool[n % pool.length]!;

function sessionSegment(spec: SessionIdSpec): string {
  if ('own' in spec) return segment(pick(own, spec.own), spec.how);
  if ('foreign' in spec) return segment(pick(foreign, spec.foreign), spec.how);
  return segment(spec.raw, spec.how);
}

function authHeaders(auth: AuthSpec): Record<string, string | string[]> {
  switch (auth.kind) {
    case 'none':
      return {};
    case 'bearer':
      return { authorization: `Bearer ${keyA}` };
    case 'x-api-key':
      return { 'x-api-key': keyA };
    case 'both':
      return { authorization: `Bearer ${keyA}`, 'x-api-key': keyA };
    case 'lowercase-bearer':
      return { authorization: `bearer ${keyA}` };
    case 'bearer-padded':
      return { authorization: `Bearer \t ${keyA}  ` };
    case 'foreign':
      return { authorization: `Bearer ${keyB}` };
    case 'repeated-x-api-key':
      return { 'x-api-key': [keyA, keyA] };
    case 'key-with-suffix':
      return { authorization: `Bearer ${keyA}x` };
    case 'header':
      return { ...(auth.authorization !== undefined ? { authorization: auth.authorization } : {}), ...(auth.xApiKey !== undefined ? { 'x-api-key': auth.xApiKey } : {}) };
  }
}

/** The tenant a credential authenticates as, if any. */
function tenantOf(auth: AuthSpec): 'A' | 'B' | null {
  if (['bearer', 'x-api-key', 'both', 'lowercase-bearer', 'bearer-padded'].includes(auth.kind)) return 'A';
  if (auth.kind === 'foreign') return 'B';
  return null;
}

function jsonBytes(body: JsonBody): Buffer | undefined {
  if ('json' in body) return Buffer.from(JSON.stringify(body.json) ?? 'null');
  if ('text' in body) return Buffer.from(body.text, 'utf8');
  if ('bytes' in body) return Buffer.from(body.bytes);
  return undefined;
}

function materialise(spec: RequestSpec): WireRequest {
  const headers: Record<string, string | string[]> = { ...spec.noise, ...authHeaders(spec.auth) };
  if (spec.msaVersion !== undefined) headers['msa-version'] = spec.msaVersion;
  const withType = (type: string | undefined) => {
    if (type !== undefined) headers['content-type'] = type;
  };
  const e = spec.endpoint;
  let method = 'GET';
  let path: string;
  let body: Buffer | undefined;
  switch (e.ep) {
    case 'discovery':
      path = e.msaPath ? '/.well-known/medscribealliance' : '/voice/v1/.well-known/medscribealliance';
      break;
    case 'health':
      path = {
        healthz: '/healthz',
        readyz: '/readyz',
        metrics: '/metrics',
        openapi: '/voice/v1/openapi.json',
        docs: '/voice/v1/docs',
        'docs-json': '/voice/v1/docs/json',
        'docs-static': `/voice/v1/docs/static/${e.tail}`,
      }[e.which];
      break;
    case 'templates':
      path = '/voice/v1/templates';
      break;
    case 'create':
      method = 'POST';
      path = '/voice/v1/sessions';
      body = jsonBytes(e.body);
      withType(e.type);
      break;
    case 'get': {
      path = `/voice/v1/sessions/${sessionSegment(e.sid)}`;
      if (typeof e.query === 'string') path += e.query;
      else if (e.query) path += `?${e.query.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&')}`;
      break;
    }
    case 'end':
      method = 'POST';
      path = `/voice/v1/sessions/${sessionSegment(e.sid)}/end`;
      body = jsonBytes(e.body);
      withType(e.type);
      break;
    case 'upload-path':
      method = 'POST';
      path = `/voice/v1/sessions/${sessionSegment(e.sid)}/audio/${segment(e.file, e.how)}`;
      body = Buffer.from(e.data);
      withType(e.type);
      break;
    case 'upload-disposition':
      method = 'POST';
      path = `/voice/v1/sessions/${sessionSegment(e.sid)}/audio`;
      body = Buffer.from(e.data);
      withType(e.type);
      if (e.disposition !== undefined) headers['content-disposition'] = e.disposition;
      break;
    case 'upload-multipart': {
      method = 'POST';
      path = `/voice/v1/sessions/${sessionSegment(e.sid)}/audio`;
      const mp = buildMultipart(e.multipart);
      body = mp.body;
      headers['content-type'] = e.typeOverride ?? mp.contentType;
      break;
    }
    case 'wrong-method':
      method = e.method;
      path = e.path;
      break;
    case 'random-path':
      path = e.path;
      break;
  }
  return { method: spec.method ?? method, path, headers, body };
}

// ---------------------------------------------------------------------------
// Sending and checking

interface WireResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

class ClientRefused extends Error {}

/**
 * Sends once more when a kept-alive socket turns out to be closed before any answer (Node's
 * documented keep-alive race, see `request.reusedSocket`): Fastify's default clientErrorHandler
 * answers without `Connection: close` and then destroys the socket, so the next request on it fails.
 */
async function send(req: WireRequest, streamed: boolean): Promise<WireResponse> {
  try {
    return await sendOnce(req, streamed);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!(err as { reusedSocket?: boolean }).reusedSocket || (code !== 'ECONNRESET' && code !== 'EPIPE')) throw err;
    stats.retried++;
    return sendOnce(req, streamed);
  }
}

function sendOnce(req: WireRequest, streamed: boolean): Promise<WireResponse> {
  // Node's client frames a body on GET/HEAD/DELETE/OPTIONS with neither Content-Length nor
  // chunked encoding, so the server (rightly) reads those bytes as the next request: frame it.
  const headers = { ...req.headers };
  if (req.body && req.body.length > 0) {
    if (streamed) headers['transfer-encoding'] = 'chunked';
    else headers['content-length'] = String(req.body.length);
  }
  return new Promise((resolve, reject) => {
    let r: http.ClientRequest;
    try {
      r = http.request(
        { host: '127.0.0.1', port: server.port, method: req.method, path: req.path, headers, agent, timeout: 20_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
    } catch (err) {
      // Node's client validates header names/values and paths before sending anything.
      reject(new ClientRefused((err as Error).message));
      return;
    }
    r.on('error', (err) => reject(Object.assign(err, { reusedSocket: r.reusedSocket })));
    r.on('timeout', () => r.destroy(new Error(`no answer within 20 s: ${req.method} ${req.path}`)));
    if (req.body && streamed && req.body.length > 0) {
      const mid = Math.floor(req.body.length / 2);
      r.write(req.body.subarray(0, mid));
      setImmediate(() => r.end(req.body!.subarray(mid)));
    } else {
      r.end(req.body);
    }
  });
}

const describe = (req: WireRequest, res?: WireResponse) =>
  `${req.method} ${req.path.slice(0, 300)}\nheaders: ${JSON.stringify(req.headers).slice(0, 600)}\nbody: ${JSON.stringify(req.body?.toString('latin1').slice(0, 300))}` +
  (res ? `\n→ ${res.status} ${res.text.slice(0, 500)}` : '');

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The protocol's error body, and nothing else. */
function assertErrorBody(text: string, contentType: string | string[] | undefined, context: string): void {
  assert.match(String(contentType ?? ''), /^application\/json\b/, `4xx without a JSON Content-Type\n${context}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`4xx body is not JSON\n${context}`);
  }
  assert.ok(isPlainObject(body), `4xx body is not an object\n${context}`);
  assert.deepEqual(Object.keys(body), ['error'], `4xx body has keys other than "error"\n${context}`);
  const error = body.error;
  assert.ok(isPlainObject(error), `"error" is not an object\n${context}`);
  for (const k of Object.keys(error)) assert.ok(['code', 'message', 'details'].includes(k), `unexpected error field "${k}"\n${context}`);
  assert.equal(typeof error.code, 'string', `error.code is not a string\n${context}`);
  assert.match(error.code as string, /^[a-z][a-z_]*$/, `error.code is not a snake_case code\n${context}`);
  assert.equal(typeof error.message, 'string', `error.message is not a string\n${context}`);
  if ('details' in error) assert.ok(isPlainObject(error.details), `error.details is not an object\n${context}`);
  assert.doesNotMatch(text, /\bat .+\.(ts|js):\d+/, `stack trace in an error body\n${context}`);
}

const recent: string[] = [];
/**
 * Error bodies written by Fastify's router or Node's HTTP parser before any openscribe code
 * runs: Fastify's own format for FST_ERR_BAD_URL (malformed %-encoding), FST_ERR_MAX_PARAM_LENGTH
 * (path segment over 500 chars) and its default clientErrorHandler, and Node's empty 400 for an
 * HTTP/1.1 request without Host. Changing them takes Fastify options in src/http/server.ts
 * (frameworkErrors, clientErrorHandler, http.requireHostHeader); until then they are collected
 * here and reported by the todo test at the end instead of failing every property.
 */
const frameworkBodies = new Map<string, string>();
function frameworkBody(status: number, text: string, hostless = false): string | undefined {
  if (status === 400 && text === '' && hostless) return 'node: empty 400 for a request without Host';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(body) || typeof body.error !== 'string' || typeof body.statusCode !== 'number') return undefined;
  if (body.code === 'FST_ERR_BAD_URL' || body.code === 'FST_ERR_MAX_PARAM_LENGTH') return `fastify router: ${body.code}`;
  if (body.code === undefined && ['Client Error', 'Exceeded maximum allowed HTTP header size', 'Client Timeout'].includes(String(body.message))) {
    return `fastify clientErrorHandler: ${status} ${String(body.message)}`;
  }
  return undefined;
}

/** assertErrorBody, except that known framework-level bodies are set aside (see frameworkBodies). */
function checkErrorBody(status: number, text: string, contentType: string | string[] | undefined, context: string, hostless = false): void {
  const known = frameworkBody(status, text, hostless);
  if (known) {
    if (!frameworkBodies.has(known)) frameworkBodies.set(known, context.slice(0, 600));
    return;
  }
  assertErrorBody(text, contentType, context);
}

const AUTHED = new Set(['templates', 'create', 'get', 'end', 'upload-path', 'upload-disposition', 'upload-multipart']);

async function stillHealthy(context: string): Promise<void> {
  assert.equal(server.child.exitCode, null, `server process exited\n${context}\n${server.output().slice(-3000)}`);
  const r = await api(server.url, 'GET', '/healthz');
  assert.equal(r.status, 200, `/healthz after:\n${context}`);
}

test('random and malformed requests at every endpoint: no 5xx, every 4xx is the protocol error shape', async () => {
  await fc.assert(
    fc.asyncProperty(requestSpec(), async (spec) => {
      const req = materialise(spec);
      recent.push(describe(req));
      if (recent.length > 4) recent.shift();
      let res: WireResponse;
      try {
        res = await send(req, spec.streamed);
      } catch (err) {
        if (err instanceof ClientRefused) {
          stats.clientRefused++;
          return;
        }
        // Node's parser rejects some request lines (e.g. raw latin-1 bytes in the path) and the
        // server answers 400 with a body; after a HEAD request a client cannot frame that body.
        // The raw-socket test below checks those answers byte by byte instead.
        if (req.method === 'HEAD' && String((err as NodeJS.ErrnoException).code).startsWith('HPE_')) {
          stats.headParse++;
          await stillHealthy(describe(req));
          return;
        }
        // A connection closed without an answer (keep-alive races are already retried in send()).
        stats.dropped++;
        await stillHealthy(describe(req));
        assert.fail(`no response (${(err as Error).message})\n${describe(req)}\n--- requests before it:\n${recent.slice(0, -1).join('\n')}`);
      }
      stats.requests++;
      recent[recent.length - 1] += `\n→ ${res.status} connection: ${res.headers.connection ?? '-'} ${res.text.slice(0, 120)}`;
      stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
      const context = describe(req, res);
      assert.ok(res.status < 500, `server error\n${context}`);
      if (res.status >= 400 && req.method !== 'HEAD') checkErrorBody(res.status, res.text, res.headers['content-type'], context);

      const e = spec.endpoint;
      const defaultMethod = spec.method === undefined;
      if (defaultMethod && AUTHED.has(e.ep) && res.status < 300) {
        const tenant = tenantOf(spec.auth);
        assert.ok(tenant !== null, `2xx without a valid credential\n${context}`);
        if ('sid' in e) {
          if ('own' in e.sid) assert.equal(tenant, 'A', `tenant B reached tenant A's session\n${context}`);
          if ('foreign' in e.sid) assert.equal(tenant, 'B', `tenant A reached tenant B's session\n${context}`);
        }
      }
      // Sessions the fuzzer manages to create join the pool.
      if (e.ep === 'create' && res.status === 201 && tenantOf(spec.auth) === 'A' && own.length < 40) {
        own.push(JSON.parse(res.text).session_id as string);
      }
    }),
    fcParams(RUNS),
  );
  await stillHealthy('after the HTTP fuzz run');
});

// ---------------------------------------------------------------------------
// Concurrency: racing uploads (same sequence numbers), ends and polls on one session

type BurstOp =
  | { op: 'upload'; seq: number; via: 'path' | 'disposition' | 'multipart'; data: number[] }
  | { op: 'end'; sent: number }
  | { op: 'get' };

const WEBM = [0x1a, 0x45, 0xdf, 0xa3];
const burstOp = (): fc.Arbitrary<BurstOp> =>
  fc.oneof(
    {
      arbitrary: fc.record({
        op: fc.constant('upload' as const),
        seq: fc.nat({ max: 3 }),
        via: fc.constantFrom('path' as const, 'disposition' as const, 'multipart' as const),
        data: fc.oneof({ arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => [...WEBM, ...b]), weight: 4 }, audioBytes()),
      }),
      weight: 6,
    },
    { arbitrary: fc.record({ op: fc.constant('end' as const), sent: fc.nat({ max: 4 }) }), weight: 2 },
    { arbitrary: fc.constant({ op: 'get' as const }), weight: 1 },
  );

function burstRequest(id: string, o: BurstOp): WireRequest {
  const auth = { authorization: `Bearer ${keyA}` };
  const base = `/voice/v1/sessions/${id}`;
  if (o.op === 'get') return { method: 'GET', path: base, headers: auth };
  if (o.op === 'end') {
    return { method: 'POST', path: `${base}/end`, headers: { ...auth, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ audio_files_sent: o.sent })) };
  }
  const name = `audio_${o.seq}.webm`;
  const data = Buffer.from(o.data);
  if (o.via === 'path') return { method: 'POST', path: `${base}/audio/${name}`, headers: { ...auth, 'content-type': 'audio/webm' }, body: data };
  if (o.via === 'disposition') {
    return { method: 'POST', path: `${base}/audio`, headers: { ...auth, 'content-type': 'audio/webm', 'content-disposition': `attachment; filename="${name}"` }, body: data };
  }
  const mp = buildMultipart({ boundary: 'burst', headerBoundary: 'burst', preamble: '', ending: 'close', lf: false, parts: [{ name: 'file', filename: name, type: 'audio/webm', data: o.data }] });
  return { method: 'POST', path: `${base}/audio`, headers: { ...auth, 'content-type': mp.contentType }, body: mp.body };
}

test('concurrent uploads, ends and polls on one session: no 5xx, processing starts at most once', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('chunked', 'single'), fc.array(burstOp(), { minLength: 2, maxLength: 12 }), fc.boolean(), async (uploadType, ops, streamed) => {
      const created = await api(server.url, 'POST', '/voice/v1/sessions', { key: keyA, json: { upload_type: uploadType, communication_protocol: 'http' } });
      assert.equal(created.status, 201, created.text);
      const id = created.body.session_id as string;
      const reqs = ops.map((o) => burstRequest(id, o));
      const results = await Promise.all(reqs.map((r) => send(r, streamed)));
      stats.bursts++;
      stats.requests += results.length;
      results.forEach((res, i) => {
        stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
        const context = describe(reqs[i]!, res);
        assert.ok(res.status < 500, `server error in a concurrent burst\n${context}`);
        if (res.status >= 400) assertErrorBody(res.text, res.headers['content-type'], context);
      });
      const ended = results.filter((res, i) => ops[i]!.op === 'end' && res.status === 202);
      assert.ok(ended.length <= 1, `End Session accepted ${ended.length} times for one session`);
      const after = await api(server.url, 'GET', `/voice/v1/sessions/${id}`, { key: keyA });
      assert.ok([200, 202, 206].includes(after.status), `poll after the burst: ${after.status} ${after.text.slice(0, 300)}`);
      const files = after.body.audio_files as string[];
      assert.equal(new Set(files).size, files.length, `a sequence number is listed twice: ${JSON.stringify(files)}`);
      if (ended.length === 1) assert.deepEqual(files, JSON.parse(ended[0]!.text).audio_files, 'GET lists other files than End Session committed');
    }),
    fcParams(BURST_RUNS),
  );
});

// ---------------------------------------------------------------------------
// Raw sockets: what an HTTP client library will not send

interface RawCase {
  /** The bytes to write, as a latin-1 string so counterexamples print readably. */
  data: string;
  /** After writing: half-close and read the answer, or drop the connection. */
  /** `hold`: keep the socket open after writing, until the server closes it (or 15 s pass). */
  finish: 'end' | 'destroy' | 'hold';
}

interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits whatever the server wrote into responses (Content-Length or chunked framing). */
function parseResponses(data: Buffer): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let rest = data;
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) throw new Error(`unterminated response head: ${JSON.stringify(rest.toString('latin1').slice(0, 200))}`);
    const [statusLine, ...lines] = rest.subarray(0, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine!);
    if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    let bodyStart = headEnd + 4;
    let body: Buffer;
    if (headers['transfer-encoding']?.includes('chunked')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = rest.indexOf('\r\n', bodyStart);
        if (lineEnd < 0) break;
        const size = parseInt(rest.subarray(bodyStart, lineEnd).toString('latin1'), 16);
        bodyStart = lineEnd + 2;
        if (!size) {
          bodyStart += 2;
          break;
        }
        parts.push(rest.subarray(bodyStart, bodyStart + size));
        bodyStart += size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      const len = Number(headers['content-length'] ?? 0);
      body = rest.subarray(bodyStart, bodyStart + len);
      bodyStart += len;
    }
    out.push({ status: Number(m[1]), headers, body: body.toString('utf8') });
    rest = rest.subarray(bodyStart);
  }
  return out;
}

function rawExchange(c: RawCase): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(server.port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(), c.finish === 'hold' ? 15_000 : 5_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.on('connect', () => {
      socket.write(Buffer.from(c.data, 'latin1'), () => {
        if (c.finish === 'destroy') socket.destroy();
        else if (c.finish === 'end') socket.end();
      });
    });
  });
}

const CRLF = '\r\n';

function head(method: string, target: string, headers: Array<[string, string]>, version = 'HTTP/1.1'): string {
  return `${method} ${target} ${version}${CRLF}${headers.map(([k, v]) => `${k}: ${v}${CRLF}`).join('')}${CRLF}`;
}

/** A POST with a declared Content-Length and (usually) fewer or more bytes actually sent. */
const framedBody = () =>
  fc.record({
    target: fc.oneof(
      fc.constant({ kind: 'create' as const }),
      fc.record({ kind: fc.constant('end' as const), sid: fc.nat(), body: endSessionBody() }),
      fc.record({ kind: fc.constant('upload-path' as const), sid: fc.nat(), file: fileName(), data: audioBytes() }),
      fc.record({ kind: fc.constant('upload-disposition' as const), sid: fc.nat(), data: audioBytes() }),
      fc.record({ kind: fc.constant('upload-multipart' as const), sid: fc.nat(), multipart: multipartSpec() }),
    ),
    /** Declared length relative to the real body: shorter, equal or (mostly) longer. */
    declaredDelta: fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: -20, max: 0 }), fc.constant(2 ** 40)),
    /** Fraction of the real body actually sent. */
    sentFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    finish: fc.constantFrom<'end' | 'destroy'>('end', 'destroy'),
    auth: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, fc.constant(false)),
  });

const latin1 = (b: Buffer): string => b.toString('latin1');

const rawCase = (): fc.Arbitrary<RawCase> =>
  fc.oneof(
    // Garbage instead of a request.
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.boolean()).map(([bytes, terminate]) => ({
      data: latin1(Buffer.concat([Buffer.from(bytes), Buffer.from(terminate ? '\r\n\r\n' : '')])),
      finish: 'end' as const,
    })),
    // Odd request lines.
    fc
      .tuple(
        fc.constantFrom('GET', 'POST', 'get', 'G ET', '', 'CONNECT', 'PRI', 'BREW', 'X'.repeat(100), 'GET\u0000'),
        fc.oneof(
          fc.constantFrom('/', '*', '', ' ', '/voice/v1/sessions', 'http://evil.example/voice/v1/templates', '//evil/healthz', '/healthz#frag', '/heal\u0000thz', '/voice/v1/sessions/\u00e9t\u00e9', '/voice/v1/sessions/caf\u00c3\u00a9', '/voice/v1/templates?\u0001', '/' + 'a'.repeat(20_000), '/voice/v1/sessions/x/audio/a b_0.wav'),
          fc.string({ maxLength: 40 }),
        ),
        fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/9.9', 'http/1.1', 'HTTP/1.1 extra', '', 'HTTP/1.'),
        fc.boolean(),
      )
      .map(([method, target, version, host]) => ({
        data: latin1(Buffer.from(head(method, target, host ? [['Host', 'localhost'], ['Authorization', `Bearer ${keyA}`]] : [], version), 'utf8')),
        finish: 'end' as const,
      })),
    // Broken header sections.
    fc
      .constantFrom(
        'X-Bad: a\u0000b',
        'X-Bad: a\rb',
        'NoColon',
        'Space Before : x',
        ' Folded: continuation',
        'X-Long: ' + 'x'.repeat(20_000),
        'Content-Length: -1',
        'Content-Length: abc',
        'Content-Length: 1, 2',
        'Content-Length: 99999999999999999999999',
        'Content-Length: 5\r\nContent-Length: 6',
        'Transfer-Encoding: chunked\r\nContent-Length: 5',
        'Transfer-Encoding: gzip, chunked',
        'Transfer-Encoding: identity',
        'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked',
        'Expect: 100-continue',
        'Expect: something-else',
        'Upgrade: websocket\r\nConnection: Upgrade',
        'Host: a\r\nHost: b',
        'Content-Type: application/json\u00ff',
        'Authorization: Bearer \u00e9\u00e9',
        'X-API-Key: \u00ff\u00fe',
        'MSA-Version: 0.1\u0001',
        Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n'),
      )
      .chain((bad) =>
        fc
          .tuple(fc.constantFrom('/voice/v1/sessions', '/voice/v1/templates', '/healthz', '/voice/v1/sessions/x/audio/audio_0.wav', '/voice/v1/sessions/x/end'), fc.constantFrom('GET', 'POST'), fc.string({ maxLength: 30 }))
          .map(([target, method, body]) => ({
            data: latin1(Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${keyA}\r\n${bad}\r\n\r\n${body}`, 'utf8')),
            finish: 'end' as const,
          })),
      ),
    // Broken chunked encoding.
    fc
      .constantFrom('zz\r\nabc\r\n0\r\n\r\n', '5\r\nab\r\n0\r\n\r\n', '-1\r\n\r\n', 'ffffffffffffffff\r\nx\r\n', '3;ext=1\r\nabc\r\n0\r\n\r\n', '3\r\nabc', '0\r\nX-Trailer: 1\r\n\r\n', '1\r\n')
      .chain((chunked) =>
        fc.constantFrom('/voice/v1/sessions', '/voice/v1/sessions/x/end', '/voice/v1/sessions/x/audio/audio_0.webm', '/voice/v1/sessions/x/audio').map((target) => ({
          data: latin1(Buffer.from(head('POST', target, [['Host', 'localhost'], ['Authorization', `Bearer ${keyA}`], ['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']]) + chunked, 'utf8')),
          finish: 'end' as const,
        })),
      ),
    // Content-Length that does not match the bytes sent, then close or drop.
    framedBody().map((f) => {
      let target: string;
      let type = 'application/json';
      let body: Buffer;
      const extra: Array<[string, string]> = [];
      switch (f.target.kind) {
        case 'create':
          target = '/voice/v1/sessions';
          body = Buffer.from(JSON.stringify({ upload_type: 'chunked', communication_protocol: 'http' }));
          break;
        case 'end':
          target = `/voice/v1/sessions/${pick(own, f.target.sid)}/end`;
          body = Buffer.from(JSON.stringify(f.target.body));
          break;
        case 'upload-path':
          target = `/voice/v1/sessions/${pick(own, f.target.sid)}/audio/${segment(f.target.file, 'encode')}`;
          type = 'audio/webm';
          body = Buffer.from(f.target.data);
          break;
        case 'upload-disposition':
          target = `/voice/v1/sessions/${pick(own, f.target.sid)}/audio`;
          type = 'audio/wav';
          extra.push(['Content-Disposition', 'attachment; filename="audio_3.wav"']);
          body = Buffer.from(f.target.data);
          break;
        case 'upload-multipart': {
          target = `/voice/v1/sessions/${pick(own, f.target.sid)}/audio`;
          const mp = buildMultipart(f.target.multipart);
          type = mp.contentType;
          body = mp.body;
          break;
        }
      }
      const declared = Math.max(0, body.length + f.declaredDelta);
      const sent = body.subarray(0, Math.floor(body.length * f.sentFraction));
      const headers: Array<[string, string]> = [['Host', 'localhost'], ['Content-Type', type], ['Content-Length', String(declared)], ...extra];
      if (f.auth) headers.push(['Authorization', `Bearer ${keyA}`]);
      return { data: latin1(Buffer.concat([Buffer.from(head('POST', target, headers)), sent])), finish: f.finish };
    }),
    // Several requests on one connection, with junk in between.
    fc.tuple(fc.nat(), fc.string({ maxLength: 20 })).map(([sid, junk]) => {
      const get = head('GET', `/voice/v1/sessions/${pick(own, sid)}`, [['Host', 'localhost'], ['Authorization', `Bearer ${keyA}`]]);
      return { data: latin1(Buffer.from(get + get + junk + '\r\n\r\n' + get, 'utf8')), finish: 'end' as const };
    }),
    // HTTP/2 prior-knowledge preface on an HTTP/1 port; TLS ClientHello bytes.
    fc.constantFrom(
      { data: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', finish: 'end' as const },
      { data: latin1(Buffer.from('16030100a5010000a10303', 'hex')), finish: 'end' as const },
    ),
  );

test('raw-socket abuse (garbage, broken framing, truncated bodies) never crashes or wedges the server', async () => {
  await fc.assert(
    fc.asyncProperty(rawCase(), async (c) => {
      const context = `raw bytes: ${JSON.stringify(c.data.slice(0, 400))} (${c.data.length} bytes, ${c.finish})`;
      const data = await rawExchange(c);
      stats.raw++;
      if (c.finish === 'end') {
        let responses: ParsedResponse[] = [];
        try {
          responses = parseResponses(data);
        } catch (err) {
          assert.fail(`${(err as Error).message}\n${context}`);
        }
        for (const r of responses) {
          assert.ok(r.status < 500, `server error ${r.status} ${r.body.slice(0, 300)}\n${context}`);
          if (r.status >= 400) checkErrorBody(r.status, r.body, r.headers['content-type'], `${r.status} ${r.body.slice(0, 300)}\n${context}`, !/\r\nhost:/i.test(c.data));
        }
      }
      await stillHealthy(context);
    }),
    fcParams(RAW_RUNS),
  );
});

test('oversized bodies are refused with 413 in the protocol shape', async () => {
  const created = await api(server.url, 'POST', '/voice/v1/sessions', { key: keyA, json: { upload_type: 'chunked', communication_protocol: 'http' } });
  assert.equal(created.status, 201, created.text);
  const id = created.body.session_id as string;
  const cases: Array<{ name: string; req: WireRequest; streamed: boolean }> = [
    {
      name: 'JSON body over the limit',
      req: { method: 'POST', path: '/voice/v1/sessions', headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ upload_type: 'chunked', communication_protocol: 'http', additional_data: { x: 'y'.repeat(1_100_000) } })) },
      streamed: false,
    },
    {
      name: 'chunk over 10 MB, chunked transfer encoding',
      req: { method: 'POST', path: `/voice/v1/sessions/${id}/audio/audio_9.webm`, headers: { authorization: `Bearer ${keyA}`, 'content-type': 'audio/webm' }, body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x00) },
      streamed: true,
    },
    {
      name: 'multipart file over 10 MB',
      req: (() => {
        const mp = buildMultipart({ boundary: 'b0und', headerBoundary: 'b0und', preamble: '', ending: 'close', lf: false, parts: [{ name: 'file', filename: 'audio_9.webm', type: 'audio/webm', data: [] }] });
        const [pre, post] = [mp.body.subarray(0, mp.body.indexOf('\r\n\r\n') + 4), mp.body.subarray(mp.body.indexOf('\r\n\r\n') + 4)];
        return { method: 'POST', path: `/voice/v1/sessions/${id}/audio`, headers: { authorization: `Bearer ${keyA}`, 'content-type': mp.contentType }, body: Buffer.concat([pre, Buffer.alloc(10 * 1024 * 1024 + 1, 0x00), post]) };
      })(),
      streamed: true,
    },
  ];
  // Declared too large: refused before the body is read (raw socket, so the early answer is not lost to EPIPE).
  const early = await rawExchange({
    data: head('POST', `/voice/v1/sessions/${id}/audio/audio_9.webm`, [['Host', 'localhost'], ['Authorization', `Bearer ${keyA}`], ['Content-Type', 'audio/webm'], ['Content-Length', String(10 * 1024 * 1024 + 1)]]) + '\u001aE\u00df\u00a3' + '\u0000'.repeat(1000),
    // Held open: a client that half-closes mid-body races the answer (a slower store loses it to a 400).
    finish: 'hold',
  });
  const [answer] = parseResponses(early);
  assert.equal(answer?.status, 413, `declared Content-Length over the limit: ${early.toString('latin1').slice(0, 300)}`);
  assertErrorBody(answer.body, answer.headers['content-type'], 'declared Content-Length over the limit');
  for (const c of cases) {
    let res: WireResponse;
    try {
      res = await send(c.req, c.streamed);
    } catch {
      // Closing after an early 413 may race the client's writes; the server must still be fine.
      stats.dropped++;
      await stillHealthy(c.name);
      continue;
    }
    stats.requests++;
    assert.equal(res.status, 413, `${c.name}: ${res.status} ${res.text.slice(0, 300)}`);
    assertErrorBody(res.text, res.headers['content-type'], c.name);
    await stillHealthy(c.name);
  }
});

test('the server survived: alive, healthy, ready, and no request was logged as failed', async () => {
  await stillHealthy('end of fuzzing');
  const ready = await api(server.url, 'GET', '/readyz');
  assert.equal(ready.status, 200, ready.text);
  const failed = server
    .output()
    .split('\n')
    .filter((l) => /"level":(50|60)/.test(l) || /uncaught|unhandled/i.test(l))
    .map((l) => l.slice(0, 400));
  assert.equal(failed.length, 0, `${failed.length} errors in the server log, e.g.:\n${failed.slice(0, 5).join('\n')}`);
});

test(
  'router and HTTP-parser errors use the protocol error shape too',
  () => {
    const seen = [...frameworkBodies.entries()].map(([kind, example]) => `${kind}\n  e.g. ${example.replace(/\n/g, '\n  ')}`);
    assert.equal(seen.length, 0, `error bodies not in the protocol shape, written before openscribe code runs:\n${seen.join('\n')}`);
  },
);
