/**
 * Which recogniser a process runs (OPENSCRIBE_TRANSCRIBER), with the real
 * adapters: `auto` prefers a present whisper.cpp model, falls back to
 * PocketSphinx, then to none with a warning; a named engine that cannot start
 * stops start-up with the reason. And what discovery then advertises —
 * including an API-only process, which opens no recogniser.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { describeConfiguredTranscriber, openTranscriber } from '../../src/speech/recognisers/select.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { buildDiscovery } from '../../src/core/discovery.js';
import { assertMsa } from '../helpers/msa.js';
import { api, startServer, tempDataDir } from '../helpers/server.js';

const NO_POCKETSPHINX = { OPENSCRIBE_POCKETSPHINX_MODEL_DIR: '/nonexistent/pocketsphinx-model' };
const pocketsphinxInstalled = fs.existsSync('/usr/share/pocketsphinx/model/en-us/en-us/mdef');

/** A logger whose lines the test can read. */
function captureLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), text: () => lines.join('') };
}

/** Config for a fresh data dir; PocketSphinx's model dir is read from the process environment. */
function setup(env: Record<string, string> = {}) {
  const dataDir = tempDataDir('asr-select');
  const modelsDir = path.join(dataDir, 'models');
  fs.mkdirSync(modelsDir);
  const saved = process.env.OPENSCRIBE_POCKETSPHINX_MODEL_DIR;
  if (env.OPENSCRIBE_POCKETSPHINX_MODEL_DIR) process.env.OPENSCRIBE_POCKETSPHINX_MODEL_DIR = env.OPENSCRIBE_POCKETSPHINX_MODEL_DIR;
  else delete process.env.OPENSCRIBE_POCKETSPHINX_MODEL_DIR;
  const restore = () => (saved === undefined ? delete process.env.OPENSCRIBE_POCKETSPHINX_MODEL_DIR : (process.env.OPENSCRIBE_POCKETSPHINX_MODEL_DIR = saved));
  return { modelsDir, config: loadConfig({ NODE_ENV: 'test', OPENSCRIBE_DATA_DIR: dataDir, ...env }), restore };
}

test('none: no recogniser, nothing advertised behind the models', async () => {
  const { config, restore } = setup({ OPENSCRIBE_TRANSCRIBER: 'none' });
  try {
    assert.equal(await openTranscriber(config, captureLog().log), undefined);
    assert.equal(describeConfiguredTranscriber(config), undefined);
  } finally {
    restore();
  }
});

test('auto: a whisper model file that cannot load is reported, then PocketSphinx, then none with a warning', async () => {
  const { modelsDir, config, restore } = setup({ OPENSCRIBE_TRANSCRIBER: 'auto', ...NO_POCKETSPHINX });
  try {
    fs.writeFileSync(path.join(modelsDir, 'ggml-base.en.bin'), 'not a model');
    const { log, text } = captureLog();
    assert.equal(await openTranscriber(config, log), undefined);
    assert.match(text(), /whisper\.cpp model present but unusable; trying PocketSphinx/);
    assert.match(text(), /not a ggml Whisper model/);
    assert.match(text(), /no speech recogniser available: sessions will finish failed/);
  } finally {
    restore();
  }
});

test('auto: without a whisper model, PocketSphinx when installed', { skip: !pocketsphinxInstalled && 'PocketSphinx not installed' }, async () => {
  const { config, restore } = setup({ OPENSCRIBE_TRANSCRIBER: 'auto' });
  try {
    const { log, text } = captureLog();
    const t = await openTranscriber(config, log);
    try {
      assert.match(t?.id ?? '', /^pocketsphinx-en-us/);
      assert.match(text(), /speech recogniser ready/);
      assert.deepEqual(describeConfiguredTranscriber(config), { id: t!.id, languages: ['en'] });
    } finally {
      await t?.close?.();
    }
  } finally {
    restore();
  }
});

test('auto advertises whisper-cpp when its model file is present (without loading it)', () => {
  const { modelsDir, config, restore } = setup({ OPENSCRIBE_TRANSCRIBER: 'auto', OPENSCRIBE_WHISPER_MODEL: 'small', ...NO_POCKETSPHINX });
  try {
    assert.equal(describeConfiguredTranscriber(config), undefined);
    fs.writeFileSync(path.join(modelsDir, 'ggml-small.bin'), 'x');
    const d = describeConfiguredTranscriber(config)!;
    assert.equal(d.id, 'whisper-cpp-small');
    assert.ok(d.languages.includes('hi') && d.languages.includes('en') && d.languages.length > 90);
  } finally {
    restore();
  }
});

