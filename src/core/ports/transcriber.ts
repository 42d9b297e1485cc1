/** Speech recognition port. Input is always 16 kHz mono signed 16-bit PCM. */
export interface TranscriptSegment {
  /** Seconds from the start of the audio given to `transcribe`. */
  start: number;
  end: number;
  text: string;
}

export interface Transcription {
  segments: TranscriptSegment[];
  /** ISO 639-1 code of the language recognised. */
  language: string;
}

export interface Transcriber {
  /** Engine + model id, e.g. `pocketsphinx-en-us`; reported as the model behind a session. */
  readonly id: string;
  /** ISO 639-1 codes this engine can transcribe. */
  readonly languages: readonly string[];
  /** True when the engine cuts long audio at pauses itself; otherwise the pipeline splits it into ≤ 20 s pieces. */
  readonly splitsAtPauses?: boolean;
  transcribe(pcm16kMono: Int16Array, options: { language?: string }): Promise<Transcription>;
  close?(): Promise<void>;
}

/** A failure that retrying cannot fix (the engine refused this audio or request). */
export class PermanentTranscriberError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentTranscriberError';
  }
}
