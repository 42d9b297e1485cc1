/** The messages sent to the model for one template. */
import type { TemplateDefinition } from '../../core/templates/registry.js';
import type { ExtractionInput, Speaker } from '../../core/ports/extractor.js';
import type { ChatMessage } from './chat-client.js';

const SPEAKER_LABEL: Record<Speaker, string> = { doctor: 'Doctor', patient: 'Patient', unknown: 'Speaker' };

/** `[i] Doctor: text`, one line per utterance; `i` is the index evidence refers to. */
export function numberedTranscript(input: ExtractionInput): string {
  // A line break inside an utterance would forge a numbered line; a space keeps offsets.
  return input.lines.map((l, i) => `[${i}] ${SPEAKER_LABEL[l.speaker]}: ${l.text.replace(/[\r\n]/g, ' ')}`).join('\n');
}

export function systemPrompt(template: TemplateDefinition, input: ExtractionInput): string {
  const source = input.mode === 'dictation' ? 'a clinical dictation by the doctor' : 'a doctor–patient consultation';
  return [
    `You are a clinical documentation assistant. From the transcript of ${source} (language: ${input.language}), produce the "${template.name}" document: ${template.description}`,
    template.llmInstructions ?? '',
    'The transcript comes one utterance per line as `[i] Speaker: text`. In evidence, `line` is that index i, and `start`/`end` are character offsets into the text after "Speaker: ".',
    'Answer with one JSON object that matches the response schema, and nothing else.',
  ].filter(Boolean).join('\n\n');
}

export function initialMessages(template: TemplateDefinition, input: ExtractionInput): ChatMessage[] {
  return [
    { role: 'system', content: systemPrompt(template, input) },
    { role: 'user', content: `Transcript:\n${numberedTranscript(input)}` },
  ];
}

/** The follow-up after an unusable answer: what was wrong, and ask again. */
export function correctionMessage(problem: string): ChatMessage {
  return {
    role: 'user',
    content: `Your previous answer could not be used: ${problem}. Answer again with only the corrected JSON object matching the response schema.`,
  };
}
