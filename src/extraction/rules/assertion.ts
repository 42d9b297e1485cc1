/**
 * Assertion status of a finding named in a statement (not a question: dialogue.ts pairs
 * those with their answers): someone else's (family), hypothetical or uncertain
 * (possible), denied (absent), past (historical), else present.
 */
import type { Speaker } from '../../core/ports/extractor.js';
import { negationStatus } from './negation.js';
import type { Assertion } from './types.js';

export interface AssertionResult {
  assertion: Assertion;
  cue: string | null;
  /** Set when a conditional / warning made it possible ("if you get", "side effects"). */
  conditional?: true;
}

/** The clause the target sits in: text back to the last clause break (max ~70 chars). */
export function clauseBefore(text: string, at: number, maxChars = 70): string {
  const pre = text.slice(Math.max(0, at - maxChars), at);
  const cut = Math.max(pre.lastIndexOf(','), pre.lastIndexOf(' but '), pre.lastIndexOf(' so '), pre.lastIndexOf(':'));
  return cut >= 0 && cut < pre.length - 2 ? pre.slice(cut + 1) : pre;
}

function clauseAfter(text: string, at: number, maxChars = 50): string {
  const post = text.slice(at, at + maxChars);
  const cut = post.search(/,|\bbut\b|\band\b|\bso\b/);
  return cut >= 0 ? post.slice(0, cut) : post;
}

