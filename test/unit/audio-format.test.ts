import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import {
  ADVERTISED_AUDIO_FORMATS,
  AUDIO_EXTENSIONS,
  checkDeclaredAudio,
  containerFor,
  sniff,
  SNIFF_BYTES,
  type AudioExtension,
  type Container,
} from '../../src/core/audio-format.js';
import { ProtocolError } from '../../src/core/errors.js';

const AUDIO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data/audio');
const read = (name: string): Buffer => fs.readFileSync(path.join(AUDIO_DIR, name));
const CONTAINERS: Container[] = ['webm', 'wav', 'ogg', 'mp4', 'mp3'];

function throwsCode(fn: () => unknown, code: string, label: string): ProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ProtocolError, `${label}: expected a ProtocolError, got ${String(caught)}`);
  assert.equal(caught.code, code, `${label}: ${caught.message}`);
  assert.equal(caught.status, 400);
  return caught;
}

/** The start of a MediaRecorder continuation chunk: a WebM Cluster element, no EBML header. */
function webmContinuation(): Buffer {
  const webm = read('consult-hypertension.webm');
  const cluster = webm.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75]), 64);
  assert.ok(cluster > 0, 'the sample WebM has a Cluster element');
  return webm.subarray(cluster);
}

describe('containerFor: MIME type decides', () => {
  const cases: Array<[mime: string, container: Container]> = [
    ['audio/wav', 'wav'],
    ['audio/x-wav', 'wav'],
    ['audio/wave', 'wav'],
    ['audio/vnd.wave', 'wav'],
    ['audio/webm', 'webm'],
    ['audio/webm;codecs=opus', 'webm'],
    ['audio/webm; codecs="opus"', 'webm'],
    ['video/webm;codecs=opus', 'webm'],
    ['audio/ogg', 'ogg'],
    ['audio/ogg;codecs=opus', 'ogg'],
    ['audio/opus', 'ogg'],
    ['audio/mp4', 'mp4'],
    ['audio/m4a', 'mp4'],
    ['audio/x-m4a', 'mp4'],
    ['audio/mpeg', 'mp3'],
    ['audio/mp3', 'mp3'],
    ['audio/x-mp3', 'mp3'],
    ['AUDIO/WAV', 'wav'],
    ['  Audio/Mpeg ; charset=binary', 'mp3'],
  ];
  for (const [mime, container] of cases) {
    test(`${JSON.stringify(mime)} → ${container}`, () => {
      // The type wins over the extension; a mismatch with the bytes is sniff's job.
      for (const ext of AUDIO_EXTENSIONS) assert.equal(containerFor(mime, ext), container);
    });
  }

  test('every advertised format is accepted, and so are the protocol aliases', () => {
    for (const mime of [...ADVERTISED_AUDIO_FORMATS, 'audio/mpeg', 'audio/x-wav', 'audio/wave']) {
      assert.doesNotThrow(() => containerFor(mime, 'wav'), mime);
    }
  });
});

describe('containerFor: no or generic Content-Type → the extension decides', () => {
  const byExt: Record<AudioExtension, Container> = { webm: 'webm', wav: 'wav', ogg: 'ogg', opus: 'ogg', mp4: 'mp4', m4a: 'mp4', mp3: 'mp3' };
  for (const type of [undefined, '', 'application/octet-stream', 'Application/Octet-Stream', 'binary/octet-stream']) {
    test(`Content-Type ${JSON.stringify(type)}`, () => {
      for (const ext of AUDIO_EXTENSIONS) assert.equal(containerFor(type, ext), byExt[ext], ext);
    });
  }
});

describe('containerFor: unsupported types → invalid_audio_format', () => {
  for (const type of ['text/plain', 'application/json', 'text/html; charset=utf-8', 'video/mp4', 'audio/flac', 'image/png', 'multipart/form-data', 'audio/', 'audio']) {
    test(JSON.stringify(type), () => {
      const err = throwsCode(() => containerFor(type, 'wav'), 'invalid_audio_format', type);
      assert.deepEqual(err.details?.supported_formats, ADVERTISED_AUDIO_FORMATS);
    });
  }

  test('a hostile type is echoed at most 100 characters long', () => {
    const err = throwsCode(() => containerFor(`x/${'y'.repeat(5000)}`, 'wav'), 'invalid_audio_format', 'long type');
    assert.ok((err.details?.content_type as string).length <= 100);
    assert.ok(err.message.length < 200);
  });
});

describe('sniff: real files', () => {
  const real: Array<[file: string, container: Container]> = [
    ['consult-hypertension.wav', 'wav'],
    ['dictation-fever.wav', 'wav'],
    ['consult-hypertension.webm', 'webm'],
    ['consult-hypertension.mp3', 'mp3'],
    ['dictation-fever.m4a', 'mp4'],
  ];
  for (const [file, container] of real) {
    test(`${file}: accepted as ${container}, refused as anything else`, () => {
      const head = read(file).subarray(0, SNIFF_BYTES);
      assert.doesNotThrow(() => sniff(head, container));
      for (const other of CONTAINERS.filter((c) => c !== container)) {
        const err = throwsCode(() => sniff(head, other), 'invalid_audio_format', `${file} as ${other}`);
        assert.equal(err.details?.expected, other);
        assert.equal(err.details?.detected, container);
      }
    });
  }

  test('an Ogg page is accepted as ogg and refused as anything else', () => {
    const head = Buffer.from([...Buffer.from('OggS'), 0x00, 0x02, 0, 0, 0, 0, 0, 0]);
    assert.doesNotThrow(() => sniff(head, 'ogg'));
    for (const other of CONTAINERS.filter((c) => c !== 'ogg')) throwsCode(() => sniff(head, other), 'invalid_audio_format', `ogg as ${other}`);
  });

  test('an MP3 without an ID3 tag (frame sync first) is accepted as mp3', () => {
    const head = Buffer.from([0xff, 0xfb, 0x90, 0x64, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.doesNotThrow(() => sniff(head, 'mp3'));
    throwsCode(() => sniff(head, 'wav'), 'invalid_audio_format', 'mp3 frame as wav');
  });

  test('a fragmented MP4 segment (styp/moof) is accepted as mp4', () => {
    for (const box of ['styp', 'moof']) {
      const head = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from(box), Buffer.alloc(4)]);
      assert.doesNotThrow(() => sniff(head, 'mp4'), box);
    }
  });
});

