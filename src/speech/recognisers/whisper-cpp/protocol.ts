/** Messages between WhisperCppTranscriber and its engine process (host.ts). */

export interface HostInit {
  type: 'init';
  modelPath: string;
  /** CPU threads per transcription; 0 = the binding's default. */
  threads: number;
}

export type HostRequest = HostInit | { type: 'transcribe'; id: number; pcm: Int16Array; language: string } | { type: 'close' };

/** whisper.cpp's segment: text and times in milliseconds. */
export interface RawSegment {
  text: string;
  t0: number;
  t1: number;
}

export type HostReply =
  | { type: 'ready' }
  | { type: 'init-error'; message: string; bindingMissing: boolean }
  | { type: 'result'; id: number; language: string | undefined; segments: RawSegment[] }
  | { type: 'error'; id: number; message: string };
