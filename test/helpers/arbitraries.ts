// fast-check generators for the HTTP fuzz test (test/integration/fuzz.test.ts).
// Everything here is plain data: a generated `RequestSpec` is materialised into
// bytes on the wire only when it is sent, so counterexamples print readably.
import fc from 'fast-check';

// ---------------------------------------------------------------------------
// Strings

const chr = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((c) => String.fromCharCode(c));

/** Characters Node's HTTP client accepts in a header value (\t, 0x20–0x7e, 0x80–0xff). */
export const headerSafeString = (maxLength = 40) =>
  fc.string({ unit: fc.oneof({ arbitrary: chr(0x20, 0x7e), weight: 8 }, { arbitrary: chr(0x80, 0xff), weight: 1 }, fc.constant('\t')), maxLength });

const HOSTILE = [
  '',
  ' ',
  '.',
  '..',
  '../',
  '../../etc/passwd',
  '..\\..\\windows',
  '%2e%2e',
  '%2e%2e%2f',
  '%252e%252e%252f',
  '%00',
  '\u0000',
  'a\u0000b',
  '\r\n',
  '\n',
  '\t',
  '\u007f',
  '\u001b[31m',
  'null',
  'undefined',
  'NaN',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '💥',
  'аudio', // Cyrillic a
  'ñandú',
  '\u202egnp.exe',
  '\ufeff',
  '\ud800', // lone surrogate
  '%',
  '%zz',
  '%E0%A4%A',
  '?',
  '#',
  '&',
  '=',
  ';',
  '/',
  '//',
  '\\',
  '*',
  '$(id)',
  '`id`',
  "'; DROP TABLE sessions; --",
  '" OR 1=1 --',
  '<script>',
  '{}',
  '[]',
  'CON',
  'nul',
];

