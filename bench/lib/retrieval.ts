/**
 * Retrieval baseline for note generation: answer a dialogue with the note of the most
 * similar indexed dialogue. TF-IDF (raw term counts × smooth idf, ln((1+N)/(1+df)) + 1,
 * as scikit-learn's default), L2-normalised, cosine; tokens as ROUGE tokenises them.
 */
import { tokenize } from './rouge.js';

export interface Doc {
  id: string;
  dialogue: string;
  note: string;
}

export interface Retrieved {
  id: string;
  note: string;
  similarity: number;
}

/** Speaker tags ("[doctor]", "[patient_guest]") say nothing about the content. */
export const stripSpeakerTags = (dialogue: string): string => dialogue.replace(/^\s*\[[^\]]*\]\s*/gm, '');

const termCounts = (text: string): Map<string, number> => {
  const m = new Map<string, number>();
  for (const t of tokenize(stripSpeakerTags(text))) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
};

export class TfidfIndex {
  private readonly idf = new Map<string, number>();
  private readonly vectors: Map<string, number>[];

  constructor(private readonly docs: readonly Doc[]) {
    const counts = docs.map((d) => termCounts(d.dialogue));
    const df = new Map<string, number>();
    for (const c of counts) for (const t of c.keys()) df.set(t, (df.get(t) ?? 0) + 1);
    for (const [t, n] of df) this.idf.set(t, Math.log((1 + docs.length) / (1 + n)) + 1);
    this.vectors = counts.map((c) => this.weigh(c));
  }

  /** Terms the index never saw get no weight: they cannot match anything. */
  private weigh(counts: Map<string, number>): Map<string, number> {
    const v = new Map<string, number>();
    let norm = 0;
    for (const [t, c] of counts) {
      const idf = this.idf.get(t);
      if (idf === undefined) continue;
      v.set(t, c * idf);
      norm += (c * idf) ** 2;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [t, w] of v) v.set(t, w / norm);
    return v;
  }

  nearest(dialogue: string): Retrieved {
    const q = this.weigh(termCounts(dialogue));
    let best = -1;
    let bestSim = -Infinity;
    this.vectors.forEach((v, i) => {
      let sim = 0;
      for (const [t, w] of q) sim += w * (v.get(t) ?? 0);
      if (sim > bestSim) [best, bestSim] = [i, sim];
    });
    const d = this.docs[best]!;
    return { id: d.id, note: d.note, similarity: bestSim };
  }
}

/** Each query against the whole index, or (leave-one-out) against the index without itself. */
export function retrieveNotes(queries: readonly Doc[], index: readonly Doc[], leaveOneOut = false): Retrieved[] {
  if (!leaveOneOut) {
    const idx = new TfidfIndex(index);
    return queries.map((q) => idx.nearest(q.dialogue));
  }
  // The idf is refitted without the query too, so nothing of it leaks into the weights.
  return queries.map((q) => new TfidfIndex(index.filter((d) => d.id !== q.id)).nearest(q.dialogue));
}
