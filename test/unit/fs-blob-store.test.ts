import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { FsBlobStore } from '../../src/adapters/blob/fs-blob-store.js';

let base: string;
let root: string;
let store: FsBlobStore;

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'openscribe-blobs-'));
  root = path.join(base, 'blobs');
  store = new FsBlobStore(root);
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

/** Every file and directory under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map((p) => p.split(path.sep).join('/')).sort();
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const piece of stream) parts.push(Buffer.from(piece as Uint8Array));
  return Buffer.concat(parts);
}

/** A body that yields `pieces` buffers of `size` bytes, each filled with its index. */
function pieces(count: number, size: number): { stream: Readable; bytes: Buffer } {
  const parts = Array.from({ length: count }, (_, i) => Buffer.alloc(size, i + 1));
  return { stream: Readable.from(parts), bytes: Buffer.concat(parts) };
}

describe('FsBlobStore.put / get', () => {
  test('creates the root and stores the bytes exactly under the key', async () => {
    assert.ok(fs.statSync(root).isDirectory());
    const { stream, bytes } = pieces(5, 70_000);
    const result = await store.put('ten_a/ses_1/0.abc.wav', stream);
    assert.deepEqual(result, { bytes: bytes.length });
    assert.deepEqual(fs.readFileSync(path.join(root, 'ten_a/ses_1/0.abc.wav')), bytes);
    assert.deepEqual(await readAll(await store.get('ten_a/ses_1/0.abc.wav')), bytes);
    assert.deepEqual(tree(root), ['ten_a', 'ten_a/ses_1', 'ten_a/ses_1/0.abc.wav']);
  });

  test('an empty body stores an empty file', async () => {
    assert.deepEqual(await store.put('t/s/e.wav', Readable.from([])), { bytes: 0 });
    assert.equal(fs.statSync(path.join(root, 't/s/e.wav')).size, 0);
  });

  test('inspect sees every piece, in order, with the running total', async () => {
    const { stream, bytes } = pieces(4, 1000);
    const seen: Array<[number, number]> = [];
    const collected: Buffer[] = [];
    await store.put('t/s/x.wav', stream, (piece, total) => {
      collected.push(Buffer.from(piece));
      seen.push([piece.length, total]);
    });
    assert.deepEqual(seen, [
      [1000, 1000],
      [1000, 2000],
      [1000, 3000],
      [1000, 4000],
    ]);
    assert.deepEqual(Buffer.concat(collected), bytes);
  });

  test('a put over an existing key replaces it whole', async () => {
    await store.put('t/s/k.wav', Readable.from([Buffer.from('old old old old')]));
    await store.put('t/s/k.wav', Readable.from([Buffer.from('new')]));
    assert.equal(fs.readFileSync(path.join(root, 't/s/k.wav'), 'utf8'), 'new');
    assert.deepEqual(tree(path.join(root, 't/s')), ['k.wav']);
  });

  test('get of a missing key rejects', async () => {
    await assert.rejects(store.get('t/s/missing.wav'), { code: 'ENOENT' });
  });
});

describe('FsBlobStore.put is atomic', () => {
  test('an inspect callback that throws midway leaves no file and no temp file', async () => {
    const { stream } = pieces(10, 64 * 1024);
    const boom = new Error('too large');
    let calls = 0;
    await assert.rejects(
      store.put('t/s/0.abc.wav', stream, (_piece, total) => {
        calls++;
        if (total > 3 * 64 * 1024) throw boom;
      }),
      (err) => err === boom,
    );
    assert.equal(calls, 4, 'put stops reading at the first throw');
    assert.ok(!stream.destroyed, 'the body is left to its owner (the HTTP layer reads the rest)');
    assert.equal(fs.existsSync(path.join(root, 't/s/0.abc.wav')), false);
    assert.deepEqual(tree(path.join(root, 't/s')), [], 'no temp file left behind');
    assert.deepEqual(await store.list('t/s'), []);
    await assert.rejects(store.get('t/s/0.abc.wav'));
  });

  test('an inspect that throws on the first piece leaves nothing', async () => {
    await assert.rejects(
      store.put('t/s/1.wav', Readable.from([Buffer.from('<html>')]), () => {
        throw new Error('not audio');
      }),
      /not audio/,
    );
    assert.deepEqual(tree(path.join(root, 't/s')), []);
  });

  test('a failed put over an existing key keeps the old bytes untouched', async () => {
    await store.put('t/s/k.wav', Readable.from([Buffer.from('the good bytes')]));
    await assert.rejects(
      store.put('t/s/k.wav', pieces(3, 1000).stream, (_p, total) => {
        if (total > 1000) throw new Error('abort');
      }),
      /abort/,
    );
    assert.equal(fs.readFileSync(path.join(root, 't/s/k.wav'), 'utf8'), 'the good bytes');
    assert.deepEqual(tree(path.join(root, 't/s')), ['k.wav']);
  });

  test('a body that errors midway (client went away) leaves no file and no temp file', async () => {
    async function* failing() {
      yield Buffer.alloc(1000, 1);
      yield Buffer.alloc(1000, 2);
      throw new Error('ECONNRESET');
    }
    await assert.rejects(store.put('t/s/2.wav', Readable.from(failing())), /ECONNRESET/);
    assert.deepEqual(tree(path.join(root, 't/s')), []);
  });

  test('while a put is in flight, the final key does not exist and list hides the temp file', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow() {
      yield Buffer.from('first half ');
      await gate;
      yield Buffer.from('second half');
    }
    const pending = store.put('t/s/3.wav', Readable.from(slow()));
    // Wait until the temp file shows up on disk.
    for (let i = 0; i < 200 && tree(path.join(root, 't/s')).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const during = tree(path.join(root, 't/s'));
    assert.equal(during.length, 1);
    assert.notEqual(during[0], '3.wav', 'bytes are written to a temp name first');
    assert.equal(fs.existsSync(path.join(root, 't/s/3.wav')), false);
    assert.deepEqual(await store.list('t/s'), [], 'list never shows a temp file');
    release();
    await pending;
    assert.deepEqual(tree(path.join(root, 't/s')), ['3.wav']);
    assert.equal(fs.readFileSync(path.join(root, 't/s/3.wav'), 'utf8'), 'first half second half');
  });

  test('concurrent puts to different keys of one folder all land', async () => {
    const keys = Array.from({ length: 16 }, (_, i) => `t/s/${i}.wav`);
    await Promise.all(keys.map((k, i) => store.put(k, Readable.from([Buffer.alloc(10_000, i)]))));
    assert.equal((await store.list('t/s')).length, 16);
    assert.equal(tree(path.join(root, 't/s')).length, 16);
  });
});