/** Strings that tend to break parsers, paths and SQL. */
export const hostileString = (): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...HOSTILE), weight: 4 },
    { arbitrary: fc.string({ maxLength: 30 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 1 },
    { arbitrary: fc.constantFrom(100, 129, 200, 201, 499, 501, 1001, 5000).map((n) => 'a'.repeat(n)), weight: 1 },
  );

const alnum = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'), minLength: min, maxLength: max });

// ---------------------------------------------------------------------------
// URL path segments

/** How a generated string is put into a URL path segment. */
export type SegmentEncoding = 'encode' | 'raw' | 'double';

/** Percent-encodes everything but unreserved characters, byte by byte (lone surrogates become U+FFFD). */
export function percentEncode(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Node's client refuses request paths with characters outside 0x21–0xff: those are
 * percent-encoded even in `raw` mode; everything else (including `/`, `%`, `?`, `#`
 * and latin-1 bytes, which reach the server as invalid UTF-8) goes through as is.
 */
export function segment(value: string, how: SegmentEncoding): string {
  if (how === 'encode') return percentEncode(value);
  if (how === 'double') return percentEncode(percentEncode(value));
  let out = '';
  for (const ch of value) {
    const code = ch.charCodeAt(0);
    out += ch.length === 1 && code >= 0x21 && code <= 0xff ? ch : percentEncode(ch);
  }
  return out;
}

const encoding = (): fc.Arbitrary<SegmentEncoding> =>
  fc.oneof({ arbitrary: fc.constant<SegmentEncoding>('encode'), weight: 6 }, fc.constant<SegmentEncoding>('raw'), fc.constant<SegmentEncoding>('double'));

// ---------------------------------------------------------------------------
// Session ids

/** A session id: one of ours (from the live pool), another tenant's, or anything at all. */
export type SessionIdSpec =
  | { own: number; how: SegmentEncoding }
  | { foreign: number; how: SegmentEncoding }
  | { raw: string; how: SegmentEncoding };

export const sessionIdSpec = (): fc.Arbitrary<SessionIdSpec> =>
  fc.oneof(
    { arbitrary: fc.record({ own: fc.nat(), how: fc.constant<SegmentEncoding>('encode') }), weight: 8 },
    { arbitrary: fc.record({ own: fc.nat(), how: encoding() }), weight: 1 },
    { arbitrary: fc.record({ foreign: fc.nat(), how: encoding() }), weight: 2 },
    {
      arbitrary: fc.record({
        raw: fc.oneof(
          alnum(20, 20).map((s) => `ses_${s}`), // valid-looking, unknown
          fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), // passes the lookup pattern
          fc.constantFrom('ses_', 'a'.repeat(64), 'a'.repeat(65), 'a'.repeat(200), 'a'.repeat(201), 'a'.repeat(499), 'a'.repeat(600)),
          hostileString(),
        ),
        how: encoding(),
      }),
      weight: 3,
    },
  );

// ---------------------------------------------------------------------------
// File names

const seqText = () =>
  fc.oneof(
    { arbitrary: fc.nat({ max: 30 }).map(String), weight: 6 },
    fc.constantFrom('00', '007', '-1', '+1', '1e3', '0x1', '1.5', '99999', '100000', '4294967296', '9'.repeat(40), '١', ''),
  );
const extText = () =>
  fc.oneof(
    { arbitrary: fc.constantFrom('.webm', '.wav', '.ogg', '.opus', '.mp4', '.m4a', '.mp3'), weight: 6 },
    fc.constantFrom('.WAV', '.Webm', '.exe', '.txt', '.json', '', '.', '..', '.wav.', '.wav/..', '.wav%00.txt', '.wav\u0000', '.w a v', '.wav '),
  );

/** Upload file names: mostly plausible, often hostile. */
export const fileName = (): fc.Arbitrary<string> =>
  fc.oneof(
    {
      arbitrary: fc
        .tuple(fc.constantFrom('audio', 'a', 'rec (1)', 'chunk+x', 'x.y', ''), fc.constantFrom('_', '-', '', '__'), seqText(), extText())
        .map(([b, s, q, e]) => `${b}${s}${q}${e}`),
      weight: 5,
    },
    {
      arbitrary: fc.constantFrom(
        'audio_0.webm',
        '../audio_0.wav',
        '..%2faudio_0.wav',
        '%2e%2e%2faudio_0.wav',
        'a/../audio_0.wav',
        'audio_0.wav/',
        '/audio_0.wav',
        'C:\\audio_0.wav',
        'audio\u0000_0.wav',
        'audio_0.wav\u0000.txt',
        'audio\r\n_0.wav',
        'audio\u0007_0.wav',
        'aüdio_0.wav',
        '🎙️_0.webm',
        `${'a'.repeat(126)}_0.wav`,
        `${'a'.repeat(2000)}_0.wav`,
        'noext',
        'audio_0',
        '.wav',
        '_0.wav',
        '0.wav',
        '.hidden_0.wav',
        'audio_007.wav',
        'audio_99999.wav',
        'audio_100000.wav',
        ' audio_0.wav',
        'audio_0.wav ',
        '-_0.wav',
        'audio..0.wav',
      ),
      weight: 3,
    },
    { arbitrary: fc.tuple(hostileString(), seqText(), extText()).map(([b, q, e]) => `${b}_${q}${e}`), weight: 2 },
    { arbitrary: hostileString(), weight: 1 },
  );

// ---------------------------------------------------------------------------
// Headers

/** How a request authenticates; resolved against the live keys when sent. */
export type AuthSpec =
  | { kind: 'none' }
  | { kind: 'bearer' | 'x-api-key' | 'both' | 'lowercase-bearer' | 'bearer-padded' | 'foreign' | 'repeated-x-api-key' | 'key-with-suffix' }
  | { kind: 'header'; authorization?: string; xApiKey?: string };

export const authSpec = (): fc.Arbitrary<AuthSpec> =>
  fc.oneof(
    { arbitrary: fc.constant<AuthSpec>({ kind: 'bearer' }), weight: 10 },
    { arbitrary: fc.constant<AuthSpec>({ kind: 'x-api-key' }), weight: 4 },
    { arbitrary: fc.constant<AuthSpec>({ kind: 'none' }), weight: 2 },
    {
      arbitrary: fc.constantFrom<AuthSpec>(
        { kind: 'both' },
        { kind: 'lowercase-bearer' },
        { kind: 'bearer-padded' },
        { kind: 'foreign' },
        { kind: 'repeated-x-api-key' },
        { kind: 'key-with-suffix' },
      ),
      weight: 2,
    },
    {
      arbitrary: fc.record(
        {
          kind: fc.constant('header' as const),
          authorization: fc.oneof(
            fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer sk_live_', 'Bearer sk_test_' + 'A'.repeat(40), 'Bearer ' + 'x'.repeat(8000)),
            alnum(40, 40).map((s) => `Bearer sk_live_${s}`), // well-formed, unknown: reaches the key lookup
            headerSafeString(60).map((s) => `Bearer ${s}`),
            headerSafeString(60),
          ),
          xApiKey: fc.oneof(alnum(40, 40).map((s) => `sk_test_${s}`), headerSafeString(60), fc.constant('x'.repeat(9000))),
        },
        { requiredKeys: ['kind'] },
      ),
      weight: 2,
    },
  );

export const msaVersion = (): fc.Arbitrary<string | string[] | undefined> =>
  fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 12 },
    { arbitrary: fc.constant('0.1'), weight: 3 },
    fc.constantFrom(' 0.1 ', '0.1.0', '0.2', '1.0', 'v0.1', '', '0', '0.10', '*', 'latest', 'x'.repeat(5000)),
    fc.constantFrom<string[]>(['0.1', '0.1'], ['0.1', '0.2']),
    headerSafeString(30),
  );

