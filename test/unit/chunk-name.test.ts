import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChunkName } from '../../src/core/chunk-name.js';
import { ProtocolError } from '../../src/core/errors.js';

/** Asserts that parsing throws a ProtocolError with this code (and HTTP 400). */
function refuses(name: string, requireSeq: boolean, code: 'invalid_file_name' | 'invalid_audio_format'): ProtocolError {
  let caught: unknown;
  try {
    ChunkName.parse(name, requireSeq);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ProtocolError, `${JSON.stringify(name)} (requireSeq=${requireSeq}) should be refused, got ${String(caught)}`);
  assert.equal(caught.code, code, `${JSON.stringify(name)}: ${caught.message}`);
  assert.equal(caught.status, 400);
  return caught;
}

describe('ChunkName.parse: valid chunk names', () => {
  const cases: Array<[name: string, seq: number, ext: string, stored: string]> = [
    ['audio_0.webm', 0, 'webm', '0.webm'],
    ['audio_1.webm', 1, 'webm', '1.webm'],
    ['audio_2.wav', 2, 'wav', '2.wav'],
    ['audio_10.wav', 10, 'wav', '10.wav'],
    ['audio_99999.ogg', 99_999, 'ogg', '99999.ogg'],
    ['chunk_7.opus', 7, 'opus', '7.opus'],
    ['rec_3.m4a', 3, 'm4a', '3.m4a'],
    ['rec_4.mp4', 4, 'mp4', '4.mp4'],
    ['rec_5.mp3', 5, 'mp3', '5.mp3'],
    ['AUDIO_6.WAV', 6, 'wav', '6.wav'],
    ['Audio_8.WebM', 8, 'webm', '8.webm'],
    ['my recording (take 2)_11.wav', 11, 'wav', '11.wav'],
    ['visit.2024+dr_12.webm', 12, 'webm', '12.webm'],
    ['audio_part_13.webm', 13, 'webm', '13.webm'],
    ['audio-14.webm', 14, 'webm', '14.webm'],
    ['15.wav', 15, 'wav', '15.wav'],
  ];
  for (const [name, seq, ext, stored] of cases) {
    test(`${name} → seq ${seq}, stored ${stored}`, () => {
      assert.deepEqual(ChunkName.parse(name, true), { original: name, seq, ext, stored });
      // A single upload is the whole recording: chunk 0 whatever digits its name has.
      assert.deepEqual(ChunkName.parse(name, false), { original: name, seq: 0, ext, stored: `0.${ext}` });
    });
  }

  test('a name of exactly 128 characters is accepted', () => {
    const name = `${'a'.repeat(128 - '_0.wav'.length)}_0.wav`;
    assert.equal(name.length, 128);
    assert.equal(ChunkName.parse(name, true).stored, '0.wav');
  });

  test('single uploads: a name without a sequence number is the whole recording (seq 0)', () => {
    assert.deepEqual(ChunkName.parse('recording.wav', false), { original: 'recording.wav', seq: 0, ext: 'wav', stored: '0.wav' });
    assert.deepEqual(ChunkName.parse('Consult (final).M4A', false), {
      original: 'Consult (final).M4A',
      seq: 0,
      ext: 'm4a',
      stored: '0.m4a',
    });
    assert.equal(ChunkName.parse('visit.morning.webm', false).stored, '0.webm');
  });
});

describe('ChunkName.compare: numeric order', () => {
  test('2 before 10, whatever the arrival order', () => {
    const arrived = ['audio_10.wav', 'audio_2.wav', 'audio_0.wav', 'audio_100.wav', 'audio_1.wav', 'audio_21.wav', 'audio_3.wav'];
    const sorted = arrived.map((n) => ChunkName.parse(n, true)).sort(ChunkName.compare).map((c) => c.stored);
    assert.deepEqual(sorted, ['0.wav', '1.wav', '2.wav', '3.wav', '10.wav', '21.wav', '100.wav']);
  });

  test('is a consistent comparator', () => {
    const a = ChunkName.parse('a_2.wav', true);
    const b = ChunkName.parse('b_10.wav', true);
    assert.ok(ChunkName.compare(a, b) < 0);
    assert.ok(ChunkName.compare(b, a) > 0);
    assert.equal(ChunkName.compare(a, ChunkName.parse('c_2.webm', true)), 0);
  });
});

