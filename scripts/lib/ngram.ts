/**
 * A small trigram language model estimator (interpolated Kneser-Ney, written in
 * ARPA backoff form) for the domain LM that PocketSphinx interpolates with its
 * generic English model. Words outside `vocabulary` become <unk> while counting
 * and every n-gram containing <unk> is left out; backoff weights are computed by
 * renormalisation, so pruned or dropped n-grams keep the model consistent.
 */

export interface NgramOptions {
  /** Words the model may predict (the decoder's dictionary); others are <unk>. */
  vocabulary: ReadonlySet<string>;
  /** Words to give a unigram even when the corpus never uses them. */
  extraUnigrams?: Iterable<string>;
  /** Trigrams seen fewer times are pruned. Default 1 (keep all). */
  minTrigramCount?: number;
}

const BOS = '<s>';
const EOS = '</s>';
const UNK = '<unk>';
const SEP = '\u0001';

function inc(m: Map<string, number>, k: string, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

function discount(counts: Iterable<number>): number {
  let n1 = 0;
  let n2 = 0;
  for (const c of counts) {
    if (c === 1) n1++;
    else if (c === 2) n2++;
  }
  const d = n1 + 2 * n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
  return Math.min(0.95, Math.max(0.1, d));
}

export interface ArpaStats {
  unigrams: number;
  bigrams: number;
  trigrams: number;
}

/** Builds the ARPA text of a trigram model from tokenised sentences. */
export function buildArpa(sentences: Iterable<readonly string[]>, options: NgramOptions): { arpa: string; stats: ArpaStats } {
  const { vocabulary } = options;
  const minTri = options.minTrigramCount ?? 1;
  const c3 = new Map<string, number>();
  const c2 = new Map<string, number>();
  for (const sentence of sentences) {
    if (sentence.length === 0) continue;
    const w = [BOS, ...sentence.map((t) => (vocabulary.has(t) ? t : UNK)), EOS];
    for (let i = 1; i < w.length; i++) {
      inc(c2, w[i - 1] + SEP + w[i]);
      if (i >= 2) inc(c3, w[i - 2] + SEP + w[i - 1] + SEP + w[i]);
    }
  }
  // Kneser-Ney adjusted counts: continuation counts below the top order,
  // raw counts for n-grams that start with <s> (they have no left context).
  const a2 = new Map<string, number>();
  for (const k of c3.keys()) inc(a2, k.slice(k.indexOf(SEP) + 1));
  for (const [k, c] of c2) if (k.startsWith(BOS + SEP)) a2.set(k, c);
  const a1 = new Map<string, number>();
  for (const k of c2.keys()) inc(a1, k.slice(k.indexOf(SEP) + 1));

  const D1 = discount(a1.values());
  const D2 = discount(a2.values());
  const D3 = discount(c3.values());

  // ---- unigrams
  const vocab = new Set<string>();
  for (const w of a1.keys()) if (w !== UNK && w !== BOS) vocab.add(w);
  for (const w of options.extraUnigrams ?? []) if (vocabulary.has(w)) vocab.add(w);
  vocab.add(EOS);
  let S1 = 0;
  let T1 = 0;
  for (const [w, c] of a1) {
    if (w === BOS) continue;
    S1 += c;
    T1++;
  }
  const V = vocab.size;
  const p1raw = (w: string) => Math.max((a1.get(w) ?? 0) - D1, 0) / S1 + ((D1 * T1) / S1) * (1 / V);
  let z1 = 0;
  for (const w of vocab) z1 += p1raw(w);
  const p1 = new Map<string, number>();
  for (const w of vocab) p1.set(w, p1raw(w) / z1); // <unk>'s share spread over the real words

  // ---- bigrams (by history)
  const byHist2 = new Map<string, { w: string; a: number }[]>();
  for (const [k, a] of a2) {
    const [v, w] = k.split(SEP) as [string, string];
    if (v === UNK || w === UNK) continue;
    let l = byHist2.get(v);
    if (!l) byHist2.set(v, (l = []));
    l.push({ w, a });
  }
  // totals over every continuation of v (including the dropped <unk> ones)
  const S2 = new Map<string, number>();
  const T2 = new Map<string, number>();
  for (const [k, a] of a2) {
    const v = k.slice(0, k.indexOf(SEP));
    inc(S2, v, a);
    inc(T2, v);
  }
  const p2 = new Map<string, number>();
  const bow1 = new Map<string, number>();
  for (const [v, list] of byHist2) {
    const s = S2.get(v)!;
    const gamma = (D2 * T2.get(v)!) / s;
    let sumP = 0;
    let sumLower = 0;
    for (const { w, a } of list) {
      const p = Math.max(a - D2, 0) / s + gamma * p1.get(w)!;
      p2.set(v + SEP + w, p);
      sumP += p;
      sumLower += p1.get(w)!;
    }
    bow1.set(v, Math.max(1e-12, 1 - sumP) / Math.max(1e-12, 1 - sumLower));
  }
  const p2of = (v: string, w: string): number => p2.get(v + SEP + w) ?? (bow1.get(v) ?? 1) * p1.get(w)!;

  // ---- trigrams
  const S3 = new Map<string, number>();
  const T3 = new Map<string, number>();
  const byHist3 = new Map<string, { w: string; c: number }[]>();
  for (const [k, c] of c3) {
    const cut = k.lastIndexOf(SEP);
    const h = k.slice(0, cut);
    inc(S3, h, c);
    inc(T3, h);
    const w = k.slice(cut + 1);
    if (c < minTri || k.split(SEP).includes(UNK)) continue;
    let l = byHist3.get(h);
    if (!l) byHist3.set(h, (l = []));
    l.push({ w, c });
  }
  const p3 = new Map<string, number>();
  const bow2 = new Map<string, number>();
  for (const [h, list] of byHist3) {
    const v = h.slice(h.indexOf(SEP) + 1);
    const s = S3.get(h)!;
    const gamma = (D3 * T3.get(h)!) / s;
    let sumP = 0;
    let sumLower = 0;
    for (const { w, c } of list) {
      const lower = p2of(v, w);
      const p = Math.max(c - D3, 0) / s + gamma * lower;
      p3.set(h + SEP + w, p);
      sumP += p;
      sumLower += lower;
    }
    if (p2.has(h)) bow2.set(h, Math.max(1e-12, 1 - sumP) / Math.max(1e-12, 1 - sumLower));
  }
  // an ARPA trigram needs its history as a bigram entry
  for (const k of [...p3.keys()]) {
    if (!p2.has(k.slice(0, k.lastIndexOf(SEP)))) p3.delete(k);
  }

  const log = (p: number) => Math.log10(p).toFixed(4);
  const lines: string[] = ['\\data\\', `ngram 1=${vocab.size + 1}`, `ngram 2=${p2.size}`, `ngram 3=${p3.size}`, '', '\\1-grams:'];
  lines.push(`-99.0000\t${BOS}\t${log(bow1.get(BOS) ?? 1)}`);
  for (const w of [...vocab].sort()) {
    const b = bow1.get(w);
    lines.push(b === undefined ? `${log(p1.get(w)!)}\t${w}` : `${log(p1.get(w)!)}\t${w}\t${log(b)}`);
  }
  lines.push('', '\\2-grams:');
  for (const [k, p] of [...p2].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
    const b = bow2.get(k);
    const words = k.split(SEP).join(' ');
    lines.push(b === undefined ? `${log(p)}\t${words}` : `${log(p)}\t${words}\t${log(b)}`);
  }
  lines.push('', '\\3-grams:');
  for (const [k, p] of [...p3].sort((x, y) => (x[0] < y[0] ? -1 : 1))) lines.push(`${log(p)}\t${k.split(SEP).join(' ')}`);
  lines.push('', '\\end\\', '');
  return { arpa: lines.join('\n'), stats: { unigrams: vocab.size + 1, bigrams: p2.size, trigrams: p3.size } };
}

/** Parses an ARPA file back into log10 tables (tests and tools). */
export function parseArpa(text: string): Map<string, { logp: number; bow: number }>[] {
  const tables: Map<string, { logp: number; bow: number }>[] = [];
  let order = 0;
  for (const line of text.split('\n')) {
    const m = /^\\(\d)-grams:$/.exec(line);
    if (m) {
      order = Number(m[1]);
      tables[order] = new Map();
      continue;
    }
    if (!order || !line.trim() || line.startsWith('\\')) continue;
    const parts = line.split('\t');
    tables[order]!.set(parts[1]!, { logp: Number(parts[0]), bow: parts[2] === undefined ? 0 : Number(parts[2]) });
  }
  return tables;
}