const CONTENT_TYPES = [
  'audio/webm',
  'audio/webm;codecs=opus',
  'audio/wav',
  'audio/x-wav',
  'audio/wave',
  'audio/ogg',
  'audio/ogg;codecs=opus',
  'audio/mp4',
  'audio/m4a',
  'audio/mp3',
  'audio/mpeg',
  'AUDIO/WAV',
  'audio/wav; charset=utf-8',
  'video/webm',
  'audio/flac',
  'audio/',
  'audio',
  'application/octet-stream',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'multipart/form-data; boundary=xyz',
  'multipart/mixed; boundary=xyz',
  'application/x-www-form-urlencoded',
  '*/*',
  ';;;',
  ' ',
  '',
];

export const contentType = (): fc.Arbitrary<string | undefined> =>
  fc.oneof({ arbitrary: fc.constantFrom(...CONTENT_TYPES), weight: 6 }, { arbitrary: fc.constant(undefined), weight: 2 }, headerSafeString(40));

const JSON_CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=UTF-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json;',
  'application/json; boundary=x',
  'APPLICATION/JSON',
  'application/jsonx',
  'application/merge-patch+json',
  'application/vnd.api+json',
  'text/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'audio/wav',
  '',
];

export const jsonContentType = (): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { arbitrary: fc.constant('application/json'), weight: 12 },
    { arbitrary: fc.constantFrom(...JSON_CONTENT_TYPES), weight: 3 },
    { arbitrary: fc.constant(undefined), weight: 1 },
    { arbitrary: headerSafeString(30), weight: 1 },
  );

/** Extra headers of no meaning to the server (names never collide with framing headers). */
export const noiseHeaders = (): fc.Arbitrary<Record<string, string>> =>
  fc.oneof(
    { arbitrary: fc.constant({}), weight: 6 },
    fc.dictionary(
      fc.oneof(
        fc.constantFrom('accept', 'accept-encoding', 'accept-language', 'user-agent', 'x-forwarded-for', 'x-request-id', 'origin', 'referer', 'cookie', 'range', 'if-none-match', 'content-encoding', 'content-disposition'),
        fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
      ),
      fc.oneof(headerSafeString(40), fc.constantFrom('gzip', 'br', 'deflate', 'bytes=0-1', '*/*', 'application/json', '127.0.0.1, ::1', 'x'.repeat(4000))),
      { maxKeys: 4 },
    ),
  );

