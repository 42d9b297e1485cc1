/**
 * Spoken sentence → note sentence: fillers, false starts and tag questions removed,
 * recogniser spellings joined ("gon na" → "going to"), and the speaker's first person
 * turned into the note's third person ("I've had" → "he has had"; the clinician's "you"
 * → the patient). Purely lexical: it never adds a fact the sentence did not state.
 */

export interface Person {
  /** "he" | "she" | "the patient". */
  subject: string;
  object: string;
  possessive: string;
  reflexive: string;
}

export const PATIENT_THEY: Person = { subject: 'the patient', object: 'the patient', possessive: 'their', reflexive: 'themselves' };
export const personFor = (sex: 'male' | 'female' | null): Person =>
  sex === 'male' ? { subject: 'he', object: 'him', possessive: 'his', reflexive: 'himself' }
    : sex === 'female' ? { subject: 'she', object: 'her', possessive: 'her', reflexive: 'herself' }
      : PATIENT_THEY;

const JOINS: [RegExp, string][] = [
  [/\bgon na\b/g, 'going to'], [/\bwan na\b/g, 'want to'], [/\bgot ta\b/g, 'have to'], [/\bkinda\b/g, 'kind of'],
  [/\bsorta\b/g, 'sort of'], [/\bgonna\b/g, 'going to'], [/\bwanna\b/g, 'want to'], [/\bgotta\b/g, 'have to'],
  [/\bdo n't\b/g, "don't"], [/\bdid n't\b/g, "didn't"], [/\bdoes n't\b/g, "doesn't"], [/\bis n't\b/g, "isn't"],
  [/\bwas n't\b/g, "wasn't"], [/\bha(ve|s|d) n't\b/g, "ha$1n't"], [/\bca n't\b/g, "can't"], [/\bwo n't\b/g, "won't"],
  [/\bwould n't\b/g, "wouldn't"], [/\bcould n't\b/g, "couldn't"], [/\bare n't\b/g, "aren't"], [/\bwere n't\b/g, "weren't"],
  [/\bshould n't\b/g, "shouldn't"], [/\s+'(s|re|ve|ll|d|m)\b/g, "'$1"], [/\bwhats\b/g, "what's"],
];

/** Words and phrases that carry nothing in a note. */
const FILLERS = /\b(?:um+|uh+|er+m?|hmm+|mm+-?hmm+|mm+|uh-?huh|you know|i mean|like i said|sort of|kind of|basically|actually|literally|honestly|just|really|pretty much|anyway|so yeah)\b/g;
/** Stage directions inside a sentence ("let's go ahead and order" → "order"). */
const STAGING = /\b(?:go ahead and|going to go ahead and|let me just|let me|let's just|just wanted to|want to just)\b/g;
// "no" and "yes" only as an interjection set off by a comma: "no chest pain" keeps its "no"
const OPENERS = /^(?:(?:(?:okay|ok|alright|all right|so|and|well|now|yeah|yep|oh|right|great|good|perfect|um|uh|but|then|also|hey|hi|sure|cool|wow|gosh|mm-hmm|hmm)\b|(?:no|yes|nope)\s*[,.!])[\s,.]*)+/;
const TAGS = /[\s,]+(?:okay|ok|alright|all right|right|you know|correct|yeah|does that sound good|sound good|sounds good|is that okay|is that alright|how does that sound|does that make sense)\s*[?.!]?\s*$/;

/** Removes fillers and stutters, joins split spellings; keeps the words that carry content. */
export function cleanSpeech(text: string): string {
  let s = ` ${text.toLowerCase()} `.replace(/\s+/g, ' ');
  for (const [re, to] of JOINS) s = s.replace(re, to);
  s = s.replace(/\.\.\.|…/g, ',').replace(FILLERS, ' ').replace(STAGING, ' ').replace(/^'?cause\b/, 'because');
  // stutters and restarts: "i i i", "a a", "the the", "it's it's"
  s = s.replace(/\b([a-z']+)(?:[\s,]+\1\b)+/g, '$1');
  s = s.replace(/\s*,(?:\s*,)+/g, ',').replace(/\s+/g, ' ').trim();
  s = s.replace(OPENERS, '').replace(TAGS, '');
  s = s.replace(/^[\s,.;:-]+|[\s,;:-]+$/g, '').replace(/\s+([,.;?!])/g, '$1');
  return s;
}

// present-tense verbs that take -s after he / she ("i feel" → "he feels")
const VERBS = new Set([
  'feel', 'get', 'take', 'think', 'know', 'notice', 'need', 'want', 'try', 'use', 'drink', 'smoke', 'work', 'eat', 'live',
  'like', 'see', 'wake', 'sleep', 'walk', 'run', 'exercise', 'hurt', 'say', 'mean', 'guess', 'start', 'stop', 'keep', 'come',
  'make', 'play', 'find', 'check', 'monitor', 'watch', 'wear', 'remember', 'believe', 'worry', 'drive', 'swim', 'bike', 'lift',
  'cough', 'sneeze', 'vomit', 'throw', 'avoid', 'follow', 'forget', 'miss', 'skip', 'cook', 'travel', 'stay', 'sit', 'stand',
  'lie', 'bend', 'move', 'carry', 'wonder', 'hope', 'love', 'enjoy', 'hate', 'prefer', 'deal', 'struggle', 'manage', 'handle',
  'lose', 'gain', 'weigh', 'test', 'experience', 'suffer', 'develop', 'pee', 'urinate', 'breathe', 'wheeze', 'bleed',
]);
const third = (v: string) => (/(?:s|sh|ch|x|z|o)$/.test(v) ? `${v}es` : /[^aeiou]y$/.test(v) ? `${v.slice(0, -1)}ies` : `${v}s`);

/** The patient's first person → third person. */
export function patientToThird(s: string, p: Person): string {
  const sub = p.subject;
  let out = ` ${s} `;
  const rules: [RegExp, string | ((...m: string[]) => string)][] = [
    [/\bi'm\b|\bi am\b|\bim\b/g, `${sub} is`],
    [/\bi've\b|\bi have\b/g, `${sub} has`],
    [/\bi'd\b/g, `${sub} would`],
    [/\bi'll\b|\bi will\b/g, `${sub} will`],
    [/\bi was\b/g, `${sub} was`],
    [/\bi don't\b|\bi do not\b/g, `${sub} does not`],
    [/\bi didn't\b/g, `${sub} did not`],
    [/\bi can't\b/g, `${sub} cannot`],
    [/\bi haven't\b/g, `${sub} has not`],
    [/\bi do\b/g, `${sub} does`],
    [/\bi ([a-z]+)\b/g, (_m: string, v: string) => `${sub} ${VERBS.has(v) ? third(v) : v}`],
    [/\bi\b/g, sub],
    [/\bmy\b/g, p.possessive],
    [/\bmine\b/g, p.possessive === 'their' ? 'theirs' : p.possessive === 'his' ? 'his' : 'hers'],
    [/\bme\b/g, p.object],
    [/\bmyself\b/g, p.reflexive],
    [/\bwe\b/g, 'they'], [/\bour\b/g, 'their'], [/\bus\b/g, 'them'],
  ];
  for (const [re, to] of rules) out = out.replace(re, to as string);
  return out.trim();
}

/** The clinician's "you" → the patient; first person stays (notes are written by the clinician). */
export function clinicianToNote(s: string, p: Person): string {
  const sub = p.subject;
  let out = ` ${s} `;
  const rules: [RegExp, string][] = [
    [/\bi'm going to\b|\bi am going to\b/g, 'I will'],
    [/\bwe're going to\b|\bwe are going to\b/g, 'we will'],
    [/\bi want you to\b|\bi'd like you to\b|\bi would like you to\b|\bi need you to\b/g, `I advised ${p.object} to`],
    [/\bi want to have you\b|\bi'd like to have you\b/g, `I would like ${p.object} to`],
    [/\byou're\b|\byou are\b/g, `${sub} is`],
    [/\byou've\b|\byou have\b/g, `${sub} has`],
    [/\byou were\b/g, `${sub} was`],
    [/\byou'll\b|\byou will\b/g, `${sub} will`],
    [/\byou don't\b|\byou do not\b/g, `${sub} does not`],
    [/\byou do\b/g, `${sub} does`],
    [/\byou (can|could|should|would|need|may|might|must|also|still|ever|never|always|usually|often|sometimes|mentioned|said|told|noticed|reported|described|felt|had|did|took|tried|started|stopped|went|got|seem|seemed|look|looked|sound|sounded)\b/g, `${sub} $1`],
    [new RegExp(`\\byou (${[...VERBS].join('|')})\\b`, 'g'), `${sub} $1`],
    [/\byourself\b/g, p.reflexive],
    [/\byour\b/g, p.possessive],
    [/\byou\b/g, p.object],
    [/\bi\b/g, 'I'], [/\bi'(ll|ve|d|m)\b/g, "I'$1"],
  ];
  for (const [re, to] of rules) out = out.replace(re, to);
  // third-person agreement after the patient subject ("he feel" → "he feels") for the -you rule
  out = out.replace(new RegExp(`\\b(${sub}) ([a-z]+)\\b`, 'g'), (m, su: string, v: string) => (VERBS.has(v) ? `${su} ${third(v)}` : m));
  return out.trim();
}

/** Sentence case and a full stop. */
export function asSentence(s: string): string {
  const t = s.trim().replace(/\s+/g, ' ').replace(/[\s,;:-]+$/, '');
  if (!t) return t;
  const c = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?]$/.test(c) ? c.replace(/\?$/, '.') : `${c}.`;
}
