/**
 * Text normalisation with an offset map back to the original transcript line.
 * Everything downstream matches against `norm` (lower case, spelled-out numbers as
 * digits, typographic quotes folded) and reports spans in the original text.
 */
import type { Evidence } from '../../core/ports/extractor.js';
import { isNumberGlue, isNumberWord, parseNumberRun } from './numbers.js';

export interface NormText {
  orig: string;
  norm: string;
  /** For each char of `norm`: the start / end (exclusive) offset in `orig` it came from. */
  starts: number[];
  ends: number[];
}

const FOLD: Record<string, string> = {
  '\u2018': "'", '\u2019': "'", '\u201B': "'", '\u2032': "'", '\u201C': '"', '\u201D': '"', '\u2033': '"',
  '\u2013': '-', '\u2014': '-', '\u2212': '-', '\u00A0': ' ', '\t': ' ', '\u00BD': '0.5',
};

/** Folds one character to lower case / ASCII look-alikes; may return 0..n chars. */
function foldChar(c: string): string {
  const f = FOLD[c];
  if (f !== undefined) return f;
  const l = c.toLowerCase();
  // Keep the mapping 1 char → ≤ 2 chars; exotic case mappings stay as they are.
  return l.length <= 2 ? l : c;
}

interface WordTok { start: number; end: number; w: string }

export function normalizeText(orig: string): NormText {
  const words: WordTok[] = [];
  const re = /[A-Za-z]+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(orig)) !== null) words.push({ start: m.index, end: m.index + m[0].length, w: m[0].toLowerCase() });

  // Find runs of number words joined by spaces / a hyphen.
  interface Replace { start: number; end: number; value: string }
  const replaces: Replace[] = [];
  let i = 0;
  while (i < words.length) {
    if (!isNumberWord(words[i]!.w) && !(words[i]!.w === 'point' && isNumberWord(words[i + 1]?.w ?? ''))) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < words.length) {
      const gap = orig.slice(words[j - 1]!.end, words[j]!.start);
      if (!/^\s*-?\s*$/.test(gap) || gap.length > 3) break;
      const w = words[j]!.w;
      if (isNumberWord(w) || isNumberGlue(w)) j++;
      else break;
    }
    // Trailing glue ("… and") is not part of the run.
    while (j > i + 1 && isNumberGlue(words[j - 1]!.w)) j--;
    const run = words.slice(i, j);
    for (const g of parseNumberRun(run.map((t) => t.w))) {
      replaces.push({ start: run[g.from]!.start, end: run[g.to]!.end, value: g.value });
    }
    i = j;
  }

  let norm = '';
  const starts: number[] = [];
  const ends: number[] = [];
  let pos = 0;
  const emitOrig = (upto: number) => {
    for (; pos < upto; pos++) {
      const c = foldChar(orig[pos]!);
      for (const ch of c) {
        norm += ch;
        starts.push(pos);
        ends.push(pos + 1);
      }
    }
  };
  for (const r of replaces) {
    emitOrig(r.start);
    for (const ch of r.value) {
      norm += ch;
      starts.push(r.start);
      ends.push(r.end);
    }
    pos = r.end;
  }
  emitOrig(orig.length);
  return { orig, norm, starts, ends };
}

/** Maps a `[s, e)` span of `norm` to `[start, end)` of `orig`. */
export function origSpan(t: NormText, s: number, e: number): [number, number] {
  if (t.norm.length === 0) return [0, 0];
  const a = Math.max(0, Math.min(s, t.norm.length - 1));
  const b = Math.max(a + 1, Math.min(e, t.norm.length));
  return [t.starts[a]!, t.ends[b - 1]!];
}

export function evidenceOf(line: number, t: NormText, s: number, e: number): Evidence {
  const [start, end] = origSpan(t, s, e);
  return { line, start, end, text: t.orig.slice(start, end) };
}

export interface Sentence {
  line: number;
  /** Offsets into the line's `norm`. */
  start: number;
  end: number;
  text: string;
}

/**
 * Splits a normalised line into sentences at . ! ? ; and newlines. A point between
 * digits ("98.4", ASR's "98 . 2") does not end a sentence.
 */
export function splitSentences(line: number, norm: string): Sentence[] {
  const out: Sentence[] = [];
  let s = 0;
  const push = (e: number) => {
    let a = s;
    let b = e;
    while (a < b && /\s/.test(norm[a]!)) a++;
    while (b > a && /\s/.test(norm[b - 1]!)) b--;
    if (b > a) out.push({ line, start: a, end: b, text: norm.slice(a, b) });
  };
  for (let i = 0; i < norm.length; i++) {
    const c = norm[i]!;
    if (c === '\n') {
      push(i);
      s = i + 1;
      continue;
    }
    if (c !== '.' && c !== '!' && c !== '?' && c !== ';') continue;
    if (c === '.') {
      const before = norm.slice(Math.max(0, i - 4), i);
      const after = norm.slice(i + 1, i + 4);
      if (/\d\s?$/.test(before) && /^\s?\d/.test(after)) continue; // decimal
      if (/(?:^|[^a-z])(?:dr|mr|mrs|ms|vs|no|approx|tab|cap|inj|e\.g|i\.e|st|syp|b|t|o|q|h|d|s)$/.test(before) && /^\s?[a-z0-9]/.test(after)) continue; // abbreviation
      if (/^[a-z0-9]/.test(after)) continue; // "b.d." inside a word
    }
    // include the punctuation in the sentence
    push(i + 1);
    s = i + 1;
  }
  push(norm.length);
  return out;
}

export interface Token {
  text: string;
  start: number;
  end: number;
}

/** Word / number / punctuation tokens of a normalised string, with offsets. */
export function tokenize(norm: string, offset = 0): Token[] {
  const out: Token[] = [];
  const re = /n't|[a-z0-9]+(?:['.][a-z0-9]+)*(?:'[a-z]+)?|[^\sa-z0-9]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(norm)) !== null) out.push({ text: m[0], start: m.index + offset, end: m.index + offset + m[0].length });
  return out;
}

/** Escapes a string for use inside a RegExp. */
export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Title-cases a lexicon term for display ("lipid profile" → "Lipid profile"). */
export function sentenceCase(s: string): string {
  return s.length ? s[0]!.toUpperCase() + s.slice(1) : s;
}
