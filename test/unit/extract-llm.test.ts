import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { chatCompletionsUrl, LlmExtractor, type LlmExtractorOptions } from '../../src/extraction/llm/index.js';
import { toWireSchema } from '../../src/extraction/llm/strict-schema.js';
import { RulesExtractor } from '../../src/extraction/rules/index.js';
import { selectExtractor } from '../../src/extraction/select.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { TEMPLATE_SPECS } from '../../src/core/templates/definitions.js';
import type { ExtractionInput } from '../../src/core/ports/extractor.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';

const input: ExtractionInput = {
  mode: 'consultation',
  language: 'en',
  lines: [
    { speaker: 'doctor', text: 'What brings you in today?' },
    { speaker: 'patient', text: 'I have had a fever for three days.' },
    { speaker: 'doctor', text: 'Take paracetamol 650 mg twice daily for five days.' },
  ],
};

const medication = {
  name: 'paracetamol',
  generic_name: 'paracetamol',
  brand_name: null,
  drug_class: 'analgesic',
  dosage: '650 mg',
  dose_value: 650,
  dose_unit: 'mg',
  route: 'oral',
  frequency: 'twice daily',
  frequency_per_day: 2,
  duration: 'five days',
  duration_days: 5,
  instructions: null,
  action: 'start',
  assertion: 'planned',
  assertion_cue: null,
  evidence: [{ line: 2, start: 5, end: 15, text: 'paracetamol' }],
};
const validAnswer = { medications: [medication] };
const medicationsSpec = TEMPLATE_SPECS.find((t) => t.id === 'medications')!;

let fake: FakeLlm;
const logged: unknown[] = [];
before(async () => (fake = await startFakeLlm()));
after(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  logged.length = 0;
});

function extractor(options: Partial<LlmExtractorOptions> = {}) {
  return new LlmExtractor({
    baseUrl: fake.baseUrl,
    model: 'test-model',
    apiKey: 'sk-test-123',
    timeoutMs: 10_000,
    fallback: new RulesExtractor(),
    log: { warn: (obj: unknown) => void logged.push(obj) } as LlmExtractorOptions['log'],
    ...options,
  });
}

/** The template schema as strict structured outputs need it: enum subschemas typed, no string-length keywords. */
function strictVersion(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema), function (this: unknown, key, value) {
    if (key === 'minLength') return undefined;
    if (value && typeof value === 'object' && !Array.isArray(value) && Array.isArray(value.enum) && !('type' in value)) {
      return { ...value, type: 'string' };
    }
    return value;
  });
}

test('the request: model, json_schema response format from the template, instructions, numbered transcript, bearer key', async () => {
  fake.queue({ content: JSON.stringify(validAnswer) });
  const r = await extractor().extract('medications', input);
  assert.deepEqual(r, { status: 'success', data: validAnswer });
  assert.equal(fake.requests.length, 1);
  const req = fake.requests[0]!;
  assert.equal(req.method, 'POST');
  assert.equal(req.url, '/v1/chat/completions');
  assert.equal(req.headers.authorization, 'Bearer sk-test-123');
  assert.equal(req.body.model, 'test-model');
  assert.equal(req.body.response_format.type, 'json_schema');
  assert.equal(req.body.response_format.json_schema.name, 'medications');
  assert.equal(req.body.response_format.json_schema.strict, true);
  assert.deepEqual(req.body.response_format.json_schema.schema, strictVersion(medicationsSpec.schema));
  const [system, user] = req.body.messages as Array<{ role: string; content: string }>;
  assert.equal(system!.role, 'system');
  assert.ok(system!.content.includes(medicationsSpec.llmInstructions!));
  assert.equal(user!.role, 'user');
  assert.ok(user!.content.includes('[0] Doctor: What brings you in today?\n[1] Patient: I have had a fever for three days.\n[2] Doctor: Take paracetamol'), user!.content);
});