describe('FsBlobStore refuses keys that escape the root', () => {
  const escaping = [
    '../x.wav',
    '../../etc/passwd',
    'a/../../x.wav',
    't/s/../../../x.wav',
    '../blobs-evil/x.wav', // a sibling whose name starts with the root's name
    '/etc/passwd',
    path.join(os.tmpdir(), 'openscribe-escape.wav'),
    '',
    '.',
    't/..',
    't/s/x\0.wav',
  ];

  for (const key of escaping) {
    test(`${JSON.stringify(key)} is refused by put/get/delete/deletePrefix/list and nothing is written`, async () => {
      const before = tree(base);
      await assert.rejects(store.put(key, Readable.from([Buffer.from('evil')])), /escapes/);
      await assert.rejects(store.get(key), /escapes/);
      await assert.rejects(store.delete(key), /escapes/);
      await assert.rejects(store.deletePrefix(key), /escapes/);
      await assert.rejects(store.list(key), /escapes/);
      assert.deepEqual(tree(base), before);
      assert.equal(fs.existsSync(path.join(base, 'x.wav')), false);
      assert.equal(fs.existsSync(path.join(base, 'blobs-evil')), false);
      assert.equal(fs.existsSync(path.join(os.tmpdir(), 'openscribe-escape.wav')), false);
    });
  }

  test('deletePrefix of the root itself is refused and keeps every blob', async () => {
    await store.put('t/s/0.wav', Readable.from([Buffer.from('keep')]));
    for (const prefix of ['', '.', './', 't/..']) await assert.rejects(store.deletePrefix(prefix), /escapes/);
    assert.deepEqual(await store.list('t/s'), ['t/s/0.wav']);
  });
});

describe('FsBlobStore.list / delete / deletePrefix', () => {
  test('list returns the keys under a prefix, sorted, without temp files', async () => {
    for (const name of ['2.b.wav', '10.a.wav', '0.c.webm', '1.d.wav']) {
      await store.put(`t/s/${name}`, Readable.from([Buffer.from(name)]));
    }
    // A leftover temp file (e.g. from a crash mid-put) is never listed.
    fs.writeFileSync(path.join(root, 't/s/3.e.wav.tmp-abcdef123456'), 'partial');
    assert.deepEqual(await store.list('t/s'), ['t/s/0.c.webm', 't/s/1.d.wav', 't/s/10.a.wav', 't/s/2.b.wav']);
  });

  test('list of a missing prefix is empty', async () => {
    assert.deepEqual(await store.list('t/nope'), []);
  });

  test('delete removes one blob and is idempotent', async () => {
    await store.put('t/s/0.wav', Readable.from([Buffer.from('a')]));
    await store.put('t/s/1.wav', Readable.from([Buffer.from('b')]));
    await store.delete('t/s/0.wav');
    await store.delete('t/s/0.wav');
    await store.delete('t/s/never.wav');
    assert.deepEqual(await store.list('t/s'), ['t/s/1.wav']);
  });

  test('deletePrefix removes one session folder and leaves its siblings', async () => {
    await store.put('t/s1/0.wav', Readable.from([Buffer.from('a')]));
    await store.put('t/s1/1.wav', Readable.from([Buffer.from('b')]));
    await store.put('t/s10/0.wav', Readable.from([Buffer.from('c')]));
    await store.put('u/s1/0.wav', Readable.from([Buffer.from('d')]));
    await store.deletePrefix('t/s1');
    await store.deletePrefix('t/s1');
    assert.deepEqual(await store.list('t/s1'), []);
    assert.equal(fs.existsSync(path.join(root, 't/s1')), false);
    assert.deepEqual(await store.list('t/s10'), ['t/s10/0.wav']);
    assert.deepEqual(await store.list('u/s1'), ['u/s1/0.wav']);
  });

  test('ping succeeds on a writable root', async () => {
    await store.ping();
  });
});
