/**
 * Fuzz: (1) the extractor — random text (clinical words, numbers, units, unicode noise)
 * never throws and every template it fills validates against the template's JSON schema
 * (ajv); (2) the HTTP API — random JSON bodies, headers, file names and chunk bytes from
 * test/helpers/arbitraries.ts against a real server; no answer may be a 5xx;
 * (3) the integration fuzz suite (test/integration/fuzz.test.ts) at the drill's scale;
 * (4) random WebSocket frames on the stream endpoint (test/integration/stream-fuzz.test.ts).
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { extractTemplates } from '../../src/extraction/rules/index.js';
import { createAjv } from '../../src/extraction/llm/output-validator.js';
import { TemplateRegistry } from '../../src/core/templates/registry.js';
import { audioBytes, createSessionBody, endSessionBody, fileName, headerSafeString, noiseHeaders } from '../../test/helpers/arbitraries.js';
import { ROOT } from '../../test/helpers/server.js';
import { api, createKey, EMBEDDED, startServer, tempDataDir, type DrillOptions, type ScenarioResult } from './lib.js';

const WORDS = ['patient', 'doctor', 'fever', 'cough', 'no', 'denies', 'mg', 'twice', 'daily', 'BP', '140/90', 'pulse', '98.6', 'paracetamol', '500', 'metformin', 'stop', 'start', 'allergy', 'penicillin', 'follow', 'up', 'in', '2', 'weeks', 'refer', 'cardiology', 'SpO2', '%', 'kg', 'x-ray', 'Doctor:', 'Patient:', 'Assessment:', 'Plan:', '.', ',', '\n', 'not', 'without', '½', 'mmHg', '°C', '💊'];

const lineText = fc.oneof(
  fc.array(fc.constantFrom(...WORDS), { maxLength: 40 }).map((w) => w.join(' ')),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 120 }),
);
const inputArb = fc.record({
  lines: fc.array(fc.record({ speaker: fc.constantFrom('doctor', 'patient', 'unknown'), text: lineText }), { maxLength: 12 }),
  mode: fc.constantFrom('dictation', 'consultation'),
  language: fc.constantFrom('en', 'en-IN', 'hi', ''),
});

function fuzzExtractor(cases: number): { cases: number; throws: number; invalid: number; failedTemplates: number } {
  const registry = new TemplateRegistry();
  const ajv = createAjv();
  const templates = registry.templates.filter((t) => t.rules && t.schema);
  const validators = new Map(templates.map((t) => [t.id, ajv.compile(t.schema!)]));
  const ids = templates.map((t) => t.id);
  let throws = 0;
  let invalid = 0;
  let failedTemplates = 0;
  fc.assert(
    fc.property(inputArb, (input) => {
      let out;
      try {
        out = extractTemplates(ids, input as never, registry);
      } catch {
        throws++;
        return;
      }
      for (const id of ids) {
        const r = out[id]!;
        if (r.status !== 'success') failedTemplates++;
        else if (!validators.get(id)!(r.data)) invalid++;
      }
    }),
    { numRuns: cases },
  );
  return { cases, throws, invalid, failedTemplates };
}

async function fuzzHttp(cases: number): Promise<{ cases: number; fiveXx: number; statuses: Record<string, number> }> {
  const dataDir = tempDataDir('drill-fuzz');
  const key = createKey(dataDir, 'fuzz', EMBEDDED);
  const server = await startServer({ dataDir, env: { ...EMBEDDED, OPENSCRIBE_RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'warn' } });
  const statuses: Record<string, number> = {};
  let fiveXx = 0;
  const seen = (s: number) => {
    statuses[s] = (statuses[s] ?? 0) + 1;
    if (s >= 500) fiveXx++;
  };
  try {
    const created = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
    const open = created.body.session_id as string;
    const caseArb = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), body: fc.oneof(createSessionBody(), fc.jsonValue()), headers: noiseHeaders() }),
      fc.record({ kind: fc.constant('upload' as const), name: fileName(), bytes: audioBytes(), type: fc.oneof(headerSafeString(30), fc.constantFrom('audio/wav', 'audio/webm', 'audio/ogg', 'audio/mpeg')) }),
      fc.record({ kind: fc.constant('end' as const), body: fc.oneof(endSessionBody(), fc.jsonValue()) }),
      fc.record({ kind: fc.constant('webhook' as const), body: fc.oneof(fc.record({ url: fc.oneof(fc.webUrl(), fc.string()), events: fc.array(fc.string(), { maxLength: 3 }) }), fc.jsonValue()) }),
    );
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        let r;
        if (c.kind === 'create') r = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: c.body, headers: c.headers });
        else if (c.kind === 'upload')
          r = await api(server.url, 'POST', `/voice/v1/sessions/${open}/audio/${encodeURIComponent(c.name)}`, { key, body: Buffer.from(c.bytes), headers: { 'content-type': c.type } });
        else if (c.kind === 'end') {
          // Ends a fresh session each time: the open one keeps taking uploads.
          const s = await api(server.url, 'POST', '/voice/v1/sessions', { key, json: { upload_type: 'chunked', communication_protocol: 'http' } });
          r = await api(server.url, 'POST', `/voice/v1/sessions/${s.body.session_id}/end`, { key, json: c.body });
        } else r = await api(server.url, 'POST', '/voice/v1/webhooks', { key, json: c.body });
        seen(r.status);
        if (r.status >= 500) throw new Error(`${c.kind}: ${r.status} ${r.text.slice(0, 200)}`);
      }),
      { numRuns: cases, endOnFailure: true },
    ).catch(() => undefined);
  } finally {
    await server.stop();
  }
  return { cases, fiveXx, statuses };
}

/** The integration fuzz suite as a child process at the given scale; fails count as 5xx found. */
function fuzzSuite(runs: number): { cases: number; passed: boolean; failure: string } {
  const raw = Math.max(50, Math.round(runs / 10));
  const burst = Math.max(20, Math.round(runs / 20));
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', 'test/integration/fuzz.test.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...EMBEDDED, FUZZ_RUNS: String(runs), FUZZ_RAW_RUNS: String(raw), FUZZ_BURST_RUNS: String(burst) },
    encoding: 'utf8',
    timeout: 30 * 60_000,
  });
  const out = `${r.stdout}${r.stderr}`;
  return { cases: runs + raw + burst, passed: r.status === 0, failure: r.status === 0 ? '' : out.slice(Math.max(0, out.indexOf('not ok')), Math.max(0, out.indexOf('not ok')) + 3000) };
}