// ---------------------------------------------------------------------------
// JSON bodies

/** A JSON-ish body: a value to serialise, or text that is not (quite) JSON. */
export type JsonBody = { json: unknown } | { text: string } | { bytes: number[] } | { none: true };

const malformedJson = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(
      '',
      ' ',
      '{',
      '}',
      '{"upload_type":',
      '{"upload_type":"chunked",}',
      "{'upload_type':'chunked'}",
      '{"audio_files_sent": 01}',
      '{"audio_files_sent": 1e400}',
      '{"audio_files_sent": -0}',
      '{"audio_files_sent": NaN}',
      '{"audio_files_sent": Infinity}',
      '{"audio_files_sent": 0x10}',
      '{"__proto__": {"upload_type": "chunked"}}',
      '{"constructor": {"prototype": {"polluted": true}}}',
      '{"upload_type":"chunked","communication_protocol":"http","__proto__":{"x":1}}',
      '\ufeff{"upload_type":"chunked","communication_protocol":"http"}',
      '{"a":1}{"b":2}',
      '{"a":1} trailing',
      'null',
      'true',
      '0',
      '"string"',
      '[]',
      '[{}]',
      '{"a":"\\ud800"}',
      '{"a":"\\u0000"}',
      '{"a":"\u0000"}',
      '{"a"\u0000:1}',
      '{"upload_type":"chunked","communication_protocol":"http","additional_data":{"x":"' + 'y'.repeat(5000) + '"}}',
      '['.repeat(5000) + ']'.repeat(5000),
      '{"a":'.repeat(3000) + '1' + '}'.repeat(3000),
    ),
    fc.json().chain((j) => fc.nat({ max: Math.max(0, j.length - 1) }).map((n) => j.slice(0, n))), // truncated JSON
    fc.tuple(fc.json(), fc.string({ maxLength: 5 })).map(([j, junk]) => j + junk),
    fc.string({ maxLength: 60 }),
  );

export const jsonBody = (valid: fc.Arbitrary<unknown>): fc.Arbitrary<JsonBody> =>
  fc.oneof(
    { arbitrary: valid.map((json) => ({ json })), weight: 10 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json })), weight: 2 },
    { arbitrary: malformedJson().map((text) => ({ text })), weight: 3 },
    { arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ bytes: [...b] })), weight: 1 },
    { arbitrary: fc.constant<JsonBody>({ none: true }), weight: 1 },
  );

const anyWrong = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom(null, true, false, 0, -1, 1.5, '', 'x', [], {}, [null], { '': '' }, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2),
    fc.jsonValue({ maxDepth: 2 }),
    hostileString(),
  );
const maybeWrong = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: good, weight: 3 }, { arbitrary: anyWrong(), weight: 1 });

const lang = () => fc.oneof(fc.constantFrom('en', 'EN', 'hi', 'en-IN', 'xx', 'eng', 'e', 'en_US', 'en-'), hostileString());

/** Create-session bodies: every field sometimes the wrong type, sometimes missing, plus unknown fields. */
export const createSessionBody = (): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .tuple(
      fc.record(
        {
          session_id: maybeWrong(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{16,32}$/), alnum(1, 40), hostileString())),
          session_mode: maybeWrong(fc.constantFrom('dictation', 'consultation', 'Dictation', 'other')),
          templates: maybeWrong(fc.array(fc.oneof(fc.constantFrom('soap', 'transcript', 'medications', 'eka_emr_template', 'nope', ''), hostileString()), { maxLength: 4 })),
          model: maybeWrong(fc.oneof(fc.constantFrom('lite', 'pro', 'LITE', 'gpt', ''), hostileString())),
          language_hint: maybeWrong(fc.array(lang(), { maxLength: 3 })),
          transcript_language: maybeWrong(fc.oneof(lang(), fc.array(lang(), { maxLength: 3 }))),
          upload_type: maybeWrong(fc.constantFrom('chunked', 'single', 'stream', 'CHUNKED', 'bulk')),
          communication_protocol: maybeWrong(fc.constantFrom('http', 'websocket', 'rpc', 'grpc')),
          additional_data: maybeWrong(fc.dictionary(hostileString(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 })),
          patient_details: maybeWrong(fc.record({ oid: fc.string(), name: fc.string({ unit: 'grapheme' }) }, { requiredKeys: [] })),
        },
        { requiredKeys: [] },
      ),
      fc.dictionary(hostileString(), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    )
    .map(([fields, extra]) => ({ ...extra, ...fields }));

