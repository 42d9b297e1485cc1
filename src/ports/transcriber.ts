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
  transcribe(pcm16kMono: Int16Array, options: { language?: string }): Promise<Transcription>;
  close?(): Promise<void>;
}
