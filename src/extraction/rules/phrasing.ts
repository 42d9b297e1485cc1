/** How extracted items read in note text; shared by the templates and the composed note. */
import type { MedicationItem, SymptomItem } from './types.js';

export const lowerFirst = (s: string) => (s ? s[0]!.toLowerCase() + s.slice(1) : s);
/** "a", "a and b", "a, b and c". */
export const joinList = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
export const symptomPhrase = (s: SymptomItem) => (s.duration ? `${lowerFirst(s.name)} for ${s.duration}` : lowerFirst(s.name));

/** "Metformin 500 mg BD after food for 5 days" (oral route left unsaid). */
export function medicationPhrase(m: MedicationItem): string {
  return [m.name, m.dosage, m.route && m.route !== 'oral' ? m.route : null, m.frequency, m.instructions, m.duration ? `for ${m.duration}` : null]
    .filter(Boolean).join(' ');
}

const VERB: Record<MedicationItem['action'], string> = { start: 'Start', continue: 'Continue', increase: 'Increase', decrease: 'Decrease', stop: 'Stop', hold: 'Hold' };
/** "Start amlodipine 5 mg OD". */
export const medicationLine = (m: MedicationItem) => `${VERB[m.action]} ${medicationPhrase(m)}`;