describe('sniff: WebM continuation chunks', () => {
  test('a MediaRecorder continuation chunk (no EBML header) is accepted as webm', () => {
    const head = webmContinuation().subarray(0, SNIFF_BYTES);
    assert.notDeepEqual([...head.subarray(0, 4)], [0x1a, 0x45, 0xdf, 0xa3]);
    assert.doesNotThrow(() => sniff(head, 'webm'));
  });

  test('…but it is not accepted as another container', () => {
    const head = webmContinuation().subarray(0, SNIFF_BYTES);
    for (const other of CONTAINERS.filter((c) => c !== 'webm')) throwsCode(() => sniff(head, other), 'invalid_audio_format', other);
  });

  test('another container or text declared as webm is refused', () => {
    for (const file of ['consult-hypertension.wav', 'consult-hypertension.mp3', 'dictation-fever.m4a']) {
      throwsCode(() => sniff(read(file).subarray(0, SNIFF_BYTES), 'webm'), 'invalid_audio_format', file);
    }
  });
});

describe('sniff: plainly not audio', () => {
  const texts = ['<!DOCTYPE html><html><body>hi</body></html>', '{"transcript": "hello"}', 'hello world, this is text', '#!/bin/sh\nrm -rf /\n'];
  for (const text of texts) {
    test(`text ${JSON.stringify(text.slice(0, 20))} is refused for every container`, () => {
      const head = Buffer.from(text).subarray(0, SNIFF_BYTES);
      for (const c of CONTAINERS) {
        const err = throwsCode(() => sniff(head, c), 'invalid_audio_format', `text as ${c}`);
        assert.equal(err.details?.detected, 'text');
      }
    });
  }

  test('an empty head is refused for every container', () => {
    for (const c of CONTAINERS) throwsCode(() => sniff(Buffer.alloc(0), c), 'invalid_audio_format', `empty as ${c}`);
  });

  test('a Windows executable is refused as wav/mp3/mp4/ogg', () => {
    const head = Buffer.concat([Buffer.from('MZ'), Buffer.from([0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0])]);
    for (const c of ['wav', 'mp3', 'mp4', 'ogg'] as const) throwsCode(() => sniff(head, c), 'invalid_audio_format', `exe as ${c}`);
  });

  test('a RIFF file that is not WAVE (e.g. AVI) is not wav', () => {
    const head = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('AVI ')]);
    throwsCode(() => sniff(head, 'wav'), 'invalid_audio_format', 'avi as wav');
  });
});

/** A WAV header declaring `dataBytes` of `bits`-bit mono at `rate` Hz (only the header: the bytes need not follow). */
function wavHead(rate: number, bits: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(Math.min(0xffffffff, 36 + dataBytes), 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE((rate * bits) / 8, 28);
  h.writeUInt16LE(bits / 8, 32);
  h.writeUInt16LE(bits, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

describe('what a header declares, checked at upload (decompression bombs)', () => {
  test('an ELF binary or a zip is refused even as WebM, whose continuation slices have no header', () => {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(64)]);
    const err = throwsCode(() => sniff(elf, 'webm'), 'invalid_audio_format', 'elf as webm');
    assert.equal(err.details?.detected, 'not audio');
    throwsCode(() => sniff(Buffer.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0]), 'webm'), 'invalid_audio_format', 'zip as webm');
    // A real continuation slice still passes.
    assert.doesNotThrow(() => sniff(webmContinuation().subarray(0, SNIFF_BYTES), 'webm'));
  });

  test('a WAV declaring 100 Hz or 8 Hz is refused with the accepted range in details', () => {
    for (const rate of [100, 8]) {
      const err = throwsCode(() => checkDeclaredAudio(wavHead(rate, 8, 10 * 1024 * 1024), 'wav', 3600), 'invalid_audio_format', `${rate} Hz`);
      assert.equal(err.details?.sample_rate, rate);
      assert.equal(err.details?.min_sample_rate, 8000);
    }
  });

  test('a WAV declaring more audio than a session holds is 413 with the limit in details', () => {
    let caught: unknown;
    try {
      checkDeclaredAudio(wavHead(8000, 8, 8000 * 7200), 'wav', 3600); // two hours in 57 MB
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof ProtocolError);
    assert.equal(caught.code, 'chunk_too_large');
    assert.equal(caught.status, 413);
    assert.equal(caught.details?.max_duration_seconds, 3600);
    assert.equal(caught.details?.declared_duration_seconds, 7200);
  });

  test('ordinary WAVs, other containers and unreadable headers pass (the decoder bounds those)', () => {
    assert.doesNotThrow(() => checkDeclaredAudio(wavHead(16000, 16, 32000 * 20), 'wav', 3600));
    assert.doesNotThrow(() => checkDeclaredAudio(wavHead(48000, 16, 0xffffffff), 'wav', 3600)); // streamed: size left open
    assert.doesNotThrow(() => checkDeclaredAudio(Buffer.from('RIFF'), 'wav', 3600));
    assert.doesNotThrow(() => checkDeclaredAudio(Buffer.alloc(100), 'ogg', 3600));
  });
});