/** Create-session bodies a careful client would send, so sessions in every state exist. */
export const validCreateSessionBody = (): fc.Arbitrary<Record<string, unknown>> =>
  fc.record(
    {
      session_mode: fc.constantFrom('dictation', 'consultation'),
      templates: fc.subarray(['soap', 'transcript', 'medications', 'no_such_template']).map((t) => t.slice(0, 2)),
      model: fc.constantFrom('lite', 'pro'),
      language_hint: fc.constant(['en']),
      transcript_language: fc.constantFrom('en', ['en']),
      upload_type: fc.constantFrom('chunked', 'chunked', 'single'),
      communication_protocol: fc.constant('http'),
      additional_data: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
      patient_details: fc.record({ oid: fc.string({ maxLength: 10 }), name: fc.string({ unit: 'grapheme', maxLength: 10 }) }),
    },
    { requiredKeys: ['upload_type', 'communication_protocol'] },
  );

/** End-session bodies: audio_files_sent of every type and range. */
export const endSessionBody = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { arbitrary: fc.nat({ max: 20 }).map((n) => ({ audio_files_sent: n })), weight: 3 },
    {
      arbitrary: fc
        .oneof(
          fc.constantFrom(-1, -0, 0.5, 1e6, 1e6 + 1, 2 ** 31, 2 ** 53, 1e308, Number.MIN_VALUE, '3', '', null, true, [], [1], {}, { n: 1 }),
          fc.integer(),
          fc.double(),
          anyWrong(),
        )
        .map((v) => ({ audio_files_sent: v })),
      weight: 4,
    },
    { arbitrary: fc.constantFrom({}, { audio_files: 1 }, { AUDIO_FILES_SENT: 1 }, { audio_files_sent: 1, extra: { deep: [1, 2] } }), weight: 1 },
  );

// ---------------------------------------------------------------------------
// Audio bodies

const SIGNATURES: Record<string, number[]> = {
  wav: [...Buffer.from('RIFF\0\0\0\0WAVEfmt ')],
  webm: [0x1a, 0x45, 0xdf, 0xa3],
  ogg: [...Buffer.from('OggS')],
  mp4: [0, 0, 0, 0x20, ...Buffer.from('ftypisom')],
  mp3: [...Buffer.from('ID3')],
  mp3frame: [0xff, 0xfb],
  text: [...Buffer.from('hello, this is not audio')],
};

/** Chunk bytes: random, empty, or a real container signature followed by noise. */
export const audioBytes = (): fc.Arbitrary<number[]> =>
  fc.oneof(
    { arbitrary: fc.tuple(fc.constantFrom(...Object.values(SIGNATURES)), fc.uint8Array({ maxLength: 200 })).map(([sig, rest]) => [...sig, ...rest]), weight: 4 },
    { arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => [...b]), weight: 3 },
    { arbitrary: fc.constantFrom(...Object.values(SIGNATURES)).map((sig) => sig.slice(0, Math.max(1, sig.length - 2))), weight: 1 }, // truncated signatures
    { arbitrary: fc.constant<number[]>([]), weight: 1 },
  );

// ---------------------------------------------------------------------------
// Multipart bodies

