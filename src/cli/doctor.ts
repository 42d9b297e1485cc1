/**
 * `openscribe doctor`: checks what a deployment needs, one line each (✓ ok, ⚠ works but
 * degraded, ✗ broken, with what to do about it). Exit code 1 when anything is broken.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { locateFfmpeg } from '../speech/audio/ffmpeg.js';
import type { Config } from '../config.js';

export type CheckResult = { ok: true; detail: string; warn?: boolean } | { ok: false; detail: string; fix: string };
export interface Check {
  name: string;
  run(): Promise<CheckResult>;
}

const ok = (detail: string): CheckResult => ({ ok: true, detail });
const warn = (detail: string): CheckResult => ({ ok: true, detail, warn: true });
const fail = (detail: string, fix: string): CheckResult => ({ ok: false, detail, fix });
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const MIN_FREE_BYTES = 1024 ** 3;

function ffmpegCheck(config: Config): Check {
  return {
    name: 'ffmpeg',
    async run() {
      try {
        const info = await locateFfmpeg(config.ffmpegPath ? { path: config.ffmpegPath } : {});
        return ok(`${info.path} (${info.source}${info.version ? `, ${info.version}` : ''})`);
      } catch (err) {
        const configured = config.ffmpegPath;
        return fail(
          message(err),
          configured ? `OPENSCRIBE_FFMPEG_PATH=${configured} does not run: fix or unset it` : 'install the Debian package "ffmpeg" or set OPENSCRIBE_FFMPEG_PATH',
        );
      }
    },
  };
}

function recogniserChecks(config: Config): Check[] {
  const pocketsphinx: Check = {
    name: 'pocketsphinx',
    async run() {
      const { checkModel, loadApi } = await import('../speech/recognisers/pocketsphinx/native.js');
      const { pocketsphinxModel } = await import('../speech/recognisers/select.js');
      try {
        const model = pocketsphinxModel(config);
        checkModel(model);
        loadApi();
        return ok(`model ${model.hmm}, library loaded`);
      } catch (err) {
        return fail(message(err), 'apt-get install libpocketsphinx3 pocketsphinx-en-us (or set OPENSCRIBE_POCKETSPHINX_MODEL_DIR)');
      }
    },
  };
  const whisper = (required: boolean): Check => ({
    name: 'whisper model',
    async run() {
      const { resolveWhisperModel } = await import('../speech/recognisers/whisper-cpp/models.js');
      const { checkWhisperModelFile } = await import('../speech/recognisers/whisper-cpp/model-file.js');
      const model = resolveWhisperModel(config.whisper.model, config.modelsDir);
      if (!fs.existsSync(model.path)) {
        const fix = model.isPath ? `put the model at ${model.path} or fix OPENSCRIBE_WHISPER_MODEL` : `openscribe models pull ${model.name}`;
        return required ? fail(`${model.path} not found`, fix) : warn(`no whisper model at ${model.path}; PocketSphinx is used (better: ${fix})`);
      }
      try {
        checkWhisperModelFile(model.path);
        return ok(model.path);
      } catch (err) {
        return fail(message(err), `download it again: openscribe models pull ${model.name} --force`);
      }
    },
  });
  switch (config.transcriber) {
    case 'none':
      return [{ name: 'transcriber', run: async () => warn('OPENSCRIBE_TRANSCRIBER=none: every session finishes failed (processing_failed)') }];
    case 'pocketsphinx':
      return [pocketsphinx];
    case 'whisper-cpp':
      return [whisper(true)];
    case 'openai-compatible':
      return [{ name: 'transcriber', run: async () => ok(`openai-compatible at ${config.asrServer?.baseUrl ?? '?'}`) }];
    case 'auto':
      return [whisper(false), pocketsphinx];
  }
}

function databaseCheck(config: Config): Check {
  return {
    name: 'database',
    async run() {
      const { checkDatabase } = await import('../app.js');
      const where = config.databaseUrl ? 'PostgreSQL (OPENSCRIBE_DATABASE_URL)' : config.databasePath;
      try {
        fs.mkdirSync(path.dirname(config.databasePath), { recursive: true });
        await checkDatabase(config); // migrates: the same step every server start takes
        return ok(`${where}: open, schema up to date`);
      } catch (err) {
        return fail(
          `${where}: ${message(err)}`,
          config.databaseUrl ? 'check OPENSCRIBE_DATABASE_URL, that PostgreSQL runs and the user may create tables' : `make ${config.dataDir} a writable directory (OPENSCRIBE_DATA_DIR)`,
        );
      }
    },
  };
}

function storageCheck(config: Config): Check {
  return {
    name: 'storage',
    async run() {
      if (config.blobStore.kind !== 'fs') {
        try {
          const { pingBlobStorage } = await import('../app.js');
          await pingBlobStorage(config);
          return ok(`${config.blobStore.kind} bucket reachable`);
        } catch (err) {
          return fail(message(err), 'check OPENSCRIBE_S3_* settings and the AWS credentials');
        }
      }
      // A real write: access(W_OK) says yes to root even on a read-only mount.
      const probe = path.join(config.blobDir, `.doctor-${crypto.randomUUID()}`);
      try {
        fs.mkdirSync(config.blobDir, { recursive: true });
        fs.writeFileSync(probe, 'ok');
        fs.rmSync(probe);
        return ok(`${config.blobDir} writable`);
      } catch (err) {
        return fail(`${config.blobDir}: ${message(err)}`, `make ${config.dataDir} a writable directory (OPENSCRIBE_DATA_DIR)`);
      }
    },
  };
}

function diskCheck(config: Config): Check {
  return {
    name: 'disk space',
    async run() {
      let dir = config.dataDir;
      while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
      try {
        const s = fs.statfsSync(dir);
        const free = s.bavail * s.bsize;
        const gb = (free / 1024 ** 3).toFixed(1);
        return free >= MIN_FREE_BYTES ? ok(`${gb} GB free at ${dir}`) : fail(`only ${gb} GB free at ${dir}`, 'free disk space or move OPENSCRIBE_DATA_DIR (audio and the database need room)');
      } catch (err) {
        return fail(`${dir}: ${message(err)}`, 'make OPENSCRIBE_DATA_DIR point at a directory');
      }
    },
  };
}

export function doctorChecks(config: Config): Check[] {
  return [ffmpegCheck(config), ...recogniserChecks(config), databaseCheck(config), storageCheck(config), diskCheck(config)];
}

export async function runDoctor(config: Config, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<boolean> {
  let healthy = true;
  for (const check of doctorChecks(config)) {
    const r = await check.run().catch((err: unknown) => fail(message(err), 'see the message'));
    if (r.ok) out(`${r.warn ? '⚠' : '✓'} ${check.name}: ${r.detail}`);
    else {
      healthy = false;
      out(`✗ ${check.name}: ${r.detail}\n    fix: ${r.fix}`);
    }
  }
  out(healthy ? 'all checks passed' : 'some checks failed');
  if (!healthy) process.exitCode = 1;
  return healthy;
}