test('no API key configured (Ollama): no Authorization header', async () => {
  fake.queue({ content: JSON.stringify(validAnswer) });
  const r = await extractor({ apiKey: undefined }).extract('medications', input);
  assert.equal(r.status, 'success');
  assert.equal(fake.requests[0]!.headers.authorization, undefined);
});

test('invalid JSON first, then a valid answer: success after exactly 2 calls, the model told what was wrong', async () => {
  fake.queue({ content: 'Sure! Paracetamol for the fever.' }, { content: JSON.stringify(validAnswer) });
  const r = await extractor().extract('medications', input);
  assert.deepEqual(r, { status: 'success', data: validAnswer });
  assert.equal(fake.requests.length, 2);
  const retry = fake.requests[1]!.body.messages as Array<{ role: string; content: string }>;
  assert.deepEqual(retry.slice(2, 3), [{ role: 'assistant', content: 'Sure! Paracetamol for the fever.' }]);
  assert.match(retry[3]!.content, /not valid JSON/);
});

test('invalid JSON twice: failed extraction_failed, the message does not echo the answer or transcript', async () => {
  fake.queue({ content: 'The patient has a fever' }, { content: '{"medications": [' });
  const r = await extractor().extract('medications', input);
  assert.equal(fake.requests.length, 2);
  assert.equal(r.status, 'failed');
  assert.equal(r.status === 'failed' && r.error.code, 'extraction_failed');
  const message = r.status === 'failed' ? r.error.message : '';
  assert.match(message, /not valid JSON/);
  assert.doesNotMatch(message, /fever|patient|medications/i);
});

test('schema-invalid output: retried with the validation errors, then failed; nothing clinical logged', async () => {
  const { generic_name: _, ...withoutGeneric } = medication;
  const bad = JSON.stringify({ medications: [{ ...withoutGeneric, name: 'paracetamol for fever', action: 'prescribe' }] });
  fake.queue({ content: bad }, { content: bad });
  const r = await extractor().extract('medications', input);
  assert.equal(fake.requests.length, 2);
  const correction = (fake.requests[1]!.body.messages as Array<{ content: string }>)[3]!.content;
  assert.match(correction, /must have required property 'generic_name'/);
  assert.match(correction, /\/medications\/0\/action must be equal to one of the allowed values/);
  assert.equal(r.status, 'failed');
  assert.equal(r.status === 'failed' && r.error.code, 'extraction_failed');
  assert.match(r.status === 'failed' ? r.error.message : '', /did not match the template schema/);
  assert.doesNotMatch(r.status === 'failed' ? r.error.message : '', /fever|paracetamol|prescribe/);
  assert.equal(logged.length, 2);
  assert.doesNotMatch(JSON.stringify(logged), /fever|paracetamol|prescribe|sk-test/);
});

test('a server that does not answer within the timeout: failed with code timeout', async () => {
  fake.queue({ hang: true });
  const r = await extractor({ timeoutMs: 200 }).extract('medications', input);
  assert.equal(r.status, 'failed');
  assert.equal(r.status === 'failed' && r.error.code, 'timeout');
  assert.equal(fake.requests.length, 1);
});

test('500, 429 and an unreachable endpoint throw, so the queue retries the job', async () => {
  fake.queue({ status: 500, body: { error: { message: 'overloaded' } } });
  await assert.rejects(extractor().extract('medications', input), /HTTP 500/);
  fake.queue({ status: 429, body: { error: { message: 'rate limited' } } });
  await assert.rejects(extractor().extract('medications', input), /HTTP 429/);
  await assert.rejects(extractor({ baseUrl: 'http://127.0.0.1:1' }).extract('medications', input), /unreachable/);
});

test('400: failed extraction_failed with the provider error code, not its message', async () => {
  fake.queue({ status: 400, body: { error: { message: 'context: I have had a fever', type: 'invalid_request_error', code: 'invalid_json_schema' } } });
  const r = await extractor().extract('medications', input);
  assert.equal(fake.requests.length, 1);
  assert.equal(r.status, 'failed');
  assert.equal(r.status === 'failed' && r.error.code, 'extraction_failed');
  assert.match(r.status === 'failed' ? r.error.message : '', /HTTP 400, invalid_json_schema, invalid_request_error/);
  assert.doesNotMatch(r.status === 'failed' ? r.error.message : '', /fever/);
});

