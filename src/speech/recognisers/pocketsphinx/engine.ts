/**
 * One PocketSphinx decoder (synchronous; lives inside the worker thread): the
 * stock en-us acoustic model and CMU dictionary, optionally the medical
 * vocabulary — extra pronunciations added to the dictionary and a domain LM
 * interpolated with the generic one (sphinxbase LM set, linear weights).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseWord, isFiller } from '../text.js';
import { checkModel, defaultModelPaths, loadApi, NGRAM_AUTO, PocketsphinxUnavailableError, type Api, type ModelPaths } from './native.js';

/** The committed medical vocabulary (models/medical at the package root). */
export function defaultMedicalVocabulary(): { dict: string; lm: string } {
  // src/speech/recognisers/pocketsphinx/ and dist/speech/recognisers/pocketsphinx/ are both four levels down
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'models', 'medical');
  return { dict: path.join(dir, 'medical.dict'), lm: path.join(dir, 'medical.lm') };
}

export interface VocabularyOptions {
  /** Dictionary file(s) in CMU format whose words are added to the stock dictionary. */
  dict?: string | string[];
  /** Domain LM (ARPA or binary) interpolated with the generic one. */
  lm?: string;
  /** Weight of the domain LM in the interpolation (0..1). Default 0.5. */
  lmWeight?: number;
}

export interface EngineOptions {
  model?: ModelPaths;
  /** Medical vocabulary; `false` = the stock model only. Default: the committed models/medical files. */
  vocabulary?: VocabularyOptions | false;
  /** Extra decoder arguments (e.g. ['-beam', '1e-60']). */
  decoderArgs?: string[];
}

export interface DecodedWord {
  word: string;
  /** Seconds from the start of the utterance. */
  start: number;
  end: number;
}

const FRAME_RATE = 100;

export function parseDictFile(text: string): { word: string; phones: string }[] {
  const out: { word: string; phones: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(.+?)\s*$/.exec(line);
    if (m && !line.startsWith(';;')) out.push({ word: m[1]!, phones: m[2]! });
  }
  return out;
}

export class PocketsphinxEngine {
  private readonly api: Api;
  private ps: unknown;
  private config: unknown;
  readonly addedWords: number;
  readonly search: 'generic' | 'medical';

  constructor(options: EngineOptions = {}) {
    const model = options.model ?? defaultModelPaths();
    checkModel(model);
    this.api = loadApi();
    const api = this.api;
    const argv = ['-hmm', model.hmm, '-dict', model.dict, '-logfn', '/dev/null', ...(options.decoderArgs ?? [])];
    this.config = api.cmd_ln_parse_r(null, api.ps_args(), argv.length, argv, 1);
    if (!this.config) throw new PocketsphinxUnavailableError(`bad decoder arguments: ${argv.join(' ')}`);
    this.ps = api.ps_init(this.config);
    if (!this.ps) throw new PocketsphinxUnavailableError('ps_init failed (acoustic model or dictionary unreadable)');

    const vocab: VocabularyOptions | undefined = options.vocabulary === false ? undefined : (options.vocabulary ?? defaultMedicalVocabulary());
    let added = 0;
    for (const file of vocab?.dict === undefined ? [] : Array.isArray(vocab.dict) ? vocab.dict : [vocab.dict]) {
      // base words before their (2), (3) alternatives
      const entries = parseDictFile(fs.readFileSync(file, 'utf8')).sort((a, b) => Number(a.word.includes('(')) - Number(b.word.includes('(')));
      for (const e of entries) {
        if (api.ps_lookup_word(this.ps, e.word) !== null) continue;
        if (api.ps_add_word(this.ps, e.word, e.phones, 0) >= 0) added++;
      }
    }
    this.addedWords = added;

    const lmath = api.ps_get_logmath(this.ps);
    const generic = api.ngram_model_read(this.config, model.lm, NGRAM_AUTO, lmath);
    if (!generic) throw new PocketsphinxUnavailableError(`cannot read the language model ${model.lm}`);
    let lm: unknown = generic;
    this.search = 'generic';
    if (vocab?.lm) {
      const domain = api.ngram_model_read(this.config, vocab.lm, NGRAM_AUTO, lmath);
      if (!domain) throw new PocketsphinxUnavailableError(`cannot read the domain language model ${vocab.lm}`);
      const w = Math.min(0.95, Math.max(0.05, vocab.lmWeight ?? 0.5));
      lm = api.ngram_model_set_init(this.config, [generic, domain], ['generic', 'medical'], new Float32Array([1 - w, w]), 2);
      if (!lm) throw new PocketsphinxUnavailableError('cannot interpolate the language models');
      this.search = 'medical';
    }
    if (api.ps_set_lm(this.ps, this.search, lm) < 0 || api.ps_set_search(this.ps, this.search) < 0) {
      throw new PocketsphinxUnavailableError('cannot activate the language model search');
    }
  }

  /** Decodes one utterance (whole buffer, batch CMN) to words with times. */
  decode(pcm: Int16Array): { words: DecodedWord[]; score: number } {
    const api = this.api;
    if (!this.ps) throw new Error('engine is closed');
    if (api.ps_start_utt(this.ps) < 0) throw new Error('ps_start_utt failed');
    if (pcm.length > 0 && api.ps_process_raw(this.ps, pcm, pcm.length, 0, 1) < 0) throw new Error('ps_process_raw failed');
    if (api.ps_end_utt(this.ps) < 0) throw new Error('ps_end_utt failed');
    const score = new Int32Array(1);
    const hyp = api.ps_get_hyp(this.ps, score);
    const words: DecodedWord[] = [];
    if (hyp) {
      const sf = new Int32Array(1);
      const ef = new Int32Array(1);
      for (let seg = api.ps_seg_iter(this.ps); seg; seg = api.ps_seg_next(seg)) {
        const w = api.ps_seg_word(seg);
        if (isFiller(w)) continue;
        api.ps_seg_frames(seg, sf, ef);
        words.push({ word: baseWord(w), start: sf[0]! / FRAME_RATE, end: (ef[0]! + 1) / FRAME_RATE });
      }
    }
    return { words, score: score[0]! };
  }

  close(): void {
    if (this.ps) {
      this.api.ps_free(this.ps);
      this.ps = null;
    }
    if (this.config) {
      this.api.cmd_ln_free_r(this.config);
      this.config = null;
    }
  }
}
