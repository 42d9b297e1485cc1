/**
 * The `llm` extractor: each template is produced by an OpenAI-compatible chat model
 * with structured output constrained to the template's JSON Schema, then validated
 * here. One corrective retry on an unusable answer. Templates the model should not
 * or cannot write go to the rules extractor. Logs carry no transcript, output or key.
 */
import type { Logger } from 'pino';
import type { TemplateDefinition } from '../../core/templates/registry.js';
import { TemplateRegistry } from '../../core/templates/registry.js';
import type { ExtractionInput, Extractor, TemplateExtraction } from '../../core/ports/extractor.js';
import { ChatClient, LlmRequestError, LlmTimeoutError, type ChatClientOptions } from './chat-client.js';
import { createAjv, OutputValidator } from './output-validator.js';
import { correctionMessage, initialMessages } from './prompt.js';
import { toWireSchema, type WireSchema } from './strict-schema.js';

export { LlmRequestError, LlmTimeoutError, LlmUnavailableError, chatCompletionsUrl } from './chat-client.js';

const ATTEMPTS = 2;

export interface LlmExtractorOptions extends ChatClientOptions {
  /** Serves templates without a schema or LLM instructions (the verbatim `transcript`). */
  fallback: Extractor;
  registry?: TemplateRegistry;
  log?: Pick<Logger, 'warn'>;
}

interface LlmTemplate {
  definition: TemplateDefinition;
  wire: WireSchema;
  validator: OutputValidator;
}

export class LlmExtractor implements Extractor {
  readonly id = 'llm';
  private readonly client: ChatClient;
  private readonly registry: TemplateRegistry;
  private readonly llmTemplates = new Map<string, LlmTemplate>();

  constructor(private readonly options: LlmExtractorOptions) {
    this.client = new ChatClient(options);
    this.registry = options.registry ?? new TemplateRegistry();
    const ajv = createAjv();
    for (const definition of this.registry.templates) {
      if (!definition.schema || !definition.llmInstructions) continue;
      this.llmTemplates.set(definition.id, {
        definition,
        wire: toWireSchema(definition.schema),
        validator: new OutputValidator(ajv, definition.schema),
      });
    }
  }

  async extract(templateId: string, input: ExtractionInput): Promise<TemplateExtraction> {
    if (!this.registry.get(templateId)) {
      return failed('template_not_found', `unknown template: ${String(templateId)}`);
    }
    const template = this.llmTemplates.get(templateId);
    if (!template) return this.options.fallback.extract(templateId, input);

    const messages = initialMessages(template.definition, input);
    const jsonSchema = { name: schemaName(templateId), schema: template.wire.schema, strict: template.wire.strict };
    let problem = '';
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      let answer;
      try {
        answer = await this.client.complete({ messages, jsonSchema });
      } catch (err) {
        if (err instanceof LlmTimeoutError) return failed('timeout', err.message);
        if (err instanceof LlmRequestError) return failed('extraction_failed', err.message);
        throw err; // unreachable / 429 / 5xx: the job is retried with backoff
      }
      if (answer.refused) return failed('extraction_failed', 'the model declined to produce this document');
      const checked = template.validator.check(answer.content, answer.finishReason);
      if (checked.ok) return { status: 'success', data: checked.data };
      problem = checked.safe;
      this.options.log?.warn({ template: templateId, attempt, problem }, 'LLM answer unusable');
      messages.push({ role: 'assistant', content: answer.content ?? '' }, correctionMessage(checked.forModel));
    }
    return failed('extraction_failed', `the model's answer ${problem} after ${ATTEMPTS} attempts`);
  }
}

function failed(code: 'template_not_found' | 'extraction_failed' | 'timeout', message: string): TemplateExtraction {
  return { status: 'failed', error: { code, message } };
}

/** `json_schema.name` allows `[A-Za-z0-9_-]{1,64}`. */
function schemaName(templateId: string): string {
  return templateId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'document';
}
