/**
 * ROUGE-1/2/L/Lsum F1 as Google's rouge-score computes them without stemming: a port of
 * ../shared/tools/rouge.py (lower-case, every non-alphanumeric character a space,
 * whitespace tokens; Lsum splits both texts on newlines and scores the union LCS).
 * test/unit/rouge.test.ts holds it equal to the Python to 1e-9.
 */

export interface RougeScores {
  rouge1: number;
  rouge2: number;
  rougeL: number;
  rougeLsum: number;
}

export function tokenize(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').split(' ').filter(Boolean);
}

// Same operations in the same order as the Python, so the floats are bit-identical.
function f1(overlap: number, nPred: number, nRef: number): number {
  if (nPred === 0 || nRef === 0 || overlap === 0) return 0;
  const p = overlap / nPred;
  const r = overlap / nRef;
  return (2 * p * r) / (p + r);
}

/** Tokens as integer ids (one vocabulary per scoring call) so LCS compares numbers. */
class Vocab {
  private readonly ids = new Map<string, number>();
  encode(toks: string[]): Int32Array {
    const out = new Int32Array(toks.length);
    toks.forEach((t, i) => {
      let id = this.ids.get(t);
      if (id === undefined) this.ids.set(t, (id = this.ids.size));
      out[i] = id;
    });
    return out;
  }
  get size(): number {
    return this.ids.size;
  }
}

function ngramCounts(toks: Int32Array, n: number, v: number): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i + n <= toks.length; i++) {
    let k = 0;
    for (let j = 0; j < n; j++) k = k * v + toks[i + j]!;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

function rougeN(pred: Int32Array, ref: Int32Array, n: number, v: number): number {
  const a = ngramCounts(pred, n, v);
  const b = ngramCounts(ref, n, v);
  let overlap = 0;
  for (const [k, c] of a) overlap += Math.min(c, b.get(k) ?? 0);
  return f1(overlap, Math.max(0, pred.length - n + 1), Math.max(0, ref.length - n + 1));
}

function lcsLength(a: Int32Array, b: Int32Array): number {
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1]!;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = ai === b[j - 1]! ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

let table = new Int32Array(1 << 16);

/** Indices of ref tokens on one LCS with pred, with rouge.py's tie-breaking on the way back. */
function lcsPositions(ref: Int32Array, pred: Int32Array, into: Set<number>): void {
  const w = pred.length + 1;
  const size = (ref.length + 1) * w;
  if (table.length < size) table = new Int32Array(size);
  table.fill(0, 0, size);
  for (let i = 1; i <= ref.length; i++) {
    const ri = ref[i - 1]!;
    for (let j = 1; j <= pred.length; j++) {
      table[i * w + j] = ri === pred[j - 1]! ? table[(i - 1) * w + j - 1]! + 1 : Math.max(table[(i - 1) * w + j]!, table[i * w + j - 1]!);
    }
  }
  let i = ref.length;
  let j = pred.length;
  while (i > 0 && j > 0) {
    if (ref[i - 1] === pred[j - 1]) {
      into.add(i - 1);
      i--;
      j--;
    } else if (table[i * w + j - 1]! > table[(i - 1) * w + j]!) j--;
    else i--;
  }
}

function rougeLsum(predText: string, refText: string, vocab: Vocab): number {
  const lines = (t: string) => t.split('\n').map(tokenize).filter((s) => s.length > 0).map((s) => vocab.encode(s));
  const preds = lines(predText);
  const refs = lines(refText);
  const count = (ss: Int32Array[]) => {
    const c = new Int32Array(vocab.size);
    for (const s of ss) for (const t of s) c[t]!++;
    return c;
  };
  const predCounts = count(preds);
  const refCounts = count(refs);
  let hits = 0;
  for (const r of refs) {
    const union = new Set<number>();
    for (const p of preds) lcsPositions(r, p, union);
    for (const k of [...union].sort((x, y) => x - y)) {
      const tok = r[k]!;
      if (predCounts[tok]! > 0 && refCounts[tok]! > 0) {
        hits++;
        predCounts[tok]!--;
        refCounts[tok]!--;
      }
    }
  }
  const total = (ss: Int32Array[]) => ss.reduce((n, s) => n + s.length, 0);
  return f1(hits, total(preds), total(refs));
}

export function rougeScores(prediction: string, reference: string): RougeScores {
  const vocab = new Vocab();
  const p = vocab.encode(tokenize(prediction));
  const r = vocab.encode(tokenize(reference));
  const v = vocab.size + 1;
  return {
    rouge1: rougeN(p, r, 1, v),
    rouge2: rougeN(p, r, 2, v),
    rougeL: f1(lcsLength(p, r), p.length, r.length),
    rougeLsum: rougeLsum(prediction, reference, vocab),
  };
}
