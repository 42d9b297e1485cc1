import { ApiError, call, withRetry } from './api.js';

const TYPES: Array<[mime: string, ext: string]> = [
  ['audio/webm;codecs=opus', 'webm'],
  ['audio/ogg;codecs=opus', 'ogg'],
  ['audio/webm', 'webm'],
];
const CHUNK_MS = 10_000;

export interface UploadState {
  acked: number;
  total: number;
  retrying: boolean;
}

/**
 * Records the microphone in 10 s slices and uploads each one as it comes, in order,
 * one at a time. A failed upload is retried with backoff until it succeeds or the
 * server refuses it for good; no slice is dropped (MediaRecorder continuations have
 * no header of their own, the server joins them behind their predecessors).
 */
export class ChunkRecorder {
  private recorder?: MediaRecorder;
  private stream?: MediaStream;
  private queue: Promise<void> = Promise.resolve();
  private failure?: Error;
  private stopped?: Promise<void>;
  readonly state: UploadState = { acked: 0, total: 0, retrying: false };

  constructor(private key: string, readonly sessionId: string, private onChange: () => void) {}

  async start(): Promise<void> {
    const [mime, ext] = TYPES.find(([m]) => MediaRecorder.isTypeSupported(m)) ?? ['', 'webm'];
    // The recogniser wants the voice as it is: no echo cancelling, noise suppression or gain riding.
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    const recorder = new MediaRecorder(this.stream, mime ? { mimeType: mime } : {});
    this.recorder = recorder;
    const type = recorder.mimeType || mime || 'audio/webm';
    recorder.addEventListener('dataavailable', (e) => {
      if (e.data.size > 0) this.enqueue(e.data, type, ext);
    });
    this.stopped = new Promise((resolve) => recorder.addEventListener('stop', () => resolve(), { once: true }));
    await new Promise<void>((resolve, reject) => {
      recorder.addEventListener('start', () => resolve(), { once: true });
      recorder.addEventListener('error', (e) => reject(new Error(`Recorder error: ${String((e as ErrorEvent).message ?? e.type)}`)), { once: true });
      recorder.start(CHUNK_MS);
    });
  }

  private enqueue(blob: Blob, type: string, ext: string): void {
    const seq = this.state.total++;
    this.onChange();
    this.queue = this.queue.then(async () => {
      if (this.failure) return;
      try {
        await withRetry(
          () => call(this.key, 'POST', `/sessions/${encodeURIComponent(this.sessionId)}/audio/audio_${seq}.${ext}`, blob, type),
          () => {
            this.state.retrying = true;
            this.onChange();
          },
        );
        this.state.acked++;
      } catch (err) {
        this.failure = err instanceof Error ? err : new Error(String(err));
      }
      this.state.retrying = false;
      this.onChange();
    });
  }

  /** Stops recording and resolves when every slice is stored; the number of files sent. */
  async finish(): Promise<number> {
    if (this.recorder && this.recorder.state !== 'inactive') this.recorder.stop();
    await this.stopped;
    this.stream?.getTracks().forEach((t) => t.stop());
    // The last dataavailable fires before stop; its upload is on the queue by now.
    await this.queue;
    if (this.failure) throw this.failure instanceof ApiError ? this.failure : new Error(this.failure.message);
    return this.state.total;
  }
}
