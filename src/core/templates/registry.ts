/** The templates this deployment can produce. Definitions live in ./definitions.ts. */
import { TEMPLATE_SPECS, type TemplateRules } from './definitions.js';
import type { JsonSchema } from './schemas.js';

export interface TemplateDefinition {
  id: string;
  name: string;
  description: string;
  /** Eka `document_type` of its output. */
  documentType: string;
  /** JSON Schema (draft-07) of the output; absent for templates defined elsewhere. */
  schema?: JsonSchema;
  /** How the rules extractor assembles the output. */
  rules?: TemplateRules;
  /** Instructions for an LLM extractor. */
  llmInstructions?: string;
}

export const STANDARD_TEMPLATES: readonly TemplateDefinition[] = TEMPLATE_SPECS;

export class TemplateRegistry {
  private readonly byId: Map<string, TemplateDefinition>;
  constructor(readonly templates: readonly TemplateDefinition[] = STANDARD_TEMPLATES) {
    this.byId = new Map(templates.map((t) => [t.id, t]));
  }
  get(id: string): TemplateDefinition | undefined {
    return this.byId.get(id);
  }
  /** Templates a tenant may request; every tenant gets the standard set for now. */
  forTenant(_tenantId: string): readonly TemplateDefinition[] {
    return this.templates;
  }
}