test('a model refusal: failed extraction_failed without a retry', async () => {
  fake.queue({ status: 200, body: { choices: [{ message: { role: 'assistant', content: null, refusal: 'I cannot help' }, finish_reason: 'stop' }] } });
  const r = await extractor().extract('medications', input);
  assert.equal(fake.requests.length, 1);
  assert.equal(r.status === 'failed' && r.error.code, 'extraction_failed');
});

test('the transcript template is served by the rules extractor without calling the model', async () => {
  const r = await extractor().extract('transcript', input);
  assert.equal(fake.requests.length, 0);
  assert.equal(r.status, 'success');
  assert.deepEqual(await new RulesExtractor().extract('transcript', input), r);
});

test('an unknown template: template_not_found, no call', async () => {
  const r = await extractor().extract('no_such_template', input);
  assert.equal(fake.requests.length, 0);
  assert.equal(r.status === 'failed' && r.error.code, 'template_not_found');
});

test('chat completions URL: {base}/v1/chat/completions, a base ending in /v1 not doubled', () => {
  assert.equal(chatCompletionsUrl('http://localhost:11434'), 'http://localhost:11434/v1/chat/completions');
  assert.equal(chatCompletionsUrl('https://x.openai.azure.com/openai/'), 'https://x.openai.azure.com/openai/v1/chat/completions');
  assert.equal(chatCompletionsUrl('https://api.openai.com/v1'), 'https://api.openai.com/v1/chat/completions');
});

test('wire schema: strict only when every object is closed and fully required; a property named like a keyword is kept', () => {
  const transcript = toWireSchema(TEMPLATE_SPECS.find((t) => t.id === 'transcript')!.schema);
  assert.equal(transcript.strict, false, 'transcript lines have optional start/end');
  const custom = toWireSchema({
    type: 'object',
    additionalProperties: false,
    required: ['minLength', 'kind'],
    properties: { minLength: { type: 'string', minLength: 1 }, kind: { enum: ['a', null] } },
  });
  assert.deepEqual(custom, {
    strict: true,
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['minLength', 'kind'],
      properties: { minLength: { type: 'string' }, kind: { enum: ['a', null], type: ['string', 'null'] } },
    },
  });
});

test('config: rules by default; llm needs a valid base URL and a model; selection follows it', () => {
  assert.equal(loadConfig({}).extractor, 'rules');
  assert.equal(selectExtractor(loadConfig({})).id, 'rules');
  assert.throws(() => loadConfig({ OPENSCRIBE_EXTRACTOR: 'llm', OPENSCRIBE_LLM_MODEL: 'm' }), ConfigError);
  assert.throws(() => loadConfig({ OPENSCRIBE_EXTRACTOR: 'llm', OPENSCRIBE_LLM_BASE_URL: 'localhost:11434', OPENSCRIBE_LLM_MODEL: 'm' }), ConfigError);
  assert.throws(() => loadConfig({ OPENSCRIBE_EXTRACTOR: 'llm', OPENSCRIBE_LLM_BASE_URL: 'http://localhost:11434' }), ConfigError);
  assert.throws(() => loadConfig({ OPENSCRIBE_EXTRACTOR: 'gpt' }), ConfigError);
  const config = loadConfig({ OPENSCRIBE_EXTRACTOR: 'llm', OPENSCRIBE_LLM_BASE_URL: 'http://localhost:11434/', OPENSCRIBE_LLM_MODEL: 'llama3.1' });
  assert.deepEqual(config.llm, { baseUrl: 'http://localhost:11434', apiKey: undefined, model: 'llama3.1', timeoutMs: 60_000 });
  assert.equal(selectExtractor(config).id, 'llm');
});
