/**
 * The response schema sent to the model, derived from a template's JSON Schema.
 * OpenAI's strict structured outputs accept only a subset of JSON Schema (every
 * subschema typed, no string-length keywords); local providers accept that subset
 * too. The full template schema is still enforced locally on every answer.
 */
import type { JsonSchema } from '../../core/templates/schemas.js';

/** Keywords outside the strict subset; ajv checks them on our side instead. */
const DROPPED = new Set(['minLength', 'maxLength', '$schema', '$comment']);
const SCHEMA_MAPS = ['properties', 'definitions', '$defs', 'patternProperties'];
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SCHEMA_VALUES = ['items', 'additionalProperties', 'not', 'contains'];

export interface WireSchema {
  schema: JsonSchema;
  /** True when the schema meets strict mode's rules: every object closed, every property required. */
  strict: boolean;
}

export function toWireSchema(schema: JsonSchema): WireSchema {
  const state = { strict: true };
  return { schema: convert(schema, state), strict: state.strict };
}

function convert(schema: JsonSchema, state: { strict: boolean }): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key)) continue;
    if (SCHEMA_MAPS.includes(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isObject(v) ? convert(v, state) : v]));
    } else if (SCHEMA_LISTS.includes(key) && Array.isArray(value)) {
      out[key] = value.map((v) => (isObject(v) ? convert(v, state) : v));
    } else if (SCHEMA_VALUES.includes(key) && isObject(value)) {
      out[key] = convert(value, state);
    } else {
      out[key] = value;
    }
  }
  // Strict mode needs a `type` on every subschema: infer it for enum/const-only ones.
  if (out.type === undefined && (Array.isArray(out.enum) || 'const' in out)) {
    const types = inferTypes(Array.isArray(out.enum) ? out.enum : [out.const]);
    if (types) out.type = types.length === 1 ? types[0] : types;
  }
  if (isObject(out.properties)) {
    const required = Array.isArray(out.required) ? out.required : [];
    const allRequired = Object.keys(out.properties).every((k) => required.includes(k));
    if (out.additionalProperties !== false || !allRequired) state.strict = false;
  }
  return out;
}

function inferTypes(values: unknown[]): string[] | undefined {
  const types = new Set<string>();
  for (const v of values) {
    if (v === null) types.add('null');
    else if (typeof v === 'string') types.add('string');
    else if (typeof v === 'boolean') types.add('boolean');
    else if (typeof v === 'number') types.add(Number.isInteger(v) ? 'integer' : 'number');
    else return undefined;
  }
  if (types.has('number')) types.delete('integer');
  return [...types];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
