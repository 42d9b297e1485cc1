/**
 * Which speech recogniser a process runs, from `OPENSCRIBE_TRANSCRIBER`.
 * `auto` never fails start-up: whisper.cpp when its model file is present,
 * else PocketSphinx when installed, else none (sessions then finish `failed`).
 * A named engine that cannot start stops start-up with the reason. A remote
 * server is never chosen by `auto`: sending audio off the machine is a decision.
 */
import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { TranscriberInfo } from '../../core/discovery.js';
import type { Transcriber } from '../../core/ports/transcriber.js';
import { OpenAiTranscriber } from './openai/index.js';
import { defaultMedicalVocabulary, PocketsphinxTranscriber } from './pocketsphinx/index.js';
import { checkModel, defaultModelPaths } from './pocketsphinx/native.js';
import { resolveWhisperModel, WhisperCppTranscriber } from './whisper-cpp/index.js';

type Engine = Exclude<Config['transcriber'], 'auto' | 'none'>;

async function start(engine: Engine, config: Config): Promise<Transcriber & { note?: string | undefined }> {
  switch (engine) {
    case 'pocketsphinx':
      return PocketsphinxTranscriber.create({ model: pocketsphinxModel(config) });
    case 'whisper-cpp':
      return WhisperCppTranscriber.create({ model: resolveWhisperModel(config.whisper.model, config.modelsDir), threads: config.whisper.threads });
    case 'openai-compatible':
      if (!config.asrServer) throw new Error('OPENSCRIBE_ASR_BASE_URL is not set');
      return new OpenAiTranscriber(config.asrServer);
  }
}

function ready(t: Transcriber & { note?: string | undefined }, log: Logger): Transcriber {
  log.info({ transcriber: t.id, note: t.note }, 'speech recogniser ready');
  return t;
}

/** Opens the recogniser config names; undefined when there is none (`none`, or `auto` found nothing usable). */
export async function openTranscriber(config: Config, log: Logger): Promise<Transcriber | undefined> {
  const choice = config.transcriber;
  if (choice === 'none') return undefined;
  if (choice !== 'auto') {
    try {
      return ready(await start(choice, config), log);
    } catch (err) {
      throw new Error(`speech recogniser ${choice} (OPENSCRIBE_TRANSCRIBER) cannot start: ${(err as Error).message}`, { cause: err });
    }
  }
  const whisper = resolveWhisperModel(config.whisper.model, config.modelsDir);
  if (fs.existsSync(whisper.path)) {
    try {
      return ready(await start('whisper-cpp', config), log);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'whisper.cpp model present but unusable; trying PocketSphinx');
    }
  }
  try {
    return ready(await start('pocketsphinx', config), log);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'no speech recogniser available: sessions will finish failed (processing_failed)');
    return undefined;
  }
}

/** PocketSphinx's model files under the configured folder (Debian's en-us by default). */
export const pocketsphinxModel = (config: Pick<Config, 'pocketsphinxModelDir'>) => defaultModelPaths(config.pocketsphinxModelDir ?? undefined);

function pocketsphinxInstalled(config: Config): boolean {
  try {
    checkModel(pocketsphinxModel(config));
    return true;
  } catch {
    return false;
  }
}

/**
 * What a process that opens no recogniser (`serve --no-worker`) advertises: the
 * engine its workers will run under the same configuration, judged from files
 * present here without loading anything. Workers on other machines must share
 * the configuration (and, for `auto`, the model files) for this to hold.
 */
export function describeConfiguredTranscriber(config: Config): TranscriberInfo | undefined {
  const whisper = resolveWhisperModel(config.whisper.model, config.modelsDir);
  const pocketsphinx = (): TranscriberInfo => {
    const { dict, lm } = defaultMedicalVocabulary();
    return { id: fs.existsSync(dict) && fs.existsSync(lm) ? 'pocketsphinx-en-us-medical' : 'pocketsphinx-en-us', languages: ['en'] };
  };
  switch (config.transcriber) {
    case 'none':
      return undefined;
    case 'pocketsphinx':
      return pocketsphinx();
    case 'whisper-cpp':
      return WhisperCppTranscriber.describe(whisper);
    case 'openai-compatible':
      return config.asrServer && new OpenAiTranscriber(config.asrServer);
    case 'auto':
      if (fs.existsSync(whisper.path)) return WhisperCppTranscriber.describe(whisper);
      return pocketsphinxInstalled(config) ? pocketsphinx() : undefined;
  }
}
