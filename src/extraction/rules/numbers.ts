/**
 * Spelled-out numbers → digits, as a speech recogniser writes them:
 * "five hundred" → 500, "one fifty eight" → 158, "ninety eight point four" → 98.4,
 * "one hundred and one" → 101, "one zero one" → 1 0 1 (three numbers: a 1-0-1 dose).
 */

const UNITS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
};
const TEENS: Record<string, number> = {
  ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16,
  seventeen: 17, eighteen: 18, nineteen: 19,
};
const TENS: Record<string, number> = {
  twenty: 20, thirty: 30, forty: 40, fourty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
};

export function isNumberWord(w: string): boolean {
  return w in UNITS || w in TEENS || w in TENS || w === 'hundred' || w === 'thousand';
}

/** Words that may sit inside a run of number words ("hundred and one", "ninety eight point four"). */
export function isNumberGlue(w: string): boolean {
  return w === 'and' || w === 'point';
}

export interface NumberGroup {
  /** Index of the first and last word of the group in the run. */
  from: number;
  to: number;
  value: string;
}

type Kind = 'unit' | 'teen' | 'tens' | 'compound' | 'hundred' | 'thousand';

/**
 * Parses a run of number words (already lower-cased, glue words included) into one or
 * more numbers. Never throws; words that do not fit are skipped.
 */
export function parseNumberRun(words: readonly string[]): NumberGroup[] {
  const out: NumberGroup[] = [];
  let i = 0;
  while (i < words.length) {
    const r = parseOne(words, i);
    if (r === null) {
      i++;
      continue;
    }
    out.push({ from: i, to: r.next - 1, value: r.value });
    i = r.next;
  }
  return out;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000);
}

function parseOne(words: readonly string[], start: number): { value: string; next: number } | null {
  let total = 0;
  let cur = 0;
  let kind: Kind | null = null;
  let count = 0;
  let j = start;
  // "point five" → 0.5
  if (words[j] === 'point') {
    const dec = decimals(words, j + 1);
    if (dec === null) return null;
    return { value: `0.${dec.digits}`, next: dec.next };
  }
  while (j < words.length) {
    const w = words[j]!;
    if (w in UNITS) {
      const u = UNITS[w]!;
      if (kind === null) { cur = u; kind = 'unit'; }
      else if (kind === 'tens') { cur += u; kind = 'compound'; }
      else if (kind === 'hundred' || kind === 'thousand') { cur += u; kind = 'compound'; }
      else break; // "one zero one": a new number starts
    } else if (w in TEENS) {
      const t = TEENS[w]!;
      if (kind === null) { cur = t; kind = 'teen'; }
      else if (kind === 'hundred' || kind === 'thousand') { cur += t; kind = 'compound'; }
      else if ((kind === 'unit' && cur > 0) || kind === 'teen') {
        // "one fifteen" → 115, "nineteen nineteen" → 1919
        if (count !== 1) break;
        cur = cur * 100 + t; kind = 'compound';
      } else break;
    } else if (w in TENS) {
      const t = TENS[w]!;
      if (kind === null) { cur = t; kind = 'tens'; }
      else if (kind === 'hundred' || kind === 'thousand') { cur += t; kind = 'tens'; }
      else if ((kind === 'unit' && cur > 0) || kind === 'teen') {
        // colloquial: "one fifty eight" → 158, "six fifty" → 650, "nineteen ninety six" → 1996
        if (count !== 1) break;
        cur = cur * 100 + t; kind = 'tens';
      } else break;
    } else if (w === 'hundred') {
      if (kind === null) { cur = 100; }
      else if (kind === 'hundred' || kind === 'thousand') break;
      else if (cur >= 100) break;
      else cur *= 100;
      kind = 'hundred';
    } else if (w === 'thousand') {
      if (kind === 'thousand') break;
      total += (kind === null ? 1 : cur) * 1000;
      cur = 0;
      kind = 'thousand';
    } else if (w === 'and') {
      const nx = words[j + 1];
      if ((kind === 'hundred' || kind === 'thousand') && nx !== undefined && (nx in UNITS || nx in TEENS || nx in TENS)) {
        j++;
        continue;
      }
      break;
    } else if (w === 'point') {
      if (kind === null) break;
      const dec = decimals(words, j + 1);
      if (dec === null) break;
      return { value: `${formatNumber(total + cur)}.${dec.digits}`, next: dec.next };
    } else break;
    count++;
    j++;
  }
  if (kind === null) return null;
  return { value: formatNumber(total + cur), next: j };
}

function decimals(words: readonly string[], from: number): { digits: string; next: number } | null {
  let digits = '';
  let j = from;
  while (j < words.length && words[j]! in UNITS) {
    digits += String(UNITS[words[j]!]);
    j++;
    if (digits.length >= 3) break;
  }
  return digits ? { digits, next: j } : null;
}

/** "two" → 2, "2" → 2, "a"/"an"/"one" → 1, "couple of" → 2, "few" → 3; null otherwise. */
export function smallNumber(s: string): number | null {
  const t = s.trim().toLowerCase();
  if (/^\d+(?:\.\d+)?$/.test(t)) return Number(t);
  if (t === 'a' || t === 'an' || t === 'one' || t === 'single') return 1;
  if (t === 'half' || t === 'a half') return 0.5;
  if (/^(?:a )?couple(?: of)?$/.test(t)) return 2;
  if (/^(?:a )?few$/.test(t)) return 3;
  if (t in UNITS) return UNITS[t]!;
  if (t in TEENS) return TEENS[t]!;
  if (t in TENS) return TENS[t]!;
  return null;
}
