/**
 * NegEx-style negation (Chapman et al. 2001), written for spoken consultations.
 *
 * A target phrase is negated when a negation trigger precedes it within a window of
 * words (list words like "and", "or", "any" do not count) with no scope terminator in
 * between ("no fever, cough or cold"; "denies chest pain"), or when a post-trigger
 * follows it closely ("fever has resolved", "dengue ruled out"). Pseudo-triggers that
 * look negative but are not ("no increase in pain", "no relief", "not sure") are
 * skipped, and "no" used as an interjection ("No, I have a fever") is not a trigger.
 */
import { tokenize, type Token } from './text.js';

export interface NegationResult {
  negated: boolean;
  /** The trigger phrase that decided it. */
  trigger: string | null;
}

const PRE_TRIGGERS: readonly string[][] = [
  ['no'], ['not'], ['never'], ['without'], ['denies'], ['denied'], ['deny'], ['denying'], ['nil'], ['none'],
  ['nor'], ['neither'], ['negative', 'for'], ['free', 'of'], ['absence', 'of'], ['absent'], ['no', 'signs', 'of'],
  ['no', 'evidence', 'of'], ['no', 'history', 'of'], ['no', 'complaints', 'of'], ['rules', 'out'], ['ruled', 'out'],
  ['negative'], ['non'], ['dont'], ['doesnt'], ['didnt'], ['havent'], ['hasnt'], ['hadnt'], ['isnt'], ['wasnt'],
  ['arent'], ['werent'], ['cannot'], ['resolution', 'of'], ['resolved'],
];

/** Phrases that begin with a trigger word but do not negate what follows. */
const PSEUDO: readonly string[][] = [
  ['no', 'increase'], ['no', 'change'], ['no', 'significant', 'change'], ['no', 'interval', 'change'],
  ['not', 'only'], ['not', 'just'], ['not', 'necessarily'], ['not', 'sure'], ['not', 'certain'], ['not', 'clear'],
  ['no', 'doubt'], ['without', 'difficulty'], ['no', 'relief'], ['not', 'relieved'], ['no', 'improvement'],
  ['not', 'improved'], ['not', 'improving'], ['not', 'better'], ['not', 'getting', 'better'], ['not', 'helping'],
  ['not', 'helped'], ['not', 'help'], ['not', 'resolved'], ['not', 'gone'], ['not', 'going', 'away'], ['not', 'go', 'away'],
  ['not', 'settling'], ['not', 'subsiding'], ['no', 'response'], ['not', 'responding'], ['not', 'rule', 'out'],
  ['not', 'ruled', 'out'], ['cannot', 'rule', 'out'], ['cannot', 'be', 'ruled', 'out'], ['no', 'worse'], ['not', 'worse'], ['never', 'mind'], ['no', 'matter'], ['not', 'bad'],
  ['no', 'problem'], ['no', 'longer', 'helping'], ['not', 'controlled'], ['not', 'well', 'controlled'],
  ['not', 'under', 'control'], ['not', 'know'], ['not', 'remember'], ['not', 'stopping'], ['not', 'stop'],
  ['not', 'able'], ['not', 'working'], ['not', 'work'], ['not', 'enough'], ['resolved', 'with'],
  ['no', 'harm'], ['not', 'great'], ['not', 'good'], ['not', 'so', 'good'], ['not', 'too', 'good'], ['not', 'so', 'great'], ['not', 'too', 'great'], ['not', 'well'], ['not', 'do', 'any', 'harm'], ['not', 'do', 'you', 'any', 'harm'],
  ['not', 'going', 'to', 'do', 'any', 'harm'], ['not', 'going', 'to', 'do', 'you', 'any', 'harm'],
];