test('explicit whisper-cpp without its model: start-up fails naming the file and `openscribe models pull`', async () => {
  const { modelsDir, config, restore } = setup({ OPENSCRIBE_TRANSCRIBER: 'whisper-cpp', OPENSCRIBE_WHISPER_MODEL: 'small.en' });
  try {
    await assert.rejects(openTranscriber(config, captureLog().log), (e: Error) => {
      assert.match(e.message, /^speech recogniser whisper-cpp \(OPENSCRIBE_TRANSCRIBER\) cannot start: /);
      assert.ok(e.message.includes(path.join(modelsDir, 'ggml-small.en.bin')), e.message);
      assert.match(e.message, /openscribe models pull small\.en/);
      return true;
    });
  } finally {
    restore();
  }
});

test('explicit openai-compatible: configured from the environment; the base URL is required', async () => {
  const { config, restore } = setup({
    OPENSCRIBE_TRANSCRIBER: 'openai-compatible',
    OPENSCRIBE_ASR_BASE_URL: 'http://127.0.0.1:9/',
    OPENSCRIBE_ASR_API_KEY: 'sk-secret-value-123456',
  });
  try {
    assert.deepEqual(config.asrServer, { baseUrl: 'http://127.0.0.1:9', apiKey: 'sk-secret-value-123456', model: 'whisper-1', timeoutMs: 120_000 });
    const { log, text } = captureLog();
    const t = await openTranscriber(config, log);
    assert.equal(t?.id, 'openai-compatible-whisper-1');
    assert.ok(!text().includes('sk-secret-value-123456'));
  } finally {
    restore();
  }
  assert.throws(() => loadConfig({ OPENSCRIBE_TRANSCRIBER: 'openai-compatible' }), (e: Error) => e instanceof ConfigError && /OPENSCRIBE_ASR_BASE_URL is required/.test(e.message));
  assert.throws(() => loadConfig({ OPENSCRIBE_WHISPER_MODEL: 'a b' }), ConfigError);
  assert.throws(() => loadConfig({ OPENSCRIBE_TRANSCRIBER: 'vosk' }), ConfigError);
});

test('discovery: models carry the configured languages the engine can do, and name the engine; still an MSA document', () => {
  const config = loadConfig({ NODE_ENV: 'test', OPENSCRIBE_LANGUAGES: 'en,hi,xx' });
  const features = { realtimeTranscription: false, speakerDiarization: false };
  const multilingual = buildDiscovery(config, features, { id: 'whisper-cpp-small', languages: ['en', 'hi', 'ta'] });
  assertMsa('discovery.openapi.json', 'DiscoveryResponse', multilingual);
  assert.deepEqual(multilingual.models.map((m) => [m.id, m.languages, m.transcriber]), [
    ['lite', ['en', 'hi'], 'whisper-cpp-small'],
    ['pro', ['en', 'hi'], 'whisper-cpp-small'],
  ]);
  assert.deepEqual(multilingual.languages, { supported: ['en', 'hi'], auto_detection: true });
  const english = buildDiscovery(config, features, { id: 'pocketsphinx-en-us-medical', languages: ['en'] });
  assert.deepEqual(english.languages, { supported: ['en'], auto_detection: false });
  assert.equal(english.models[0]!.transcriber, 'pocketsphinx-en-us-medical');
  const none = buildDiscovery(config, features, undefined);
  assert.equal(none.models[0]!.transcriber, 'none');
});

test('an API-only process (serve --no-worker) opens no recogniser and advertises the configured one', async () => {
  const server = await startServer({
    args: ['--no-worker'],
    env: { OPENSCRIBE_TRANSCRIBER: 'whisper-cpp', OPENSCRIBE_WHISPER_MODEL: 'base.en', OPENSCRIBE_LANGUAGES: 'en,hi' },
  });
  try {
    const { body } = await api(server.url, 'GET', '/.well-known/medscribealliance');
    assert.deepEqual(body.models.map((m: { transcriber: string; languages: string[] }) => [m.transcriber, m.languages]), [
      ['whisper-cpp-base.en', ['en']],
      ['whisper-cpp-base.en', ['en']],
    ]);
    assert.doesNotMatch(server.output(), /speech recogniser ready|cannot start/);
  } finally {
    await server.stop();
  }
});

test('a server with whisper-cpp named but no model file does not start, and says how to get one', async () => {
  await assert.rejects(
    startServer({ env: { OPENSCRIBE_TRANSCRIBER: 'whisper-cpp', OPENSCRIBE_WHISPER_MODEL: 'tiny' } }),
    (err: Error) => /server exited early/.test(err.message) && /ggml-tiny\.bin/.test(err.message) && /openscribe models pull tiny/.test(err.message),
  );
});
