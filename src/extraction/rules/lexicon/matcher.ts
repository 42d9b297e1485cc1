/**
 * Longest-match phrase lookup over normalised text with a token trie. Phrases are
 * normalised the same way as transcripts (so "vitamin b twelve" and "vitamin b12"
 * meet); spaces and hyphens are interchangeable ("x-ray" = "x ray"), and a multi-word
 * phrase also matches written as one word ("xray", "peptobismol").
 */
import { normalizeText } from '../text.js';

export interface PhraseMatch<T> {
  start: number;
  end: number;
  surface: string;
  value: T;
}

interface Node<T> {
  next: Map<string, Node<T>>;
  value?: T;
}

const TOKEN = /[a-z0-9]+(?:'[a-z]+)*|[&/+%]/g;

function tokens(s: string): { t: string; start: number; end: number }[] {
  const out: { t: string; start: number; end: number }[] = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN.exec(s)) !== null) out.push({ t: m[0], start: m.index, end: m.index + m[0].length });
  return out;
}

export class PhraseMatcher<T> {
  private readonly root: Node<T> = { next: new Map() };

  constructor(entries: Iterable<readonly [string, T]>) {
    for (const [phrase, value] of entries) {
      const toks = tokens(normalizeText(phrase).norm).map((x) => x.t);
      if (!toks.length) continue;
      this.insert(toks, value);
      if (toks.length > 1 && toks.every((t) => /^[a-z0-9]+$/.test(t))) this.insert([toks.join('')], value);
    }
  }

  private insert(toks: string[], value: T): void {
    let n = this.root;
    for (const t of toks) {
      let c = n.next.get(t);
      if (!c) n.next.set(t, (c = { next: new Map() }));
      n = c;
    }
    // first definition wins
    if (n.value === undefined) n.value = value;
  }

  /** Non-overlapping matches in `text[from, to)`, leftmost-longest. */
  match(text: string, from = 0, to = text.length): PhraseMatch<T>[] {
    const toks = tokens(text.slice(0, to)).filter((x) => x.start >= from);
    const out: PhraseMatch<T>[] = [];
    let i = 0;
    while (i < toks.length) {
      let n: Node<T> | undefined = this.root;
      let best = -1;
      let bestValue: T | undefined;
      for (let j = i; j < toks.length; j++) {
        n = n.next.get(toks[j]!.t);
        if (!n) break;
        if (n.value !== undefined) {
          best = j;
          bestValue = n.value;
        }
      }
      if (best >= 0) {
        const start = toks[i]!.start;
        const end = toks[best]!.end;
        out.push({ start, end, surface: text.slice(start, end), value: bestValue as T });
        i = best + 1;
      } else i++;
    }
    return out;
  }

  /** The value of a phrase as a whole, if the lexicon has it. */
  lookup(surface: string): T | undefined {
    const toks = tokens(normalizeText(surface).norm).map((x) => x.t);
    let n: Node<T> | undefined = this.root;
    for (const t of toks) {
      n = n.next.get(t);
      if (!n) return undefined;
    }
    if (n.value !== undefined || toks.length < 2) return n.value;
    return this.lookup(toks.join(''));
  }
}
