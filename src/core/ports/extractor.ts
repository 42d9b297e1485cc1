/** Clinical extraction port: transcript in, one template's structured document out. */
export type Speaker = 'doctor' | 'patient' | 'unknown';

export interface TranscriptLine {
  speaker: Speaker;
  text: string;
  /** Seconds in the whole recording, when known. */
  start?: number;
  end?: number;
}

export interface ExtractionInput {
  /** The transcript as lines; dictation is one speaker (`doctor`). */
  lines: TranscriptLine[];
  mode: 'dictation' | 'consultation';
  language: string;
}

/** Where an extracted item came from: a span of one transcript line. */
export interface Evidence {
  line: number;
  start: number;
  end: number;
  text: string;
}

/** Something the clinician should check before signing: a field, why, and where it came from. */
export interface ReviewItem {
  /** Where in the result: "vitals.temperature", "medications.salbutamol", … */
  field: string;
  reason: string;
  evidence: Evidence[];
}

export type TemplateExtraction =
  | { status: 'success'; data: Record<string, unknown> | Record<string, unknown>[]; review?: ReviewItem[] }
  | { status: 'failed'; error: { code: 'template_not_found' | 'extraction_failed' | 'insufficient_audio' | 'timeout'; message: string } };

export interface Extractor {
  readonly id: string;
  extract(templateId: string, input: ExtractionInput): Promise<TemplateExtraction>;
}
