/**
 * The dialogue layer: turns (consecutive lines of one speaker), a dialogue act per
 * sentence, and which patient turn answers each of the clinician's questions, robust
 * to a recogniser that drops "?" and splits one question over several lines.
 */
import type { Speaker } from '../../core/ports/extractor.js';
import type { Doc, DocSentence } from './doc.js';
import { CONDITIONS, SYMPTOMS } from './lexicon/clinical.js';
import { PhraseMatcher } from './lexicon/matcher.js';
import { answerPolarity } from './negation.js';
import { tokenize, type Token } from './text.js';

export type DialogueAct = 'question' | 'answer' | 'statement' | 'instruction' | 'backchannel';

export interface Turn {
  speaker: Speaker;
  lines: number[];
  /** Sentence idx range [first, last]. */
  first: number;
  last: number;
}

export interface Reply {
  polarity: 'yes' | 'no' | null;
  /** The patient sentences that reply (one or two turns). */
  sentences: DocSentence[];
  /** The words that gave the polarity ("not really", "mm-hmm"). */
  cue: string | null;
}

export interface Dialogue {
  turns: Turn[];
  /** By sentence idx. */
  turnOf: number[];
  acts: DialogueAct[];
  /** By sentence idx: offset in the sentence text where a question starts, -1 for none. */
  questionAt: number[];
  /** By sentence idx, for questions: the patient's reply, null when unanswered. */
  replies: (Reply | null)[];
}

/** How a patient's reply settles one finding of a question. */
export type AnswerHow = 'yes' | 'no' | 'named' | 'partial' | 'unclear';
export interface Answer {
  how: AnswerHow;
  cue: string | null;
  reply: Reply | null;
}

