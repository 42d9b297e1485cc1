import { text as readAll } from 'node:stream/consumers';
import { parseTranscriptText } from '../extraction/rules/index.js';
import { TemplateRegistry } from '../core/templates/registry.js';
import type { Extractor, TemplateExtraction } from '../core/ports/extractor.js';

export interface ExtractCommand {
  template: string[];
  mode: 'consultation' | 'dictation';
  format: 'json' | 'pretty';
}

/**
 * `openscribe extract`: a transcript on stdin (plain text, or `Doctor:` / `Patient:`
 * lines) → the requested templates as JSON, with the extractor the pipeline is
 * configured with (`OPENSCRIBE_EXTRACTOR`).
 */
export async function runExtract(extractor: Extractor, cmd: ExtractCommand): Promise<void> {
  const registry = new TemplateRegistry();
  const transcript = await readAll(process.stdin);
  const lines = parseTranscriptText(transcript, { defaultSpeaker: cmd.mode === 'dictation' ? 'doctor' : 'unknown' });
  const ids = cmd.template.length > 0 ? cmd.template : registry.templates.map((t) => t.id);
  const results: Record<string, TemplateExtraction> = {};
  for (const id of ids) results[id] = await extractor.extract(id, { lines, mode: cmd.mode, language: 'en' });
  const out = { templates: ids.map((id) => ({ [id]: results[id] })) };
  process.stdout.write(`${JSON.stringify(out, null, cmd.format === 'pretty' ? 2 : 0)}\n`);
  if (ids.some((id) => results[id]?.status === 'failed')) process.exitCode = 2;
}
