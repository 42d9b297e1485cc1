/**
 * The `rules` extractor: offline, deterministic clinical extraction. One analysis of
 * the transcript (symptoms with negation and duration, vitals, medications with dose /
 * frequency / duration / action, diagnoses, allergies, investigations, advice,
 * follow-up, SOAP sections), assembled per template; every item carries evidence.
 */
import type { ExtractionInput, Extractor, TemplateExtraction } from '../../core/ports/extractor.js';
import { TemplateRegistry } from '../../core/templates/registry.js';
import { analyze, type Analysis } from './analyze.js';
import { BUILDERS } from './templates.js';

export { parseTranscriptText } from './transcript.js';
export { analyze } from './analyze.js';
export { normalizeDrugName } from './medications.js';
export type { Analysis } from './analyze.js';

const defaultRegistry = new TemplateRegistry();

/**
 * Extracts several templates from one transcript (the analysis runs once). Pure: same
 * input, same output. Unknown ids give `template_not_found`; it never throws.
 */
export function extractTemplates(
  templateIds: readonly string[],
  input: ExtractionInput,
  registry: TemplateRegistry = defaultRegistry,
  analysisOf: (input: ExtractionInput) => Analysis = analyze,
): Record<string, TemplateExtraction> {
  const out: Record<string, TemplateExtraction> = Object.create(null) as Record<string, TemplateExtraction>;
  let analysis: Analysis | null = null;
  let analysisError: unknown = null;
  for (const id of templateIds) {
    const def = registry.get(id);
    if (!def || !def.rules) {
      out[id] = { status: 'failed', error: { code: 'template_not_found', message: `unknown template: ${String(id)}` } };
      continue;
    }
    if (!analysis && !analysisError) {
      try {
        analysis = analysisOf(input);
      } catch (err) {
        analysisError = err;
      }
    }
    if (!analysis) {
      out[id] = { status: 'failed', error: { code: 'extraction_failed', message: `rules extraction failed: ${errorMessage(analysisError)}` } };
      continue;
    }
    try {
      out[id] = { status: 'success', data: BUILDERS[def.rules.builder](analysis, input), review: analysis.review };
    } catch (err) {
      out[id] = { status: 'failed', error: { code: 'extraction_failed', message: `rules extraction failed: ${errorMessage(err)}` } };
    }
  }
  return out;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class RulesExtractor implements Extractor {
  readonly id = 'rules';
  /**
   * Callers ask for one template at a time with the same transcript lines: the
   * analysis is made once per lines array (and mode, language), as extractTemplates does.
   */
  private readonly analyses = new WeakMap<readonly unknown[], { mode: string; language: string; analysis: Analysis }>();

  constructor(private readonly registry: TemplateRegistry = defaultRegistry) {}

  async extract(templateId: string, input: ExtractionInput): Promise<TemplateExtraction> {
    return extractTemplates([templateId], input, this.registry, (i) => this.analysisOf(i))[templateId]!;
  }

  private analysisOf(input: ExtractionInput): Analysis {
    const cached = this.analyses.get(input.lines);
    if (cached && cached.mode === input.mode && cached.language === input.language) return cached.analysis;
    const analysis = analyze(input);
    this.analyses.set(input.lines, { mode: input.mode, language: input.language, analysis });
    return analysis;
  }
}