/** Random WebSocket frames on the stream endpoint (test/integration/stream-fuzz.test.ts) at the given scale. */
function fuzzStream(runs: number): { cases: number; passed: boolean; failure: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', 'test/integration/stream-fuzz.test.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...EMBEDDED, STREAM_FUZZ_RUNS: String(runs) },
    encoding: 'utf8',
    timeout: 30 * 60_000,
  });
  const out = `${r.stdout}${r.stderr}`;
  return { cases: runs, passed: r.status === 0, failure: r.status === 0 ? '' : out.slice(Math.max(0, out.indexOf('not ok')), Math.max(0, out.indexOf('not ok')) + 3000) };
}

export async function fuzz(opts: DrillOptions): Promise<ScenarioResult> {
  const total = Number(process.env.DRILL_FUZZ_CASES ?? (opts.short ? 1000 : 10_000));
  const t0 = Date.now();
  const extractor = fuzzExtractor(total);
  const t1 = Date.now();
  const http = await fuzzHttp(Math.round(total / 2));
  const t2 = Date.now();
  const suite = fuzzSuite(Math.round(total / 2));
  const t3 = Date.now();
  const stream = fuzzStream(Math.round(total / 4));
  const t4 = Date.now();
  return {
    totals: {
      fuzz_cases: extractor.cases + http.cases + suite.cases + stream.cases,
      // Any failed property of a suite is counted as one server error found.
      fuzz_5xx: http.fiveXx + (suite.passed ? 0 : 1) + (stream.passed ? 0 : 1),
    },
    params: { extractor_cases: extractor.cases, http_cases: http.cases, suite_cases: suite.cases, stream_frame_cases: stream.cases },
    figures: {
      extractor: { ...extractor, seconds: Math.round((t1 - t0) / 1000) },
      http: { ...http, seconds: Math.round((t2 - t1) / 1000) },
      suite: { ...suite, seconds: Math.round((t3 - t2) / 1000) },
      stream: { ...stream, seconds: Math.round((t4 - t3) / 1000) },
      extractor_defects: extractor.throws + extractor.invalid,
    },
  };
}
