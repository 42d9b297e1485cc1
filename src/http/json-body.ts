import type { FastifyInstance } from 'fastify';
import { ProtocolError } from '../core/errors.js';

/**
 * How deeply `text` nests arrays and objects, stopping as soon as it passes `max`:
 * one pass over the characters, strings skipped, before any parsing work is done.
 */
export function nestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * JSON bodies: refused with 400 when nested deeper than `maxDepth` (thousands of
 * levels in a few KB overflow the stack of whatever walks the value later), then
 * parsed by Fastify's own parser (prototype-poisoning checks kept).
 */
export function boundJsonBodies(app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (nestingExceeds(text, maxDepth)) {
      done(new ProtocolError('invalid_request', `JSON nested deeper than ${maxDepth} levels`, { max_depth: maxDepth }), undefined);
      return;
    }
    void parse(request, text, done);
  });
}
