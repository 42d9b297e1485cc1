/** Speech recognition port; adapters arrive with the processing issue. */
export interface TranscriptSegment {
  start: number;
  end: number;
  text: string;
}

export interface Transcriber {
  readonly id: string;
  transcribe(pcm16kMono: Int16Array, options: { language?: string }): Promise<{ segments: TranscriptSegment[]; language: string }>;
}