export interface MultipartPart {
  /** null: no Content-Disposition header at all. */
  name: string | null;
  filename?: string;
  /** Use RFC 5987 filename*= instead of filename=. */
  star?: boolean;
  type?: string;
  data: number[];
}

export interface MultipartSpec {
  boundary: string;
  /** What the Content-Type header says the boundary is (may differ from the body's). */
  headerBoundary: string | null;
  parts: MultipartPart[];
  preamble: string;
  /** How the body ends: proper close, no close delimiter, cut in the middle, or nothing after the parts. */
  ending: 'close' | 'no-close' | 'cut' | 'bare';
  lf: boolean;
}

const boundaryArb = () => fc.oneof(fc.stringMatching(/^[A-Za-z0-9'()+_,.:=?-]{1,70}$/), fc.constantFrom('x', '----WebKitFormBoundary7MA4YWxkTrZu0gW', '"quoted"', 'a b'));

export const multipartSpec = (): fc.Arbitrary<MultipartSpec> =>
  fc.record({
    boundary: boundaryArb(),
    headerBoundary: fc.oneof({ arbitrary: fc.constant('same'), weight: 8 }, fc.constant(null), boundaryArb()),
    parts: fc.array(
      fc.record(
        {
          name: fc.oneof({ arbitrary: fc.constant('file'), weight: 6 }, fc.constantFrom('files', 'audio', 'File', '', 'file[]'), fc.constant(null), hostileString()),
          filename: fc.oneof({ arbitrary: fileName(), weight: 5 }, fc.constantFrom('', '"', 'a"b_0.wav', 'a\\"_0.wav')),
          star: fc.boolean(),
          type: contentType().map((t) => t ?? 'application/octet-stream'),
          data: audioBytes(),
        },
        { requiredKeys: ['name', 'data'] },
      ),
      { maxLength: 3 },
    ),
    preamble: fc.oneof({ arbitrary: fc.constant(''), weight: 4 }, fc.string({ maxLength: 20 })),
    ending: fc.oneof({ arbitrary: fc.constant<MultipartSpec['ending']>('close'), weight: 6 }, fc.constantFrom<MultipartSpec['ending']>('no-close', 'cut', 'bare')),
    lf: fc.oneof({ arbitrary: fc.constant(false), weight: 6 }, fc.constant(true)),
  }).map((m) => (m.headerBoundary === 'same' ? { ...m, headerBoundary: m.boundary } : m));

export function buildMultipart(m: MultipartSpec): { contentType: string; body: Buffer } {
  const nl = m.lf ? '\n' : '\r\n';
  const pieces: Buffer[] = [];
  if (m.preamble) pieces.push(Buffer.from(m.preamble + nl));
  for (const p of m.parts) {
    let head = `--${m.boundary}${nl}`;
    if (p.name !== null) {
      head += `Content-Disposition: form-data; name="${p.name}"`;
      if (p.filename !== undefined) head += p.star ? `; filename*=UTF-8''${percentEncode(p.filename)}` : `; filename="${p.filename}"`;
      head += nl;
    }
    if (p.type !== undefined) head += `Content-Type: ${p.type}${nl}`;
    pieces.push(Buffer.from(head + nl, 'utf8'), Buffer.from(p.data), Buffer.from(nl));
  }
  if (m.ending === 'close') pieces.push(Buffer.from(`--${m.boundary}--${nl}`));
  if (m.ending === 'no-close') pieces.push(Buffer.from(`--${m.boundary}${nl}`));
  let body = Buffer.concat(pieces);
  if (m.ending === 'cut') body = body.subarray(0, Math.floor(body.length / 2));
  const contentType = m.headerBoundary === null ? 'multipart/form-data' : `multipart/form-data; boundary=${m.headerBoundary}`;
  return { contentType, body };
}

// ---------------------------------------------------------------------------
// Requests

export type Endpoint =
  | { ep: 'discovery'; msaPath: boolean }
  | { ep: 'health'; which: 'healthz' | 'readyz' | 'metrics' | 'openapi' | 'docs' | 'docs-json' | 'docs-static'; tail: string }
  | { ep: 'templates' }
  | { ep: 'create'; body: JsonBody; type: string | undefined }
  | { ep: 'get'; sid: SessionIdSpec; query: Array<[string, string]> | string | null }
  | { ep: 'end'; sid: SessionIdSpec; body: JsonBody; type: string | undefined }
  | { ep: 'upload-path'; sid: SessionIdSpec; file: string; how: SegmentEncoding; type: string | undefined; data: number[] }
  | { ep: 'upload-disposition'; sid: SessionIdSpec; disposition: string | undefined; type: string | undefined; data: number[] }
  | { ep: 'upload-multipart'; sid: SessionIdSpec; multipart: MultipartSpec; typeOverride: string | null }
  | { ep: 'wrong-method'; path: string; method: string }
  | { ep: 'random-path'; path: string };

export interface RequestSpec {
  endpoint: Endpoint;
  auth: AuthSpec;
  msaVersion: string | string[] | undefined;
  noise: Record<string, string>;
  method: string | undefined;
  streamed: boolean;
}

const queryArb = (): fc.Arbitrary<Array<[string, string]> | string | null> =>
  fc.oneof(
    { arbitrary: fc.constant(null), weight: 4 },
    {
      arbitrary: fc.array(
        fc.tuple(
          fc.oneof(fc.constantFrom('template_id', 'templates_format', '__proto__', 'constructor', 'template_id[]', ''), hostileString()),
          fc.oneof(fc.constantFrom('soap', 'transcript', 'array', 'object', 'ARRAY', '', 'x'.repeat(101), 'x'.repeat(100)), hostileString()),
        ),
        { maxLength: 4 },
      ),
      weight: 4,
    },
    { arbitrary: fc.constantFrom('?', '?&&', '?=', '?template_id', '?template_id=%', '?template_id=%zz', '?templates_format=object&templates_format=array', '?a=' + 'b'.repeat(10000), '?%00=%00', '?template_id=a%00b'), weight: 1 },
  );

const disposition = (): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    // eslint-disable-next-line no-control-regex -- control characters are what a quoted filename cannot hold
    { arbitrary: fileName().map((f) => `attachment; filename="${f.replace(/["\\\r\n\u0000-\u001f\u007f]/g, '_').replace(/[^\u0000-\u00ff]/g, '?')}"`), weight: 5 },
    { arbitrary: fileName().map((f) => `attachment; filename*=UTF-8''${percentEncode(f)}`), weight: 2 },
    { arbitrary: fc.constant(undefined), weight: 1 },
    fc.constantFrom('attachment', 'inline', 'attachment; filename=', 'attachment; filename=""', 'attachment; filename="a', 'attachment; filename=audio_0.wav', 'attachment; filename*=UTF-8\'\'%E0%A4%A', 'attachment; filename="audio_0.wav"; filename="b_1.wav"', 'form-data; name="file"; filename="audio_0.webm"', ';;;', ''),
    headerSafeString(60),
  );

export const endpoint = (): fc.Arbitrary<Endpoint> =>
  fc.oneof(
    { arbitrary: fc.record({ ep: fc.constant('discovery' as const), msaPath: fc.boolean() }), weight: 1 },
    {
      arbitrary: fc.record({
        ep: fc.constant('health' as const),
        which: fc.constantFrom('healthz' as const, 'readyz' as const, 'metrics' as const, 'openapi' as const, 'docs' as const, 'docs-json' as const, 'docs-static' as const),
        tail: fc.oneof(fc.constantFrom('', 'index.html', 'swagger-ui.css', '../../package.json', '..%2f..%2fpackage.json', '%2e%2e/%2e%2e/package.json', 'x'.repeat(300)), hostileString().map((s) => segment(s, 'raw'))),
      }),
      weight: 1,
    },
    { arbitrary: fc.constant({ ep: 'templates' as const }), weight: 1 },
    {
      arbitrary: fc.record({
        ep: fc.constant('create' as const),
        body: jsonBody(fc.oneof({ arbitrary: createSessionBody(), weight: 3 }, { arbitrary: validCreateSessionBody(), weight: 1 })),
        type: jsonContentType(),
      }),
      weight: 5,
    },
    { arbitrary: fc.record({ ep: fc.constant('get' as const), sid: sessionIdSpec(), query: queryArb() }), weight: 4 },
    { arbitrary: fc.record({ ep: fc.constant('end' as const), sid: sessionIdSpec(), body: jsonBody(endSessionBody()), type: jsonContentType() }), weight: 2 },
    {
      arbitrary: fc.record({ ep: fc.constant('upload-path' as const), sid: sessionIdSpec(), file: fileName(), how: encoding(), type: contentType(), data: audioBytes() }),
      weight: 6,
    },
    { arbitrary: fc.record({ ep: fc.constant('upload-disposition' as const), sid: sessionIdSpec(), disposition: disposition(), type: contentType(), data: audioBytes() }), weight: 3 },
    {
      arbitrary: fc.record({
        ep: fc.constant('upload-multipart' as const),
        sid: sessionIdSpec(),
        multipart: multipartSpec(),
        typeOverride: fc.oneof({ arbitrary: fc.constant(null), weight: 8 }, fc.constantFrom('multipart/form-data; boundary="x"', 'multipart/form-data; boundary=x; boundary=y', 'multipart/form-data;boundary', 'Multipart/Form-Data; boundary=x')),
      }),
      weight: 4,
    },
    {
      arbitrary: fc.record({
        ep: fc.constant('wrong-method' as const),
        path: fc.constantFrom('/voice/v1/sessions', '/voice/v1/sessions/ses_x', '/voice/v1/sessions/ses_x/end', '/voice/v1/sessions/ses_x/audio', '/voice/v1/sessions/ses_x/audio/a_0.wav', '/voice/v1/templates', '/healthz', '/.well-known/medscribealliance', '/voice/v1/webhooks'),
        method: fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST', 'TRACE', 'PROPFIND', 'SEARCH', 'MKCOL'),
      }),
      weight: 1,
    },
    {
      arbitrary: fc.record({
        ep: fc.constant('random-path' as const),
        path: fc.oneof(
          fc.constantFrom('/', '//', '/voice', '/voice/v1', '/voice/v1/', '/voice/v1//sessions', '/voice/v1/sessions/', '/voice/v1/sessions//end', '/voice/v1/sessions/x/audio/', '/voice/v1/sessions/x/audio/a/b', '/voice/v2/sessions', '/VOICE/V1/SESSIONS', '/voice/v1/sessions;x', '/voice/v1/sessions/%', '/voice/v1/sessions/%zz', '/voice/v1/sessions/%E0%A4%A', '/voice/v1/sessions/%C0%AE%C0%AE', '/voice/v1/sessions/..%2f..%2f', '/voice/v1/./sessions', '/voice/v1/../v1/templates', '/%2e%2e/%2e%2e/etc/passwd', '/voice/v1/webhooks', '/voice/v1/stream/sessions/x/audio'),
          fc.array(hostileString().map((s) => segment(s, 'raw')), { minLength: 1, maxLength: 4 }).map((segs) => `/voice/v1/${segs.join('/')}`),
        ),
      }),
      weight: 1,
    },
  );

export const requestSpec = (): fc.Arbitrary<RequestSpec> =>
  fc.record(
    {
      endpoint: endpoint(),
      auth: authSpec(),
      msaVersion: msaVersion(),
      noise: noiseHeaders(),
      // Occasionally the right path with the wrong method.
      method: fc.oneof({ arbitrary: fc.constant(undefined), weight: 25 }, fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD')),
      // Send the body in pieces (chunked transfer encoding, no Content-Length).
      streamed: fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, fc.constant(true)),
    },
    { requiredKeys: ['endpoint', 'auth', 'msaVersion', 'noise', 'method', 'streamed'] },
  );
