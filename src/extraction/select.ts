/** The clinical extractor named by config (`OPENSCRIBE_EXTRACTOR`). */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Extractor } from '../core/ports/extractor.js';
import { LlmExtractor } from './llm/index.js';
import { RulesExtractor } from './rules/index.js';

export function selectExtractor(config: Pick<Config, 'extractor' | 'llm'>, log?: Pick<Logger, 'warn'>): Extractor {
  const rules = new RulesExtractor();
  if (config.extractor === 'rules') return rules;
  if (!config.llm) throw new Error('OPENSCRIBE_EXTRACTOR=llm needs the OPENSCRIBE_LLM_* settings'); // loadConfig enforces this
  // The rules extractor stays the fallback for templates the model does not write (the transcript).
  return new LlmExtractor({ ...config.llm, fallback: rules, ...(log ? { log } : {}) });
}
