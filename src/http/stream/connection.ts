import { Readable } from 'node:stream';
import type { WebSocket } from 'ws';
import { writeWav } from '../../speech/audio/wav.js';
import { ProtocolError } from '../../core/errors.js';
import type { SessionService } from '../../core/sessions.js';
import type { Segmenter } from './segmenter.js';
import { StreamFrameError, type WireDecoder } from './wire-format.js';

const RATE = 16_000;
export const MAX_RATE_FACTOR = 4;
const RATE_GRACE_SEC = 2;
export const IDLE_MS = 60_000;
const TRANSCRIPT_POLL_MS = 1000;

export interface ConnectionDeps {
  sessions: SessionService;
  tenantId: string;
  sessionId: string;
  nextSeq: number;
  decoder: WireDecoder;
  segmenter: Segmenter;
  log: { warn(obj: object, msg: string): void };
  onGone(): void;
}

/**
 * One live stream: frames → 16 kHz PCM → VAD chunks stored as `<seq>.wav`
 * through the same core path as uploads; live transcripts polled from the store
 * (the recogniser may run on another node).
 */
export class StreamConnection {
  private seq: number;
  private work: Promise<void> = Promise.resolve();
  private closed = false;
  private startedAt = Date.now();
  private receivedSamples = 0;
  private warnedAt: number | undefined;
  private idle: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly sent = new Set<string>();

  constructor(
    private readonly ws: WebSocket,
    private readonly d: ConnectionDeps,
  ) {
    this.seq = d.nextSeq;
    this.touch();
    this.poll = setInterval(() => void this.sendTranscripts().catch(() => {}), TRANSCRIPT_POLL_MS);
  }

  get key(): string {
    return `${this.d.tenantId}/${this.d.sessionId}`;
  }

  send(msg: Record<string, unknown>): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(msg));
  }

  onFrame(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.touch();
    let audio;
    try {
      audio = this.d.decoder.decode(data, isBinary);
    } catch (err) {
      const e = err instanceof StreamFrameError ? err : new StreamFrameError('invalid_frame', 'the frame could not be read');
      this.fail(e.code, e.message, e.code === 'frame_too_large' ? 1009 : 1007);
      return;
    }
    this.receivedSamples += audio.pcm.length;
    if (this.overRate()) return;
    const pcm = audio.pcm;
    this.enqueue(async () => {
      for (const chunk of await this.d.segmenter.push(pcm)) await this.store(chunk);
    });
    if (audio.stop) void this.finish(1000, 'stream stopped');
  }

  /** Faster than real time ×4: warned once, disconnected if it goes on. */
  private overRate(): boolean {
    const now = Date.now();
    const allowed = ((now - this.startedAt) / 1000 + RATE_GRACE_SEC) * MAX_RATE_FACTOR * RATE;
    if (this.receivedSamples <= allowed) return false;
    if (this.warnedAt === undefined) {
      this.warnedAt = now;
      this.send({ type: 'error', code: 'rate_exceeded', message: `audio is arriving faster than ${MAX_RATE_FACTOR}× real time; slow down` });
      return false;
    }
    if (now - this.warnedAt < 2000) return false;
    this.fail('rate_exceeded', `audio kept arriving faster than ${MAX_RATE_FACTOR}× real time`, 1008);
    return true;
  }

  /** Any frame, pings included, shows the client is still there (it may be waiting for transcripts). */
  touch(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => void this.finish(1000, 'idle for 60 s'), IDLE_MS);
    this.idle.unref();
  }

  private enqueue(step: () => Promise<void>): void {
    this.work = this.work.then(step).catch((err) => {
      if (err instanceof ProtocolError) this.fail(err.code, err.message, 1008);
      else {
        this.d.log.warn({ err: { message: (err as Error).message }, session: this.d.sessionId }, 'stream chunk store failed');
        this.fail('internal_error', 'the audio could not be stored', 1011);
      }
    });
  }

  private async store(pcm: Int16Array): Promise<void> {
    const file = `stream_${this.seq}.wav`;
    const wav = writeWav(pcm);
    const chunk = await this.d.sessions.addChunk(this.d.tenantId, this.d.sessionId, {
      fileName: file,
      contentType: 'audio/wav',
      declaredLength: wav.length,
      body: Readable.from([wav]),
    });
    this.seq++;
    this.send({ type: 'chunk_stored', file: chunk.name, duration: pcm.length / RATE });
  }

  private async sendTranscripts(): Promise<void> {
    if (this.closed) return;
    const { chunks, transcripts } = await this.d.sessions.streamProgress(this.d.tenantId, this.d.sessionId);
    const byKey = new Map(transcripts.map((t) => [t.blobKey, t]));
    let offset = 0;
    for (const c of chunks) {
      const duration = Math.max(0, c.bytes - 44) / 2 / RATE;
      const t = byKey.get(c.blobKey);
      if (!t) break; // in order: nothing after a chunk still waiting
      if (!this.sent.has(c.blobKey)) {
        this.sent.add(c.blobKey);
        const text = t.segments.map((s) => s.text.trim()).filter(Boolean).join(' ');
        this.send({ type: 'transcript', file: c.name, text, start: offset, end: offset + duration, final: true });
      }
      offset += duration;
    }
  }

  /** Stores what is buffered, then closes. Resolves when the audio is stored (End Session awaits this). */
  async finish(code: number, reason: string): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.stopTimers();
      this.enqueue(async () => {
        const rest = this.d.segmenter.drain();
        if (rest) await this.store(rest);
      });
    }
    await this.work;
    this.close(code, reason);
  }

  /** The client went away: keep its audio. */
  onClose(): void {
    void this.finish(1000, 'closed');
  }

  private fail(code: string, message: string, closeCode: number): void {
    this.send({ type: 'error', code, message });
    if (!this.closed) {
      this.closed = true;
      this.stopTimers();
      // Audio already accepted is kept (a reconnect resumes after it).
      this.enqueue(async () => {
        const rest = this.d.segmenter.drain();
        if (rest && code !== 'session_ended' && code !== 'session_expired' && code !== 'session_completed') await this.store(rest);
      });
    }
    this.close(closeCode, code);
  }

  private stopTimers(): void {
    clearTimeout(this.idle);
    clearInterval(this.poll);
  }

  private close(code: number, reason: string): void {
    this.d.onGone();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason.slice(0, 120));
  }
}