const BACKCHANNEL = /^(?:(?:okay|ok|alright|all right|right|mm-?hmm|mm hmm|mmhmm|mhm|uh-?huh|uh huh|uhhuh|hmm|mm|um|uh|er|ah|oh|i see|got it|gotcha|great|good|perfect|fine|nice|cool|sure|thanks|thank you|wow|sorry|oh no|oh dear|go on|go ahead|that's fine|that's good|interesting|understood|yeah|yes|yep|so|and|well|then)[\s,.!]*)+$/;
const INSTRUCTION = /^(?:(?:so|and|okay|ok|now|then|also|please|um|uh)\s+)*(?:take|call|come back|return|make sure|try|keep|continue|stop|start|avoid|let me know|go to|use|apply|drink|rest|i want you to|i'd like you to|you should|you need to|you'll need to|don't|do n't|do not)\b/;
/** Multi-word cues that open a question anywhere in a sentence (the recogniser drops "?" and commas). */
const CUES: readonly string[][] = [
  ['do', 'you'], ['did', 'you'], ['does', 'it'], ['does', 'that'], ['did', 'it'], ['have', 'you'], ['has', 'it'], ['has', 'that'],
  ['are', 'you'], ['were', 'you'], ['is', 'there'], ['are', 'there'], ['was', 'there'], ['were', 'there'], ['how', 'about'],
  ['what', 'about'], ['any', 'chance'], ['ever', 'had'], ['you', 'ever'], ['does', 'she'], ['does', 'he'], ['do', 'they'],
  ['have', 'there', 'been'], ['anything', 'like'], ['is', 'it'], ['is', 'that'], ['any'], ['anything'], ['ever'],
];
/** "any" after these is not a question ("if you have any", "I don't see any", "without any"). */
const ANY_BLOCK = new Set([
  'have', 'has', 'had', 'get', 'got', 'getting', 'having', 'take', 'taking', 'took', 'see', 'seen', 'saw', 'notice', 'noticed',
  'feel', 'felt', 'find', 'found', 'no', 'not', 'without', "n't", 'if', 'for', 'with', 'of', 'in', 'about', 'there', 'is', 'are',
  'was', 'were', 'been', 'be', 'experience', 'experiencing', 'develop', 'developing', 'need', 'want', 'dont', 'didnt', 'doesnt',
  'havent', 'hasnt', 'isnt', 'arent', 'wasnt', 'never', 'hardly', 'barely', 'denies', 'denied', 'deny', 'cause', 'give', 'do', 'did',
  'does', 'at', 'to', 'or', 'nor', 'hear', 'heard', 'show', 'shows', 'showed', 'appreciate', 'you', 'it', 'than', 'like', 'ever',
]);
const CUE_BLOCK = new Set(['if', 'when', 'whether', 'unless', 'as', 'what', 'why', 'how', 'where', 'who', 'which', 'than', 'cause', 'because', 'that']);
/** Words that may sit in a bare list of findings ("chest pain, shortness of breath or blurred vision"). */
const LIST_GLUE = new Set([
  ',', '?', '.', '!', '/', '-', 'and', 'or', 'any', 'the', 'a', 'an', 'some', 'like', 'also', 'um', 'uh', 'okay', 'ok', 'so', 'maybe',
  'other', 'anything', 'else', 'symptoms', 'how', 'about', 'what', 'new', 'recent', 'recently', 'lately', 'at', 'all', 'now', 'then',
  'alright', 'right', 'well', 'sort', 'kind', 'of', 'that', 'those', 'these', 'sorts', 'things', 'stuff', 'even',
]);
const NEG_WORDS = /\b(?:no|not|never|without|denies|denied|nil|none|negative)\b|n't\b/;
/** A request or plan: what the patient's "sure" / "okay" answers. */
const REQUEST = /\b(?:can you|could you|would you|will you|can i|may i|let me|let's|i'd like you|i want you|we'll|we will|i'll|i will|keep taking|lie back|lie down|hop up|take a deep breath)\b/;
/** In a clarifying statement after the question, these keep the question open. */
const ASIDE = /\b(?:because|cause|asking|ask|wondering|curious|note|noting|write|writing|typing|just (?:want|wanted|checking|to check)|reason|meaning|mean|i'm sorry|sorry)\b/;

let findingMatcher: PhraseMatcher<true> | null = null;
function findingSpans(text: string): { start: number; end: number }[] {
  findingMatcher ??= new PhraseMatcher([...SYMPTOMS, ...CONDITIONS].flatMap((t) => t.forms.map((f) => [f, true] as const)));
  const out = findingMatcher.match(text).map((m) => ({ start: m.start, end: m.end }));
  const re = /\b[a-z]+\s+(?:pain|pains|ache|aches|discomfort|swelling|stiffness|weakness)\b/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out.push({ start: m.index, end: m.index + m[0].length });
  return out;
}

const wordCount = (t: string) => t.split(/\s+/).filter((w) => /[a-z0-9]/.test(w)).length;
const isBackchannel = (t: string) => BACKCHANNEL.test(t.trim());

function seqAt(tokens: Token[], i: number, seq: readonly string[]): boolean {
  for (let k = 0; k < seq.length; k++) if (tokens[i + k]?.text !== seq[k]) return false;
  return true;
}

/** Offset in `text` where a question opens (first cue), or -1. */
function questionCueAt(text: string): number {
  const tokens = tokenize(text);
  for (let i = 0; i < tokens.length; i++) {
    for (const cue of CUES) {
      if (!seqAt(tokens, i, cue)) continue;
      const prev = tokens[i - 1]?.text;
      if (prev !== undefined && CUE_BLOCK.has(prev)) continue;
      if (cue.length === 1 && prev !== undefined && (ANY_BLOCK.has(prev) || isNegToken(prev))) continue;
      // "you ever" needs a verb after; "is it"/"is that" only open a sentence or follow a break
      if ((cue[0] === 'is' && cue.length === 2 && (cue[1] === 'it' || cue[1] === 'that')) && i > 0 && !/^[,.]$/.test(prev ?? '')) continue;
      if (cue[0] === 'ever' && cue.length === 1 && i > 0 && prev !== 'you' && prev !== ',') continue;
      return tokens[i]!.start;
    }
  }
  return -1;
}
const isNegToken = (t: string) => t === 'no' || t === 'not' || t.endsWith("n't");

/** Words other than findings and list glue in a sentence naming findings ("fever chills or night sweats" → 0); -1 when none or negated. */
function bareFindingList(text: string): number {
  if (NEG_WORDS.test(text)) return -1;
  const spans = findingSpans(text);
  if (!spans.length) return -1;
  const tokens = tokenize(text);
  let other = 0;
  for (const t of tokens) {
    if (spans.some((s) => t.start >= s.start && t.end <= s.end)) continue;
    if (LIST_GLUE.has(t.text)) continue;
    other++;
  }
  return other;
}

const cache = new WeakMap<Doc, Dialogue>();

export function dialogueOf(doc: Doc): Dialogue {
  const hit = cache.get(doc);
  if (hit) return hit;
  const n = doc.sentences.length;
  const turns: Turn[] = [];
  const turnOf = new Array<number>(n).fill(-1);
  for (const l of doc.lines) {
    if (!l.sentences.length) continue;
    const cur = turns[turns.length - 1];
    if (cur && cur.speaker === l.speaker) {
      cur.lines.push(l.index);
      cur.last = l.sentences[l.sentences.length - 1]!.idx;
    } else turns.push({ speaker: l.speaker, lines: [l.index], first: l.sentences[0]!.idx, last: l.sentences[l.sentences.length - 1]!.idx });
    for (const s of l.sentences) turnOf[s.idx] = turns.length - 1;
  }
  const acts = new Array<DialogueAct>(n).fill('statement');
  const questionAt = new Array<number>(n).fill(-1);
  const replies = new Array<Reply | null>(n).fill(null);
  const dialogue: Dialogue = { turns, turnOf, acts, questionAt, replies };
  const consultation = doc.mode === 'consultation';

  for (const t of turns) {
    const clinician = t.speaker !== 'patient';
    let prevQuestion = false;
    for (let i = t.first; i <= t.last; i++) {
      const s = doc.sentences[i]!;
      if (isBackchannel(s.text)) {
        acts[i] = 'backchannel';
        continue;
      }
      if (!clinician) {
        acts[i] = s.text.trim().endsWith('?') ? 'question' : 'statement';
        continue;
      }
      let at = -1;
      if (consultation) {
        at = questionCueAt(s.text);
        if (at < 0 && s.question) at = 0;
        // a list of findings on its own: the rest of a question the recogniser cut, or a rising list
        const other = at < 0 ? bareFindingList(s.text) : -1;
        if (other === 0 || (other === 1 && (prevQuestion || s.text.includes(' or ')))) at = 0;
      } else if (s.text.trim().endsWith('?') && s.question) at = 0;
      questionAt[i] = at;
      acts[i] = at >= 0 ? 'question' : INSTRUCTION.test(s.text) ? 'instruction' : 'statement';
      prevQuestion = at >= 0;
    }
  }
  if (consultation) pairReplies(doc, dialogue);
  cache.set(doc, dialogue);
  return dialogue;
}

/** The patient turn that answers turn `ti` (skipping the clinician's backchannel), or -1. */
function nextPatientTurn(doc: Doc, d: Dialogue, ti: number): number {
  for (let k = ti + 1; k < d.turns.length && k <= ti + 3; k++) {
    const t = d.turns[k]!;
    if (t.speaker === 'patient') return k;
    for (let i = t.first; i <= t.last; i++) if (d.acts[i] !== 'backchannel') return -1;
  }
  return -1;
}

function turnSentences(doc: Doc, t: Turn): DocSentence[] {
  return doc.sentences.slice(t.first, t.last + 1);
}

/** Polarity of a reply: the first sentence that says yes or no, past fillers ("um", "let me think"). */
function replyPolarity(ss: DocSentence[]): { polarity: 'yes' | 'no' | null; cue: string | null } {
  for (const s of ss.slice(0, 3)) {
    const p = answerPolarity(s.text);
    if (p) return { polarity: p, cue: s.text.split(/\s+/).slice(0, 3).join(' ') };
    if (wordCount(s.text) > 4 || findingSpans(s.text).length) break;
  }
  return { polarity: null, cue: null };
}

function pairReplies(doc: Doc, d: Dialogue): void {
  for (let ti = 0; ti < d.turns.length; ti++) {
    const t = d.turns[ti]!;
    if (t.speaker === 'patient') continue;
    const qs: number[] = [];
    for (let i = t.first; i <= t.last; i++) {
      if (d.questionAt[i]! >= 0) qs.push(i);
      else if (d.acts[i] !== 'backchannel' && qs.length) {
        // a statement after a question: the patient replies to what comes after it instead
        const text = doc.sentences[i]!.text;
        if (wordCount(text) >= 4 && !ASIDE.test(text)) qs.length = 0;
      }
    }
    // "any vomiting? can you lie back for me?" / "any diarrhea i'd like you to keep taking…": the reply goes to the request
    const lastQ = qs.length ? doc.sentences[qs[qs.length - 1]!]! : null;
    if (lastQ) {
      const spans = findingSpans(lastQ.text);
      const tail = spans.length ? lastQ.text.slice(Math.max(...spans.map((x) => x.end))) : lastQ.text;
      if (REQUEST.test(tail) && (spans.length === 0 || wordCount(tail) >= 4)) qs.length = 0;
    }
    if (!qs.length) continue;
    const pi = nextPatientTurn(doc, d, ti);
    if (pi < 0) continue;
    let ss = turnSentences(doc, d.turns[pi]!);
    let pol = replyPolarity(ss);
    // "um, what do you mean?" / "hmm" then the clinician clarifies without asking anew: the next patient turn answers
    if (!pol.polarity && !ss.some((s) => findingSpans(s.text).length) && wordCount(ss.map((s) => s.text).join(' ')) <= 8) {
      const ci = pi + 1;
      const ct = d.turns[ci];
      if (ct && ct.speaker !== 'patient') {
        let asks = false;
        for (let i = ct.first; i <= ct.last; i++) if (d.questionAt[i]! >= 0 && findingSpans(doc.sentences[i]!.text).length) asks = true;
        const p2 = asks ? -1 : nextPatientTurn(doc, d, ci);
        if (p2 >= 0) {
          ss = [...ss, ...turnSentences(doc, d.turns[p2]!)];
          pol = replyPolarity(turnSentences(doc, d.turns[p2]!));
        }
      }
    }
    const reply: Reply = { polarity: pol.polarity, sentences: ss, cue: pol.cue };
    for (const q of qs) d.replies[q] = reply;
    for (const s of ss) if (d.acts[s.idx] === 'statement' || d.acts[s.idx] === 'backchannel') d.acts[s.idx] = 'answer';
  }
}

/** Offset in `s.text` where the clinician's question starts; -1 when `s` asks nothing. */
export function questionStart(doc: Doc, s: DocSentence): number {
  return dialogueOf(doc).questionAt[s.idx] ?? -1;
}

/**
 * How the patient's reply settles finding `name` of question `q`: 'named' when the reply
 * names it (its own words decide), 'partial' when it names other findings of the
 * question but not this one (left unknown), else the reply's yes / no.
 * `namesIn` lists the finding names of a sentence; `questionNames` those of the question.
 */
export function answerFor(
  doc: Doc,
  q: DocSentence,
  name: string,
  questionNames: readonly string[],
  namesIn: (s: DocSentence) => readonly string[],
): Answer {
  const reply = dialogueOf(doc).replies[q.idx] ?? null;
  if (!reply) return { how: 'unclear', cue: null, reply };
  const named = new Set<string>();
  for (const s of reply.sentences) for (const x of namesIn(s)) named.add(x);
  if (named.has(name)) return { how: 'named', cue: null, reply };
  if (questionNames.some((x) => x !== name && named.has(x))) return { how: 'partial', cue: null, reply };
  if (reply.polarity === 'yes') return { how: 'yes', cue: reply.cue, reply };
  if (reply.polarity === 'no') return { how: 'no', cue: reply.cue, reply };
  return { how: 'unclear', cue: null, reply };
}
