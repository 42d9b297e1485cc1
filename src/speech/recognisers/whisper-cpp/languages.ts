/**
 * The languages Whisper models recognise, as ISO 639-1 codes with the English
 * names OpenAI's API reports (`"language": "english"`). Whisper's own codes
 * that are not ISO 639-1 (haw, yue) are left out; its `jw` is Javanese (`jv`).
 */
export const WHISPER_LANGUAGES: Readonly<Record<string, string>> = {
  en: 'english', zh: 'chinese', de: 'german', es: 'spanish', ru: 'russian', ko: 'korean', fr: 'french', ja: 'japanese',
  pt: 'portuguese', tr: 'turkish', pl: 'polish', ca: 'catalan', nl: 'dutch', ar: 'arabic', sv: 'swedish', it: 'italian',
  id: 'indonesian', hi: 'hindi', fi: 'finnish', vi: 'vietnamese', he: 'hebrew', uk: 'ukrainian', el: 'greek', ms: 'malay',
  cs: 'czech', ro: 'romanian', da: 'danish', hu: 'hungarian', ta: 'tamil', no: 'norwegian', th: 'thai', ur: 'urdu',
  hr: 'croatian', bg: 'bulgarian', lt: 'lithuanian', la: 'latin', mi: 'maori', ml: 'malayalam', cy: 'welsh', sk: 'slovak',
  te: 'telugu', fa: 'persian', lv: 'latvian', bn: 'bengali', sr: 'serbian', az: 'azerbaijani', sl: 'slovenian', kn: 'kannada',
  et: 'estonian', mk: 'macedonian', br: 'breton', eu: 'basque', is: 'icelandic', hy: 'armenian', ne: 'nepali', mn: 'mongolian',
  bs: 'bosnian', kk: 'kazakh', sq: 'albanian', sw: 'swahili', gl: 'galician', mr: 'marathi', pa: 'punjabi', si: 'sinhala',
  km: 'khmer', sn: 'shona', yo: 'yoruba', so: 'somali', af: 'afrikaans', oc: 'occitan', ka: 'georgian', be: 'belarusian',
  tg: 'tajik', sd: 'sindhi', gu: 'gujarati', am: 'amharic', yi: 'yiddish', lo: 'lao', uz: 'uzbek', fo: 'faroese',
  ht: 'haitian creole', ps: 'pashto', tk: 'turkmen', nn: 'nynorsk', mt: 'maltese', sa: 'sanskrit', lb: 'luxembourgish',
  my: 'myanmar', bo: 'tibetan', tl: 'tagalog', mg: 'malagasy', as: 'assamese', tt: 'tatar', ln: 'lingala', ha: 'hausa',
  ba: 'bashkir', jv: 'javanese', su: 'sundanese',
};

export const WHISPER_LANGUAGE_CODES: readonly string[] = Object.keys(WHISPER_LANGUAGES);

/** Other names Whisper accepts for a language (openai/whisper's TO_LANGUAGE_CODE aliases). */
const ALIASES: Readonly<Record<string, string>> = {
  burmese: 'my', valencian: 'ca', flemish: 'nl', haitian: 'ht', letzeburgesch: 'lb', pushto: 'ps', panjabi: 'pa',
  moldavian: 'ro', moldovan: 'ro', sinhalese: 'si', castilian: 'es', mandarin: 'zh',
};

const BY_NAME = new Map<string, string>([
  ...Object.entries(WHISPER_LANGUAGES).map(([code, name]) => [name, code] as [string, string]),
  ...Object.entries(ALIASES),
]);

/**
 * A language as an engine reports it — a code (`en`, `en-US`, Whisper's `jw`) or
 * a name (`english`, `English`) — as ISO 639-1; undefined when not recognised.
 */
export function toIso6391(language: string | undefined | null): string | undefined {
  if (!language) return undefined;
  const s = language.trim().toLowerCase();
  if (s === 'jw') return 'jv';
  const code = s.split(/[-_]/)[0]!;
  if (code.length === 2 && code in WHISPER_LANGUAGES) return code;
  return BY_NAME.get(s);
}
