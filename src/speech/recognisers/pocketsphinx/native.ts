/**
 * A small FFI binding (koffi) to Debian's libpocketsphinx3 (PocketSphinx
 * 5prealpha) and libsphinxbase3. Only what the transcriber needs: a decoder
 * with an acoustic model and dictionary, words added at run time, n-gram
 * language models (optionally interpolated as a set), and per-utterance
 * decoding with word times. Everything here is synchronous and must run off
 * the main thread (see worker.ts).
 */
import fs from 'node:fs';
import koffi from 'koffi';

export class PocketsphinxUnavailableError extends Error {
  override name = 'PocketsphinxUnavailableError';
}

/** Where Debian's pocketsphinx-en-us puts the model. */
export const DEBIAN_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

export interface ModelPaths {
  /** Acoustic model folder (mdef, means, …). */
  hmm: string;
  /** Pronunciation dictionary. */
  dict: string;
  /** Generic n-gram LM (ARPA or .lm.bin). */
  lm: string;
}

export function defaultModelPaths(dir: string = DEBIAN_MODEL_DIR): ModelPaths {
  return { hmm: `${dir}/en-us`, dict: `${dir}/cmudict-en-us.dict`, lm: `${dir}/en-us.lm.bin` };
}

export function checkModel(paths: ModelPaths): void {
  for (const [what, p] of [
    ['acoustic model', `${paths.hmm}/mdef`],
    ['dictionary', paths.dict],
    ['language model', paths.lm],
  ] as const) {
    if (!fs.existsSync(p)) {
      throw new PocketsphinxUnavailableError(`PocketSphinx ${what} not found at ${p} (install the Debian package pocketsphinx-en-us)`);
    }
  }
}

const LIBS = {
  pocketsphinx: ['libpocketsphinx.so.3', 'libpocketsphinx.so'],
  sphinxbase: ['libsphinxbase.so.3', 'libsphinxbase.so'],
};