/** Words that end a trigger's scope. */
const TERMINATORS = new Set([
  'but', 'however', 'although', 'though', 'except', 'apart', 'aside', 'yet', 'whereas', 'whilst', 'nevertheless',
  'which', 'who', 'because', 'due', 'secondary', 'cause', 'causes', 'caused', 'still', 'otherwise', 'besides',
]);
/** Words that start a new (affirmed) clause when they follow a comma, "and" or a pronoun. */
const CLAUSE_VERBS = new Set([
  'has', 'have', 'having', 'had', 'reports', 'reported', 'complains', 'complained', 'feels', 'feel', 'felt',
  'is', 'are', 'was', 'were', 'got', 'gets', 'developed', 'develops', 'notes', 'noted', 'endorses', 'admits', 'presents',
  'experiencing', 'experiences', 'suffering', 'suffers', 'started', 'getting', 'gets',
]);
const CLAUSE_OPENERS = new Set([',', 'and', 'but', 'she', 'he', 'i', 'they', 'we', 'patient', 'pt', 'it', 'also', 'now', 'then', 'you']);
/** After "no", these mean it was an interjection ("no, I have a fever", "no it started yesterday"). */
const INTERJECTION_NEXT = new Set([
  ',', '.', '!', 'i', "i'm", 'im', 'it', "it's", 'its', 'we', 'he', 'she', 'they', 'that', 'this', 'you', 'just', 'but',
  'sir', 'doctor', 'doc', 'madam', 'yes', 'well', 'actually', 'because', 'so', 'okay', 'ok', 'thanks', 'thank', 'no',
  'not', 'never', 'nothing', 'the', 'my', 'only', 'um', 'uh', 'mm', 'sorry', 'problem', 'worries', 'there', 'we\'re',
  'what', 'one', 'way', 'wait', 'maam', "ma'am", 'sometimes', 'occasionally', 'really',
]);
/** Words that do not use up the window (list glue and determiners). */
const FREE_WORDS = new Set([',', 'and', 'or', 'any', 'other', 'a', 'an', 'the', 'of', 'nor', 'some', 'signs', 'symptoms', 'history', 'recent', 'new', 'significant', '/']);

const POST_TRIGGERS: readonly string[][] = [
  ['ruled', 'out'], ['was', 'ruled', 'out'], ['is', 'ruled', 'out'], ['been', 'ruled', 'out'], ['negative'],
  ['absent'], ['not', 'present'], ['denied'], ['free'], ['resolved'], ['went', 'away'], ['gone'], ['subsided'],
  ['settled'], ['none'], ['nil'], ['no'], ['unlikely'], ['not', 'seen'], ['disappeared'], ['cleared'], ['cleared', 'up'],
];

const PRE_WINDOW = 8;
const POST_WINDOW = 4;

function isNegWord(t: string): boolean {
  return t === "n't" || (t.endsWith("n't") && t.length > 3);
}

function seqAt(tokens: readonly Token[], i: number, seq: readonly string[]): boolean {
  for (let k = 0; k < seq.length; k++) {
    const tok = tokens[i + k];
    if (!tok) return false;
    const want = seq[k]!;
    if (want === 'not' ? !(tok.text === 'not' || isNegWord(tok.text)) : tok.text !== want) return false;
  }
  return true;
}

/** A pseudo-trigger starting at token i that ends before token `limit` (the target). */
function isPseudoAt(tokens: readonly Token[], i: number, limit: number): boolean {
  return PSEUDO.some((p) => i + p.length <= limit && seqAt(tokens, i, p));
}

/** The trigger starting at token i (longest first), or null. */
function preTriggerAt(tokens: readonly Token[], i: number): string[] | null {
  const tok = tokens[i]!;
  if (isNegWord(tok.text)) return ["n't"];
  let best: string[] | null = null;
  for (const tr of PRE_TRIGGERS) if (seqAt(tokens, i, tr) && (!best || tr.length > best.length)) best = tr;
  return best;
}

/**
 * Is the phrase at `[start, end)` of `sentence` (a normalised sentence) negated?
 */
