/**
 * MedScribeAlliance schemas, read at test time from the shared spec directory
 * (never copied into this repository), and an assertion that validates a
 * response body against one of their component schemas with ajv (JSON Schema
 * 2020-12, the dialect of OpenAPI 3.1).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { SHARED } from './server.js';

// ajv and ajv-formats are CommonJS; createRequire keeps their default exports simple under ESM + tsx.
const require = createRequire(import.meta.url);
const Ajv2020 = (require('ajv/dist/2020.js') as { default: new (opts: object) => AjvLike }).default;
const addFormats = require('ajv-formats') as (ajv: AjvLike) => AjvLike;

interface AjvLike {
  addSchema(schema: object, key?: string): AjvLike;
  getSchema(ref: string): ValidateFunction | undefined;
  compile(schema: object): ValidateFunction;
}

export const MSA_DIR = path.join(SHARED, 'spec/msa-schemas');

export type MsaDocument = 'sessions.openapi.json' | 'discovery.openapi.json';

/** Reads one file of the MSA spec directory as JSON. */
export function loadMsaFile<T = any>(file: string): T {
  return JSON.parse(fs.readFileSync(path.join(MSA_DIR, file), 'utf8')) as T;
}

let ajv: AjvLike | undefined;

/** One ajv instance holding both OpenAPI documents, each under its file name as `$id`. */
function instance(): AjvLike {
  if (ajv) return ajv;
  // strict: false — OpenAPI schemas carry `example`, `description`, … and the documents
  // themselves have non-schema keys (openapi, info, paths) around `components`.
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const file of ['sessions.openapi.json', 'discovery.openapi.json'] as const) {
    const doc = loadMsaFile<{ components: object }>(file);
    // Only the components are registered: internal refs are "#/components/schemas/…".
    ajv.addSchema({ $id: `https://msa.test/${file}`, components: doc.components });
  }
  return ajv;
}

/** The component schema object itself, e.g. to inspect or derive from it. */
export function msaSchema(file: MsaDocument, component: string): Record<string, any> {
  const doc = loadMsaFile<{ components: { schemas: Record<string, any> } }>(file);
  const schema = doc.components.schemas[component];
  assert.ok(schema, `${file} has no component schema ${component}`);
  return schema;
}

/** A compiled validator for `#/components/schemas/<component>` of an MSA OpenAPI document. */
export function msaValidator(file: MsaDocument, component: string): ValidateFunction {
  const ref = `https://msa.test/${file}#/components/schemas/${component}`;
  const validate = instance().getSchema(ref);
  assert.ok(validate, `cannot compile ${ref}`);
  return validate;
}

export function formatErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`).join('\n');
}

/** Asserts that `body` satisfies the MSA component schema; the message lists every violation. */
export function assertMsa(file: MsaDocument, component: string, body: unknown): void {
  const validate = msaValidator(file, component);
  const ok = validate(body);
  assert.ok(ok, `response does not match MSA ${component} (${file}):\n${formatErrors(validate.errors)}\nbody: ${JSON.stringify(body)}`);
}

/** Validates a body against an ad-hoc schema whose `$ref`s point into an MSA document. */
export function assertSchema(schema: object, body: unknown, label: string): void {
  const validate = instance().compile(schema);
  assert.ok(validate(body), `response does not match ${label}:\n${formatErrors(validate.errors)}\nbody: ${JSON.stringify(body)}`);
}

/** Reference to a component, for use inside `assertSchema` schemas. */
export const msaRef = (file: MsaDocument, component: string) => ({ $ref: `https://msa.test/${file}#/components/schemas/${component}` });
