/** Word error rate by Levenshtein alignment, with per-term accounting (drug names). */

export interface Alignment {
  /** Reference words with what they aligned to (null = deleted). */
  pairs: { ref: string | null; hyp: string | null }[];
  substitutions: number;
  deletions: number;
  insertions: number;
  refWords: number;
}

export function align(ref: readonly string[], hyp: readonly string[]): Alignment {
  const n = ref.length;
  const m = hyp.length;
  const d = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  for (let i = 0; i <= n; i++) d[at(i, 0)] = i;
  for (let j = 0; j <= m; j++) d[at(0, j)] = j;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const sub = d[at(i - 1, j - 1)]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      d[at(i, j)] = Math.min(sub, d[at(i - 1, j)]! + 1, d[at(i, j - 1)]! + 1);
    }
  }
  const pairs: Alignment['pairs'] = [];
  let s = 0;
  let del = 0;
  let ins = 0;
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    if (i > 0 && j > 0 && d[at(i, j)] === d[at(i - 1, j - 1)]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1)) {
      if (ref[i - 1] !== hyp[j - 1]) s++;
      pairs.push({ ref: ref[i - 1]!, hyp: hyp[j - 1]! });
      i--;
      j--;
    } else if (i > 0 && d[at(i, j)] === d[at(i - 1, j)]! + 1) {
      del++;
      pairs.push({ ref: ref[i - 1]!, hyp: null });
      i--;
    } else {
      ins++;
      pairs.push({ ref: null, hyp: hyp[j - 1]! });
      j--;
    }
  }
  pairs.reverse();
  return { pairs, substitutions: s, deletions: del, insertions: ins, refWords: n };
}

export function wordErrorRate(ref: readonly string[], hyp: readonly string[]): number {
  const a = align(ref, hyp);
  return a.refWords === 0 ? (hyp.length ? 1 : 0) : (a.substitutions + a.deletions + a.insertions) / a.refWords;
}

export interface TermScore {
  /** Occurrences of the terms in the reference. */
  total: number;
  /** Of those, recognised exactly at the aligned position. */
  correct: number;
  /** Term words the recogniser produced where the reference has a different word or none. */
  falseAlarms: number;
  /** (total − correct + falseAlarms) / total: the term-level error rate. */
  errorRate: number;
  misses: { ref: string; hyp: string | null }[];
}

/** How well the words in `terms` (e.g. the drug lexicon) were recognised. */
export function termScore(ref: readonly string[], hyp: readonly string[], terms: ReadonlySet<string>): TermScore {
  const a = align(ref, hyp);
  let total = 0;
  let correct = 0;
  let falseAlarms = 0;
  const misses: TermScore['misses'] = [];
  for (const p of a.pairs) {
    if (p.ref !== null && terms.has(p.ref)) {
      total++;
      if (p.hyp === p.ref) correct++;
      else misses.push({ ref: p.ref, hyp: p.hyp });
    } else if (p.hyp !== null && terms.has(p.hyp) && p.hyp !== p.ref) {
      falseAlarms++;
    }
  }
  return { total, correct, falseAlarms, errorRate: total ? (total - correct + falseAlarms) / total : 0, misses };
}