export function negationStatus(sentence: string, start: number, end: number): NegationResult {
  const tokens = tokenize(sentence);
  let ti = tokens.findIndex((t) => t.end > start);
  if (ti < 0) ti = tokens.length;
  let tj = ti;
  while (tj + 1 < tokens.length && tokens[tj + 1]!.start < end) tj++;

  // Pre-triggers: walk back from the target.
  let words = 0;
  for (let k = ti - 1; k >= 0; k--) {
    const tok = tokens[k]!.text;
    if (TERMINATORS.has(tok)) break;
    if (/^[.;:!?()]$/.test(tok)) break;
    if (CLAUSE_VERBS.has(tok) && k > 0 && CLAUSE_OPENERS.has(tokens[k - 1]!.text)) {
      // "no fever, has cough" — but not "does not have fever" (the trigger sits right before)
      const prev = tokens[k - 1]!.text;
      if (prev !== 'not' && !isNegWord(prev)) break;
    }
    // A trigger may span several tokens ending anywhere up to here; try starts at k.
    const tr = preTriggerAt(tokens, k);
    if (tr && !isPseudoAt(tokens, k, ti)) {
      const trEnd = k + tr.length; // first token after the trigger
      if (trEnd <= ti) {
        const isNo = tr.length === 1 && tr[0] === 'no';
        const next = tokens[k + 1]?.text;
        const interjection = isNo && next !== undefined && INTERJECTION_NEXT.has(next) && k + 1 < ti;
        const trailing = tr[0] === 'resolved' || tr[0] === 'negative' || tr[0] === 'absent';
        // "resolved"/"negative"/"absent" before the target only count when right before it
        if (!interjection && !(trailing && trEnd !== ti)) {
          return { negated: true, trigger: tr.join(' ') };
        }
      }
    }
    if (!FREE_WORDS.has(tok)) words++;
    if (words > PRE_WINDOW) break;
  }

  // Post-triggers: a few words after the target.
  words = 0;
  for (let k = tj + 1; k < tokens.length; k++) {
    const tok = tokens[k]!.text;
    if (TERMINATORS.has(tok) || /^[.;!?()]$/.test(tok)) break;
    if (tok === 'and' && k > tj + 1) break;
    for (const tr of POST_TRIGGERS) {
      if (!seqAt(tokens, k, tr)) continue;
      const prev = tokens[k - 1]?.text ?? '';
      // "has not resolved", "not gone" → still there
      if (prev === 'not' || isNegWord(prev) || prev === 'never') continue;
      // "no" after the target only as an answer: "fever: no", "fever - no"
      // "fever: no", "cough - nil": an answer right after the target, not "fever on day 1, nil since"
      if ((tr[0] === 'no' || tr[0] === 'nil' || tr[0] === 'none') && !(prev === ':' || prev === '-' || k === tj + 1)) continue;
      if (tr[0] === 'free' && !(k === tj + 1 || prev === '-')) continue;
      return { negated: true, trigger: tr.join(' ') };
    }
    if (tok !== ':' && tok !== '-' && tok !== ',') words++;
    if (words > POST_WINDOW) break;
  }
  return { negated: false, trigger: null };
}

const QUESTION_START = /^(?:(?:and|so|okay|ok|alright|now|also|um|uh)\s+)*(?:do|does|did|are|is|was|were|have|has|had|any|anything|can|could|would|will|how\s+about|what\s+about|is\s+there|are\s+there|you\s+have\s+any|ever)\b/;

/** A question: ends with "?" or opens like one ("any fever", "do you have …"). */
const TAG = /(?:,\s*|\s+)(?:okay|ok|alright|all right|right|yeah|yes|correct|you know|does that sound good|sound good|sounds good|is that okay|is that ok|is that all right|how does that sound|fair|good)\s*\?$/;

export function isQuestion(sentence: string): boolean {
  let s = sentence.trim();
  // "I'm going to prescribe meloxicam, okay?" is a statement with a tag
  if (TAG.test(s)) {
    s = s.replace(TAG, '').trim();
    return QUESTION_START.test(s) && s.split(/\s+/).length <= 14;
  }
  if (s.endsWith('?')) return true;
  return QUESTION_START.test(s) && s.split(/\s+/).length <= 14;
}

const YES = /^(?:yes|yeah|yep|yup|ya|yah|mm[- ]?hmm|uh[- ]?huh|mhm|correct|right|i do|i have|i did|i am|i'm|true|sure|definitely|a little|a bit|little bit|sometimes|occasionally|kind of|kinda|i think so|it does|it is|there is|absolutely|exactly|positive)\b/;
const NO = /^(?:no|nope|nah|not really|not anymore|not any more|no longer|i don't think so|i do n't think so|i dont think so|not that i'm aware|not that im aware|not at all|never|none|nothing|i don't|i do n't|i dont|i haven't|i have n't|i havent|i didn't|i did n't|negative|not that i know|not that i've noticed|no,)\b/;

/** How a patient's reply opens: 'yes', 'no' or null. */
export function answerPolarity(reply: string): 'yes' | 'no' | null {
  const s = reply.trim().toLowerCase().replace(/^(?:(?:um|uh(?![- ]?huh)|er|hmm|well|oh|okay|ok|so)[\s,.]+)+/, '');
  if (/^(?:i|i'm|im)\s*(?:am|do|did|have|'m)?\s*(?:not|n't|dont|do n't)\s+(?:know|sure|remember|recall)\b|^(?:i'm|i am) not sure\b|^not sure\b|^i don't know\b/.test(s)) return null;
  if (/^(?:i do not|i did not|i have not|i am not|i'm not|im not|it's not|it is not|it does not|it doesn't|it does n't)\b/.test(s)) return 'no';
  if (NO.test(s)) return 'no';
  if (YES.test(s)) return 'yes';
  return null;
}