function open(names: string[]): ReturnType<typeof koffi.load> {
  const errors: string[] = [];
  for (const n of names) {
    try {
      return koffi.load(n);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  throw new PocketsphinxUnavailableError(`cannot load ${names[0]} (install the Debian package libpocketsphinx3): ${errors[0] ?? ''}`);
}

type Ptr = unknown;

export interface Api {
  ps_args(): Ptr;
  cmd_ln_parse_r(inout: Ptr, defn: Ptr, argc: number, argv: string[], strict: number): Ptr;
  cmd_ln_free_r(cmdln: Ptr): number;
  ps_init(config: Ptr): Ptr;
  ps_free(ps: Ptr): number;
  ps_get_logmath(ps: Ptr): Ptr;
  ps_add_word(ps: Ptr, word: string, phones: string, update: number): number;
  ps_lookup_word(ps: Ptr, word: string): string | null;
  ps_set_lm(ps: Ptr, name: string, lm: Ptr): number;
  ps_set_search(ps: Ptr, name: string): number;
  ps_start_utt(ps: Ptr): number;
  ps_process_raw(ps: Ptr, data: Int16Array, n: number, noSearch: number, fullUtt: number): number;
  ps_end_utt(ps: Ptr): number;
  ps_get_hyp(ps: Ptr, score: Int32Array): string | null;
  ps_seg_iter(ps: Ptr): Ptr;
  ps_seg_next(seg: Ptr): Ptr;
  ps_seg_word(seg: Ptr): string;
  ps_seg_frames(seg: Ptr, sf: Int32Array, ef: Int32Array): void;
  ps_seg_prob(seg: Ptr, ascr: Int32Array, lscr: Int32Array, lback: Int32Array): number;
  ps_seg_free(seg: Ptr): void;
  ngram_model_read(config: Ptr, file: string, type: number, lmath: Ptr): Ptr;
  ngram_model_set_init(config: Ptr, models: Ptr[], names: string[], weights: Float32Array, n: number): Ptr;
  ngram_model_free(model: Ptr): number;
  ngram_model_add_word(model: Ptr, word: string, weight: number): number;
  logmath_exp(lmath: Ptr, logb: number): number;
}

let api: Api | undefined;

export function loadApi(): Api {
  if (api) return api;
  const sb = open(LIBS.sphinxbase);
  const ps = open(LIBS.pocketsphinx);
  for (const t of ['cmd_ln_t', 'arg_t', 'ps_decoder_t', 'ps_seg_t', 'ngram_model_t', 'logmath_t']) koffi.opaque(t);
  api = {
    ps_args: ps.func('arg_t *ps_args(void)'),
    cmd_ln_parse_r: sb.func('cmd_ln_t *cmd_ln_parse_r(cmd_ln_t *inout, const arg_t *defn, int32_t argc, const char **argv, int32_t strict)'),
    cmd_ln_free_r: sb.func('int cmd_ln_free_r(cmd_ln_t *cmdln)'),
    ps_init: ps.func('ps_decoder_t *ps_init(cmd_ln_t *config)'),
    ps_free: ps.func('int ps_free(ps_decoder_t *ps)'),
    ps_get_logmath: ps.func('logmath_t *ps_get_logmath(ps_decoder_t *ps)'),
    ps_add_word: ps.func('int ps_add_word(ps_decoder_t *ps, const char *word, const char *phones, int update)'),
    ps_lookup_word: ps.func('const char *ps_lookup_word(ps_decoder_t *ps, const char *word)'),
    ps_set_lm: ps.func('int ps_set_lm(ps_decoder_t *ps, const char *name, ngram_model_t *lm)'),
    ps_set_search: ps.func('int ps_set_search(ps_decoder_t *ps, const char *name)'),
    ps_start_utt: ps.func('int ps_start_utt(ps_decoder_t *ps)'),
    ps_process_raw: ps.func('int ps_process_raw(ps_decoder_t *ps, const int16_t *data, size_t n_samples, int no_search, int full_utt)'),
    ps_end_utt: ps.func('int ps_end_utt(ps_decoder_t *ps)'),
    ps_get_hyp: ps.func('const char *ps_get_hyp(ps_decoder_t *ps, _Out_ int32_t *out_best_score)'),
    ps_seg_iter: ps.func('ps_seg_t *ps_seg_iter(ps_decoder_t *ps)'),
    ps_seg_next: ps.func('ps_seg_t *ps_seg_next(ps_seg_t *seg)'),
    ps_seg_word: ps.func('const char *ps_seg_word(ps_seg_t *seg)'),
    ps_seg_frames: ps.func('void ps_seg_frames(ps_seg_t *seg, _Out_ int *out_sf, _Out_ int *out_ef)'),
    ps_seg_prob: ps.func('int32_t ps_seg_prob(ps_seg_t *seg, _Out_ int32_t *out_ascr, _Out_ int32_t *out_lscr, _Out_ int32_t *out_lback)'),
    ps_seg_free: ps.func('void ps_seg_free(ps_seg_t *seg)'),
    ngram_model_read: sb.func('ngram_model_t *ngram_model_read(cmd_ln_t *config, const char *file_name, int file_type, logmath_t *lmath)'),
    ngram_model_set_init: sb.func(
      'ngram_model_t *ngram_model_set_init(cmd_ln_t *config, ngram_model_t **models, const char **names, const float *weights, int32_t n_models)',
    ),
    ngram_model_free: sb.func('int ngram_model_free(ngram_model_t *model)'),
    ngram_model_add_word: sb.func('int32_t ngram_model_add_word(ngram_model_t *model, const char *word, float weight)'),
    logmath_exp: sb.func('double logmath_exp(logmath_t *lmath, int logb_p)'),
  } as unknown as Api;
  return api;
}

/** NGRAM_AUTO in sphinxbase's ngram_file_type_t. */
export const NGRAM_AUTO = 0;
