/**
 * `openscribe models list | pull <name>`: whisper.cpp models in the models dir.
 * A pull streams to a temp file beside the target while hashing, checks the
 * checksum, then renames it into place (and fsyncs the directory): a model
 * file is either whole and verified or absent.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { isModelName, KNOWN_WHISPER_MODELS, knownWhisperModel, modelFileName, resolveWhisperModel } from '../speech/recognisers/whisper-cpp/index.js';
import type { Config } from '../config.js';

export interface PullOptions {
  url?: string;
  sha256?: string;
  sha1?: string;
  force?: boolean;
}

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

/** The checksum a pull is held to: an explicit one, else the catalogue's SHA-1 for a known name. */
function expectedChecksum(name: string, opts: PullOptions): { algorithm: 'sha1' | 'sha256'; hex: string } | undefined {
  if (opts.sha256 !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(opts.sha256)) throw new Error('--sha256 must be 64 hexadecimal digits');
    return { algorithm: 'sha256', hex: opts.sha256.toLowerCase() };
  }
  if (opts.sha1 !== undefined) {
    if (!/^[0-9a-fA-F]{40}$/.test(opts.sha1)) throw new Error('--sha1 must be 40 hexadecimal digits');
    return { algorithm: 'sha1', hex: opts.sha1.toLowerCase() };
  }
  const known = knownWhisperModel(name);
  return known && { algorithm: 'sha1', hex: known.sha1 };
}

/** Progress on stderr: a redrawn bar on a terminal, a line per 10 % (or per 100 MiB without a length) otherwise. */
function progress(name: string, total: number | undefined): { update(done: number): void; end(): void } {
  const tty = process.stderr.isTTY === true;
  let lastStep = -1;
  let lastDraw = 0;
  return {
    update(done) {
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 100 && done !== total) return;
        lastDraw = now;
        const frac = total ? Math.min(1, done / total) : 0;
        const bar = total ? `[${'#'.repeat(Math.round(frac * 30)).padEnd(30, '.')}] ${String(Math.floor(frac * 100)).padStart(3)}% ` : '';
        process.stderr.write(`\r${name} ${bar}${mib(done)}${total ? ` of ${mib(total)}` : ''}   `);
        return;
      }
      const step = total ? Math.floor((done / total) * 10) : Math.floor(done / (100 * MiB));
      if (step === lastStep) return;
      lastStep = step;
      process.stderr.write(total ? `${name}: ${step * 10}% (${mib(done)} of ${mib(total)})\n` : `${name}: ${mib(done)}\n`);
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}

export async function runModelsPull(config: Config, name: string, opts: PullOptions = {}): Promise<void> {
  if (!isModelName(name)) throw new Error(`not a model name: ${JSON.stringify(name)}`);
  const known = knownWhisperModel(name);
  if (!known && !opts.url) {
    throw new Error(`unknown model ${JSON.stringify(name)}; known: ${KNOWN_WHISPER_MODELS.map((m) => m.name).join(', ')} (or give --url and --sha256)`);
  }
  const url = opts.url ?? `${config.modelsBaseUrl}/${modelFileName(name)}`;
  if (!/^https?:\/\//.test(url)) throw new Error('--url must be an http(s) URL');
  const expected = expectedChecksum(name, opts);
  const dest = path.join(config.modelsDir, modelFileName(name));
  if (fs.existsSync(dest) && !opts.force) {
    process.stdout.write(`${name} is already present: ${dest} (--force downloads it again)\n`);
    return;
  }
  if (!expected) process.stderr.write(`warning: no checksum to verify ${name} against (pass --sha256); its SHA-256 is printed at the end\n`);

  fs.mkdirSync(config.modelsDir, { recursive: true });
  const tmp = `${dest}.${process.pid}.part`;
  const discard = () => fs.rmSync(tmp, { force: true });
  const onSignal = () => {
    discard();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const res = await fetch(url, { redirect: 'follow' });
    if (!res.ok || !res.body) throw new Error(`download of ${name} failed: HTTP ${res.status} from ${new URL(url).host}`);
    const length = Number(res.headers.get('content-length'));
    const total = Number.isFinite(length) && length > 0 ? length : undefined;
    const sha1 = createHash('sha1');
    const sha256 = createHash('sha256');
    const bar = progress(name, total);
    const fh = await fs.promises.open(tmp, 'w');
    let done = 0;
    try {
      for await (const chunk of Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
        const buf = chunk as Buffer;
        sha1.update(buf);
        sha256.update(buf);
        await fh.write(buf);
        done += buf.length;
        bar.update(done);
      }
      await fh.datasync();
    } catch (err) {
      throw new Error(`download of ${name} broke off after ${mib(done)}: ${(err as Error).message}`, { cause: err });
    } finally {
      await fh.close();
      bar.end();
    }
    if (total !== undefined && done !== total) throw new Error(`download of ${name} ended early: ${done} of ${total} bytes`);
    const got = { sha1: sha1.digest('hex'), sha256: sha256.digest('hex') };
    if (expected && got[expected.algorithm] !== expected.hex) {
      throw new Error(`checksum mismatch for ${name}: expected ${expected.algorithm} ${expected.hex}, got ${got[expected.algorithm]}; the download was discarded`);
    }
    fs.renameSync(tmp, dest);
    const dir = fs.openSync(config.modelsDir, 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
    const verified = expected ? `${expected.algorithm} verified` : 'not verified';
    process.stdout.write(`${name}: ${mib(done)}, ${verified}, sha256 ${got.sha256}\nsaved to ${dest}\n`);
    if (resolveWhisperModel(config.whisper.model, config.modelsDir).path !== dest) {
      process.stdout.write(`to use it: OPENSCRIBE_WHISPER_MODEL=${name}\n`);
    }
  } catch (err) {
    discard();
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function runModelsList(config: Config): Promise<void> {
  const configured = resolveWhisperModel(config.whisper.model, config.modelsDir).path;
  const present = new Map<string, number>();
  for (const f of fs.existsSync(config.modelsDir) ? fs.readdirSync(config.modelsDir) : []) {
    const m = /^ggml-(.+)\.bin$/.exec(f);
    if (m) present.set(m[1]!, fs.statSync(path.join(config.modelsDir, f)).size);
  }
  const rows = [
    ...KNOWN_WHISPER_MODELS.map((m) => ({ name: m.name, size: m.size })),
    ...[...present.keys()].filter((n) => !knownWhisperModel(n)).map((n) => ({ name: n, size: '(not in the catalogue)' })),
  ];
  const lines = [`whisper.cpp models in ${config.modelsDir}`, `${'name'.padEnd(16)}${'size'.padEnd(24)}present`];
  for (const r of rows) {
    const bytes = present.get(r.name);
    const here = bytes === undefined ? '-' : `yes (${mib(bytes)})`;
    const mark = path.join(config.modelsDir, modelFileName(r.name)) === configured ? '  ← OPENSCRIBE_WHISPER_MODEL' : '';
    lines.push(`${r.name.padEnd(16)}${r.size.padEnd(24)}${here}${mark}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
