/**
 * Checks a model's answer against its template's JSON Schema. Two descriptions of a
 * problem: one for the model (may quote the answer; the model wrote it) and one safe
 * to store and log (schema locations only, never answer or transcript text).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
// CommonJS: under NodeNext the default import is `module.exports`, whose `.default` is the plugin.
import ajvFormats from 'ajv-formats';
import type { JsonSchema } from '../../core/templates/schemas.js';

export type CheckedAnswer =
  | { ok: true; data: Record<string, unknown> }
  | { ok: false; forModel: string; safe: string };

const MAX_REPORTED_ERRORS = 10;

export class OutputValidator {
  private readonly validate: ValidateFunction;

  /** Compiles the schema once; a broken template schema fails here, at start-up. */
  constructor(ajv: Ajv, schema: JsonSchema) {
    this.validate = ajv.compile(schema);
  }

  check(content: string | null, finishReason: string | null): CheckedAnswer {
    const truncated = finishReason === 'length' ? ' (the answer was cut off at the output token limit)' : '';
    if (content === null || content.trim() === '') {
      return { ok: false, forModel: `the answer was empty${truncated}`, safe: `was empty${truncated}` };
    }
    let data: unknown;
    try {
      data = JSON.parse(stripCodeFence(content));
    } catch (err) {
      // V8's parse messages quote the input, so only the model hears them.
      return { ok: false, forModel: `it is not valid JSON (${(err as Error).message})${truncated}`, safe: `was not valid JSON${truncated}` };
    }
    if (!this.validate(data)) {
      const errors = (this.validate.errors ?? []).slice(0, MAX_REPORTED_ERRORS);
      return {
        ok: false,
        forModel: `it does not match the schema: ${errors.map(describeForModel).join('; ')}`,
        safe: `did not match the template schema (${[...new Set(errors.map((e) => e.schemaPath))].join(', ')})`,
      };
    }
    return { ok: true, data: data as Record<string, unknown> };
  }
}

export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false });
  ajvFormats.default(ajv);
  return ajv;
}

function describeForModel(e: ErrorObject): string {
  const where = e.instancePath || '(root)';
  const extra =
    e.keyword === 'enum' ? ` ${JSON.stringify((e.params as { allowedValues: unknown }).allowedValues)}`
    : e.keyword === 'additionalProperties' ? ` ("${(e.params as { additionalProperty: string }).additionalProperty}")`
    : '';
  return `${where} ${e.message ?? 'is invalid'}${extra}`;
}

/** Some local servers wrap JSON in a Markdown fence despite the response format. */
function stripCodeFence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return m ? m[1]! : text;
}