describe('ChunkName.parse: hostile and malformed names → invalid_file_name', () => {
  const hostile: Array<[label: string, name: string]> = [
    ['parent traversal', '../x_0.wav'],
    ['deep traversal', '../../../etc/x_0.wav'],
    ['traversal inside', 'a/../x_0.wav'],
    ['forward slash', 'a/b_0.wav'],
    ['absolute path', '/etc/x_0.wav'],
    ['backslash traversal', '..\\x_0.wav'],
    ['backslash', 'a\\b_0.wav'],
    ['windows drive', 'C:\\temp\\x_0.wav'],
    ['colon (NTFS stream)', 'x_0.wav:evil'],
    ['bare ..', '..'],
    ['bare .', '.'],
    ['.. in the middle', 'a..b_0.wav'],
    ['.. before the extension', 'audio_0..wav'],
    ['leading ..', '..audio_0.wav'],
    ['hidden file', '.audio_0.wav'],
    ['leading dash', '-rf_0.wav'],
    ['NUL at the end', 'audio_0.wav\0'],
    ['NUL inside', 'audio\0_0.wav'],
    ['NUL before an extension', 'audio_0.wav\0.txt'],
    ['control char \\x01', '\x01audio_0.wav'],
    ['newline', 'audio\n_0.wav'],
    ['CRLF', 'audio_0.wav\r\n'],
    ['tab', 'audio\t_0.wav'],
    ['DEL', 'audio\x7f_0.wav'],
    ['escape sequence', 'audio\x1b[31m_0.wav'],
    ['percent-encoded traversal (literal)', '%2e%2e%2fx_0.wav'],
    ['non-ASCII', 'äudio_0.wav'],
    ['fullwidth dots and slash', '．．／x_0.wav'],
    ['right-to-left override', 'audio_0\u202evaw.exe'],
    ['shell metacharacters', 'audio;rm -rf_0.wav'],
    ['over 128 characters', `${'a'.repeat(129 - '_0.wav'.length)}_0.wav`],
    ['far over 128 characters', `${'a'.repeat(5000)}_0.wav`],
    ['empty', ''],
    ['seq above the maximum', 'audio_100000.wav'],
    ['huge seq', 'audio_99999999999999999999999.wav'],
    ['no extension', 'audio_0'],
    ['trailing dot', 'audio_0.'],
  ];
  for (const [label, name] of hostile) {
    test(`${label}: ${JSON.stringify(name.length > 60 ? `${name.slice(0, 40)}…` : name)}`, () => {
      refuses(name, true, 'invalid_file_name');
      // Sequence limits mean nothing to a single upload; every other flaw is refused there too.
      if (!label.includes('seq')) refuses(name, false, 'invalid_file_name');
    });
  }

  test('chunked sessions need a sequence number', () => {
    for (const name of ['audio.wav', 'recording.webm', 'audio_.wav', 'audio_x.wav', 'audio_1a.wav', 'audio_1.5.wav']) {
      refuses(name, true, 'invalid_file_name');
    }
  });

  test('chunked sessions refuse a zero-padded sequence number', () => {
    for (const name of ['audio_01.wav', 'audio_00.wav', 'audio_007.webm', 'audio-01.webm']) {
      refuses(name, true, 'invalid_file_name');
    }
  });

  test('the error echoes at most 128 characters of the name', () => {
    const err = refuses(`${'b'.repeat(1000)}_0.wav`, true, 'invalid_file_name');
    assert.equal((err.details?.file_name as string).length, 128);
  });
});

describe('ChunkName.parse: unsupported extensions → invalid_audio_format', () => {
  for (const name of ['audio_0.exe', 'audio_0.txt', 'audio_0.html', 'audio_0.flac', 'audio_0.sh', 'recording.exe']) {
    test(name, () => {
      const requireSeq = /_\d+\./.test(name);
      const err = refuses(name, requireSeq, 'invalid_audio_format');
      assert.ok(Array.isArray(err.details?.supported_extensions));
    });
  }
});

test('a separator cannot stand in for a sign: audio_-1.wav is not chunk 1', () => {
  assert.throws(() => ChunkName.parse('audio_-1.wav', true), /Invalid audio file name/);
  assert.throws(() => ChunkName.parse('audio--1.wav', true), /Invalid audio file name/);
  assert.equal(ChunkName.parse('audio-1.wav', true).seq, 1);
});

test('single uploads ignore digits in the name: the recording is chunk 0', () => {
  assert.equal(ChunkName.parse('visit_20240115.wav', false).stored, '0.wav');
  assert.equal(ChunkName.parse('consult_3.wav', false).stored, '0.wav');
});
