/**
 * Text in the spoken form a recogniser outputs: lower case, numbers and units
 * written out ("158/96" → "one fifty eight over ninety six", "5 mg" → "five
 * milligrams"), punctuation dropped, apostrophes kept. Used to build the
 * medical language model from written dialogues, to make synthesis scripts and
 * to score word error rates.
 */

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const ORDINAL: Record<string, string> = {
  one: 'first', two: 'second', three: 'third', five: 'fifth', eight: 'eighth', nine: 'ninth', twelve: 'twelfth',
};

function below100(n: number): string {
  if (n < 20) return ONES[n]!;
  const t = TENS[Math.floor(n / 10)]!;
  return n % 10 ? `${t} ${ONES[n % 10]}` : t;
}

function below1000(n: number): string {
  const h = Math.floor(n / 100);
  const r = n % 100;
  if (!h) return below100(r);
  return r ? `${ONES[h]} hundred ${below100(r)}` : `${ONES[h]} hundred`;
}

/** Cardinal number in words (integers up to the billions). */
export function numberToWords(n: number): string {
  if (!Number.isFinite(n)) return '';
  if (n < 0) return `minus ${numberToWords(-n)}`;
  n = Math.floor(n);
  if (n < 1000) return below1000(n);
  const parts: string[] = [];
  for (const [size, name] of [
    [1e9, 'billion'],
    [1e6, 'million'],
    [1e3, 'thousand'],
  ] as const) {
    if (n >= size) {
      parts.push(`${below1000(Math.floor(n / size))} ${name}`);
      n %= size;
    }
  }
  if (n) parts.push(below1000(n));
  return parts.join(' ');
}

/** How people say readings like 158 ("one fifty eight") and years like 2019. */
function spokenReading(n: number): string {
  if (n >= 100 && n < 1000 && n % 100 !== 0) {
    const h = Math.floor(n / 100);
    const r = n % 100;
    return r < 10 ? `${ONES[h]} oh ${ONES[r]}` : `${ONES[h]} ${below100(r)}`;
  }
  return numberToWords(n);
}

function yearWords(n: number): string {
  if (n >= 2000 && n < 2010) return numberToWords(n);
  const hi = Math.floor(n / 100);
  const lo = n % 100;
  return lo === 0 ? `${below100(hi)} hundred` : `${below100(hi)} ${lo < 10 ? `oh ${ONES[lo]}` : below100(lo)}`;
}

function ordinalWords(n: number): string {
  const w = numberToWords(n).split(' ');
  const last = w.pop()!;
  const ord = ORDINAL[last] ?? (last.endsWith('y') ? `${last.slice(0, -1)}ieth` : `${last}th`);
  return [...w, ord].join(' ');
}

function decimalWords(s: string): string {
  const [int, frac] = s.split('.');
  const head = numberToWords(Number(int || '0'));
  return frac ? `${head} point ${[...frac].map((d) => ONES[Number(d)]).join(' ')}` : head;
}

const UNITS: Record<string, string> = {
  mg: 'milligrams', mgs: 'milligrams', mcg: 'micrograms', ug: 'micrograms', g: 'grams', gm: 'grams', kg: 'kilograms', kgs: 'kilograms',
  ml: 'milliliters', mls: 'milliliters', l: 'liters', cm: 'centimeters', mm: 'millimeters', km: 'kilometers', lbs: 'pounds', lb: 'pounds',
  iu: 'units', bpm: 'beats per minute', mmhg: 'millimeters of mercury', hr: 'hours', hrs: 'hours', min: 'minutes', mins: 'minutes',
};

/** Joins tokenised contractions ("do n't" → "don't", "gon na" → "gonna"). */
function joinContractions(s: string): string {
  return s
    .replace(/\b(\w+) n't\b/g, "$1n't")
    .replace(/\b(\w+) '(s|re|ve|ll|d|m)\b/g, "$1'$2")
    .replace(/\bgon na\b/g, 'gonna')
    .replace(/\bwan na\b/g, 'wanna')
    .replace(/\bgot ta\b/g, 'gotta');
}

/** Written text → spoken-form tokens joined by single spaces. */
export function normalizeText(input: string): string {
  let s = ` ${input.toLowerCase()} `;
  s = s.replace(/<\/?[a-z]+\/?>/g, ' '); // <UNSURE>, <UNIN/> tags
  s = s.replace(/[‘’`]/g, "'").replace(/[“”]/g, '"').replace(/[–—]/g, ' ');
  s = joinContractions(s);
  s = s.replace(/\b(\d{1,3}(?:,\d{3})+)\b/g, (m) => m.replace(/,/g, ''));
  // readings: 158/96 → one fifty eight over ninety six
  s = s.replace(/(\d+)\s*\/\s*(\d+)/g, (_, a: string, b: string) => ` ${spokenReading(Number(a))} over ${spokenReading(Number(b))} `);
  s = s.replace(/(\d+(?:\.\d+)?)\s*%/g, (_, a: string) => ` ${decimalWords(a)} percent `);
  s = s.replace(/(\d+)(st|nd|rd|th)\b/g, (_, a: string) => ` ${ordinalWords(Number(a))} `);
  s = s.replace(/(\d+(?:\.\d+)?)\s*([a-z]+)\b/g, (m, a: string, u: string) => (UNITS[u] ? ` ${a} ${UNITS[u]} ` : m));
  s = s.replace(/\d+\.\d+/g, (m) => ` ${decimalWords(m)} `);
  s = s.replace(/\d+/g, (m) => {
    const n = Number(m);
    if (m.length === 4 && n >= 1900 && n < 2100) return ` ${yearWords(n)} `;
    if (m.length > 1 && m.startsWith('0')) return ` ${[...m].map((d) => ONES[Number(d)]).join(' ')} `;
    return ` ${numberToWords(n)} `;
  });
  s = s.replace(/&/g, ' and ').replace(/\+/g, ' plus ').replace(/=/g, ' equals ');
  s = s.replace(/[^a-z' ]+/g, ' ');
  s = s.replace(/(^| )'+|'+(?= |$)/g, ' '); // quotes, not apostrophes
  return s.replace(/\s+/g, ' ').trim();
}

export function tokens(text: string): string[] {
  const n = normalizeText(text);
  return n ? n.split(' ') : [];
}

/** A PocketSphinx word without its pronunciation variant: "good(2)" → "good". */
export function baseWord(w: string): string {
  return w.replace(/\(\d+\)$/, '');
}

/** Fillers and markers the decoder emits that are not words. */
export function isFiller(w: string): boolean {
  return w.startsWith('<') || w.startsWith('[') || w.startsWith('++');
}
