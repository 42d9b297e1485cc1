/**
 * The whisper-cpp adapter against the real @fugood/whisper.node binding. No
 * model weights can be downloaded here, so these are the loading and error
 * paths: a missing file, files that are not models, a truncated model, and
 * files that pass the structural check but that whisper.cpp itself refuses —
 * including one that makes ggml abort, which must end only the engine process.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  checkWhisperModelFile, resolveWhisperModel, toTranscriptSegments, whisperLanguage, WhisperCppTranscriber,
  WhisperModelMissingError, WhisperUnavailableError,
} from '../../src/speech/recognisers/whisper-cpp/index.js';
import { PermanentTranscriberError } from '../../src/core/ports/transcriber.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whisper-test-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The tiny model's header: n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, ftype. */
const TINY = [51865, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 1];

/** A ggml Whisper file with the tiny header, zero mel filters, a 2-word vocabulary and one f32 tensor. */
function fakeModel(name: string, opts: { ftype?: number; tensorName?: string; cutBytes?: number } = {}): string {
  const i32 = (...v: number[]) => {
    const b = Buffer.alloc(4 * v.length);
    v.forEach((x, i) => b.writeInt32LE(x, 4 * i));
    return b;
  };
  const header = i32(0x67676d6c, ...TINY.slice(0, 10), opts.ftype ?? 1);
  const mel = Buffer.concat([i32(80, 201), Buffer.alloc(80 * 201 * 4)]);
  const vocab = Buffer.concat([i32(2), i32(2), Buffer.from('hi'), i32(3), Buffer.from('you')]);
  const tname = Buffer.from(opts.tensorName ?? 'not.a.whisper.tensor');
  const tensor = Buffer.concat([i32(1, tname.length, 0, 384), tname, Buffer.alloc(384 * 4)]);
  const bytes = Buffer.concat([header, mel, vocab, tensor]);
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - (opts.cutBytes ?? 0)));
  return file;
}

const load = (file: string) => WhisperCppTranscriber.create({ model: resolveWhisperModel(file, dir) });

describe('whisper-cpp: model resolution', () => {
  test('a name is a file under the models dir; a path is itself; .en models are English-only', () => {
    const byName = resolveWhisperModel('base.en', '/srv/models');
    assert.deepEqual(byName, { name: 'base.en', path: '/srv/models/ggml-base.en.bin', isPath: false, englishOnly: true });
    const byPath = resolveWhisperModel('/opt/w/ggml-small.bin', '/srv/models');
    assert.deepEqual(byPath, { name: 'small', path: '/opt/w/ggml-small.bin', isPath: true, englishOnly: false });
    assert.equal(resolveWhisperModel('small.en-tdrz', '/m').englishOnly, true);
  });

  test('language: the hint as ISO 639-1, auto without one; an English-only model refuses others permanently', () => {
    const multi = { name: 'small', englishOnly: false };
    assert.equal(whisperLanguage(multi, 'hi'), 'hi');
    assert.equal(whisperLanguage(multi, 'en-IN'), 'en');
    assert.equal(whisperLanguage(multi, undefined), 'auto');
    assert.equal(whisperLanguage(multi, 'xx'), 'auto');
    const en = { name: 'base.en', englishOnly: true };
    assert.equal(whisperLanguage(en, undefined), 'en');
    assert.equal(whisperLanguage(en, 'en-US'), 'en');
    assert.throws(() => whisperLanguage(en, 'hi'), (e: Error) => e instanceof PermanentTranscriberError && /English only/.test(e.message));
  });

  test('segments: milliseconds → seconds, inside the audio; blank-audio and sound annotations are not speech', () => {
    const raw = [
      { text: ' [BLANK_AUDIO]', t0: 0, t1: 1000 },
      { text: ' The patient  has a cough.', t0: 1000, t1: 3500 },
      { text: ' (coughing)', t0: 3500, t1: 4000 },
      { text: ' Since Monday.', t0: 4000, t1: 9000 },
    ];
    assert.deepEqual(toTranscriptSegments(raw, 6), [
      { start: 1, end: 3.5, text: 'The patient has a cough.' },
      { start: 4, end: 6, text: 'Since Monday.' },
    ]);
  });
});

describe('whisper-cpp: loading', () => {
  test('a missing model file: the error names the path and `openscribe models pull`', async () => {
    const model = resolveWhisperModel('base.en', dir);
    await assert.rejects(WhisperCppTranscriber.create({ model }), (e: Error) => {
      assert.ok(e instanceof WhisperModelMissingError);
      assert.ok(e.message.includes(path.join(dir, 'ggml-base.en.bin')), e.message);
      assert.match(e.message, /openscribe models pull base\.en/);
      return true;
    });
  });

  test('random bytes and an empty file are refused before the engine starts', async () => {
    const junk = path.join(dir, 'ggml-junk.bin');
    fs.writeFileSync(junk, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
    await assert.rejects(load(junk), (e: Error) => e instanceof WhisperUnavailableError && e.message.includes(junk) && /not a ggml Whisper model/.test(e.message));
    const empty = path.join(dir, 'ggml-empty.bin');
    fs.writeFileSync(empty, '');
    await assert.rejects(load(empty), (e: Error) => e instanceof WhisperModelMissingError && /empty/.test(e.message));
  });

  test('a truncated model is found by the structural check (whisper.cpp would load it unchecked)', async () => {
    const cut = fakeModel('ggml-cut.bin', { cutBytes: 100 });
    assert.throws(() => checkWhisperModelFile(cut), /truncated: the weights of tensor 1 needs 1536 bytes/);
    await assert.rejects(load(cut), (e: Error) => e instanceof WhisperUnavailableError && e.message.includes(cut) && /truncated/.test(e.message));
    assert.doesNotThrow(() => checkWhisperModelFile(fakeModel('ggml-whole.bin')));
  });

  test('the real binding refuses a well-formed file with foreign tensors: clear error', async () => {
    const file = fakeModel('ggml-foreign.bin');
    await assert.rejects(load(file), (e: Error) => {
      assert.ok(e instanceof WhisperUnavailableError, `${e.name}: ${e.message}`);
      assert.ok(e.message.includes(file), e.message);
      assert.match(e.message, /unknown tensor 'not\.a\.whisper\.tensor'/);
      return true;
    });
  });

  test('a file that makes ggml abort ends only the engine process; this process lives and can try again', async () => {
    const file = fakeModel('ggml-badtype.bin', { ftype: 99 }); // no such weight type: GGML_ASSERT → abort()
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(load(file), (e: Error) => {
        assert.ok(e instanceof WhisperUnavailableError, `${e.name}: ${e.message}`);
        assert.ok(e.message.includes(file), e.message);
        assert.match(e.message, /killed by SIGABRT while loading/);
        assert.match(e.message, /GGML_ASSERT/);
        return true;
      });
    }
  });
});