const RELATIVE = '(?:mother|father|mom|mum|mommy|mama|dad|daddy|papa|brother|sister|son|daughter|grandmother|grandfather|grandma|grandpa|granny|aunt|auntie|uncle|cousin|niece|nephew|parents?|siblings?|wife|husband|partner|girlfriend|boyfriend|kids?|children|child|baby|friends?|colleagues?|coworkers?|co-workers?|flatmates?|roommates?|neighbou?r|boss|everyone|everybody|somebody|someone|anyone|anybody|people|family|relatives?|twin)';
/** A relative as the subject: "my mother has", "his dad had", "anyone in your family". */
const FAMILY_SUBJECT = new RegExp(`\\b${RELATIVE}\\b(?:'s)?`, 'g');
const FAMILY_CUE = /\bfamily (?:history|hx)\b|\bfhx?\b|\bin (?:the|my|your|our|his|her) family\b|\bruns? in (?:the|my|your|our) family\b/;
const FIRST_PERSON = /\b(?:i|i'm|im|i've|ive|i'd|me|myself|mine)\b/;

/** Hypothetical or conditional: warnings, side effects, what to watch for. */
const CONDITIONAL = /\b(?:if|in case|should you|unless|watch (?:out )?for|look out for|keep an eye out for|warning signs?|red flags?|side effects?|can cause|could cause|may cause|might cause|can give you|could give you|risk of|risk for|at risk|prevent|preventing|prevention|to avoid|avoid getting|chance of|chances of|lead to|leads to|develop into|turn into|make sure you don't)\b/;
/** Uncertainty, suspicion, work-up targets. */
const UNCERTAIN = /\b(?:could be|could have|might be|might have|may be|may have|maybe|possibly|possible|probable|probably|likely|perhaps|suspect|suspected|suspicious for|suspicion of|concern for|concerned (?:about|for|that|it)|worried (?:about|that|it|i|it's|its)|worry about|worrying about|afraid (?:of|that|it|i)|scared (?:of|that|it|i)|fear of|wonder if|wondering if|wonder whether|not sure (?:if|whether|it's|its|that)|unsure|question of|differential|versus|vs|consider|considering|think about|rule out|ruling out|r\/o|to exclude|exclude|excluding|query|what if|check for|checking for|test for|test you for|swab you for|check you for|screen you for|could (?:it|this|that) be|might (?:it|this|that) be|can (?:it|this|that) be|testing for|tested for|swab for|screen for|screening for|look for|looking for|evaluate for|evaluating for|work up for|signs of|symptoms of|sounds like it could|not convinced|doubt|i wonder)\b/;
const NOT_THINK = /\b(?:(?:do|did|does)\s*n't|dont|didnt|doesnt|do not|did not|does not)\s+(?:really\s+)?(?:think|believe|feel like|suspect)\b|\bnot (?:consistent with|suggestive of|typical of|concerned about|worried about|worried it's)\b|\bdoes\s*n't (?:look|sound|seem) like\b|\bno (?:concern|worries) (?:for|about)\b/;
const EXAMPLE = /(?:^|[^a-z])(?<!(?:sounds?|looks?|seems?|feels?|feel|felt) )(such as|for example|for instance|e\.g\.?|like)\s+(?:[a-z']+\s+){0,3}$/;
const USED_TO = /\bused to\b|\buse to\b/;
const PAST_BEFORE = /\b(?:history of|h\/o|hx of|in the past|previously|previous|prior|as a (?:kid|child|teenager|teen|baby|boy|girl)|when i was (?:younger|young|little|a kid|a child|a teenager|pregnant|\d+)|back (?:in|when)|years ago|long time ago|a while back|before i|once had|recovered from|got over|had (?:a |an )?(?:bout|episode|attack|case) of)\b/;
const PAST_AFTER = /^[^.?!]{0,40}?\b(?:last (?:year|winter|summer|spring|fall|autumn|month)|(?:\d+|a|one|two|few|couple of|several|many) (?:years?|months?) ago|years ago|as a (?:kid|child|teenager|baby)|when i was (?:younger|young|little|a kid|a child|\d+)|in the past|back in|in (?:19|20)\d\d|a (?:long )?(?:time|while) (?:ago|back)|but (?:it's|its|it is|that's|thats) (?:gone|resolved|better|fine|cleared|over)|but (?:it|that|they) (?:went away|cleared|resolved|settled|got better)|which (?:went away|resolved|cleared))\b/;
const HAD_SIMPLE = /(?:^|[^'a-z])\b(?:i|he|she|you|they|we|patient)\s+(?:had|got|caught|was diagnosed with|were diagnosed with|was treated for|were treated for)\b|\b(?:had|got|caught)\s+(?:a |an |the )?$/;

/** Family / someone else's: the relative is the subject of the clause holding the target. */
function familyCue(text: string, start: number, end: number): string | null {
  const before = clauseBefore(text, start);
  const fc = FAMILY_CUE.exec(before) ?? FAMILY_CUE.exec(clauseAfter(text, end));
  if (fc) return fc[0];
  FAMILY_SUBJECT.lastIndex = 0;
  let last: RegExpExecArray | null = null;
  let m: RegExpExecArray | null;
  while ((m = FAMILY_SUBJECT.exec(before)) !== null) last = m;
  if (!last) return null;
  const between = before.slice(last.index + last[0].length);
  // "my wife says I have a cough", "my kids gave me the flu": the patient has it
  if (FIRST_PERSON.test(between) || /\b(?:you|you're|you've)\b/.test(between)) return null;
  // "with my wife", "for my son's sake", "to my mother" → not the subject
  if (/\b(?:with|to|for|from|about|around|like|than)\s+(?:my|your|his|her|our|the|a)?\s*$/.test(before.slice(0, last.index))) return null;
  return last[0];
}

/**
 * Assertion for the target at `[start, end)` of `text` (a normalised sentence) said by
 * `speaker`; `kind` = 'diagnosis' lets "had X" without a time mean past for acute illness.
 */
export function assertionOf(text: string, start: number, end: number, speaker: Speaker, kind: 'symptom' | 'diagnosis' = 'symptom'): AssertionResult {
  const before = clauseBefore(text, start);
  const fam = familyCue(text, start, end);
  if (fam) return { assertion: 'family', cue: fam };

  const cond = CONDITIONAL.exec(before);
  // a patient's habitual "if I walk, I get chest pain" / "when I bend" still means they have it
  if (cond && !(speaker === 'patient' && /^(?:if|in case)$/.test(cond[0]) && /\b(?:if|in case)\s+(?:i|i'm|im|it's|its)\b/.test(before) && !/\bwhat if\b/.test(before))) {
    return { assertion: 'possible', cue: cond[0], conditional: true };
  }

  const nt = NOT_THINK.exec(before);
  if (nt) return { assertion: 'absent', cue: nt[0] };
  // "rule out" is a plan to look (possible); "ruled out" is done (absent)
  const ro = /\b(?:rule out|ruling out|r\/o|to exclude|exclude|excluding)\b(?:\s+(?:any|a|an|the|possible|some|for))*\s*$/.exec(before);
  if (ro) return { assertion: 'possible', cue: ro[0].trim() };

  const neg = negationStatus(text, start, end);
  if (neg.negated) return { assertion: 'absent', cue: neg.trigger };

  const unc = UNCERTAIN.exec(before) ?? /^\s*(?:\?|or not\b|is (?:possible|likely|a possibility)|maybe\b|possibly\b)/.exec(text.slice(end));
  // "I'm worried about this cough": a worry about one's own finding still reports it
  const ownWorry = unc && /^(?:worr|concern|afraid|scared)/.test(unc[0]) && /\b(?:my|this|the|these|that)\s+(?:\w+\s+)?$/.test(before);
  if (!unc && speaker === 'patient' && /^(?:(?:so|and|um|uh|but|doctor)\s+)*is (?:it|this|that)\b/.test(text)) return { assertion: 'possible', cue: 'is it' };
  if (unc && !ownWorry) return { assertion: 'possible', cue: unc[0].trim() };

  // the clinician's example ("like your heart racing", "such as a rash") asserts nothing
  const ex = speaker !== 'patient' ? EXAMPLE.exec(before) : null;
  if (ex) return { assertion: 'possible', cue: ex[1]! };

  const used = USED_TO.exec(before);
  if (used) return { assertion: 'historical', cue: used[0] };
  const past = PAST_BEFORE.exec(before);
  if (past) return { assertion: 'historical', cue: past[0] };
  const after = PAST_AFTER.exec(text.slice(end));
  if (after && HAD_SIMPLE.test(before)) return { assertion: 'historical', cue: after[0].trim().split(/\s+/).slice(-3).join(' ') };
  if (after && /\b(?:gone|resolved|better|fine|cleared|over|went away|settled|got better)\b/.test(after[0])) return { assertion: 'historical', cue: 'resolved' };
  if (kind === 'diagnosis' && /(?:^|\s)(?:i|he|she|they|we)\s+(?:had|got|caught|was diagnosed with)\s+(?:a |an |the )?$/.test(before)) return { assertion: 'historical', cue: 'had' };
  return { assertion: 'present', cue: null };
}

/** Inside a question: whether the finding is asked about someone else or as a hypothetical ("do you know what to do if you get chest pain"). */
export function questionQualifier(text: string, from: number, start: number, end: number): 'family' | 'hypothetical' | null {
  if (familyCue(text, start, end)) return 'family';
  const scope = text.slice(from, start);
  if (CONDITIONAL.test(clauseBefore(scope, scope.length))) return 'hypothetical';
  return null;
}
