/**
 * What is listed as an allergy: a drug of the lexicon or a known allergen (drug class, food,
 * material, sting, pollen…) named as what the patient is allergic to — never the words that
 * happen to stand next to "allergy" ("just allergies to medications", "a quite severe allergy
 * to it, is that right?", "I get seasonal allergies").
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/extraction/rules/analyze.js';
import { extractTemplates, parseTranscriptText } from '../../src/extraction/rules/index.js';

/** Each line is run as written and as a recogniser gives it (lower case, no punctuation but apostrophes). */
const forms = (lines: string[]) => [lines, lines.map((l) => l.replace(/^(\[\w+\])(.*)$/, (_m, tag: string, rest: string) => `${tag} ${rest.toLowerCase().replace(/[^\p{L}\p{N}\s']/gu, ' ').replace(/\s+/g, ' ').trim()}`))];

function allergies(...lines: string[]): string[][] {
  return forms(lines).map((ls) => {
    const res = extractTemplates(['soap'], { lines: parseTranscriptText(ls.join('\n')), mode: 'consultation', language: 'en' });
    assert.ok(res.soap?.status === 'success');
    return (res.soap.data as { subjective: { allergies: { substance: string }[] } }).subjective.allergies.map((a) => a.substance).sort();
  });
}

const both = (got: string[][], want: string[]) => {
  assert.deepEqual(got[0], want, 'as written');
  assert.deepEqual(got[1], want, 'as a recogniser gives it');
};

test('function words next to "allergy" are not allergies', () => {
  both(allergies("[doctor] Do you have any allergies? Just allergies to, medications really, I'm, I'm asking not, as opposed to um, other things.", '[patient] No, none.'), []);
  both(allergies("[patient] Uh, yeah, I'm allergic to, clindamycin.", '[doctor] So it\'s quite a, seems like a quite severe allergy to it, is, is that right?', '[patient] Yes.'), ['clindamycin']);
  both(allergies("[doctor] I have that you're allergic to Augmentin, is that right?", '[patient] Yes.'), ['amoxicillin + clavulanic acid']);
  both(allergies("[patient] I've had a little bit of nasal congestion with the seasons changing, I get seasonal allergies."), []);
  both(allergies('[doctor] It looks like you might be having a little bit of allergies, maybe we can try some Singulair.'), []);
  both(allergies('[doctor] Have you had any problems with allergies?', '[patient] Yes, seasonal allergies.'), []);
});

test('allergens that are not single drugs: foods, materials, stings, drug classes, pollen', () => {
  both(allergies("[patient] I'm allergic to peanuts and shellfish."), ['peanuts', 'shellfish']);
  both(allergies('[patient] I have a latex allergy.'), ['latex']);
  both(allergies("[patient] I'm allergic to sulfa drugs, I get a rash."), ['sulfa drugs']);
  both(allergies("[patient] I'm allergic to bees."), ['bee stings']);
  both(allergies('[doctor] You were congested from the fall pollen and allergies.'), ['pollen']);
  // denied, it is not one
  both(allergies("[patient] I'm not allergic to peanuts."), []);
});

test('an unknown word named as the allergen goes to the review list, not the allergy list', () => {
  const a = analyze({ lines: parseTranscriptText("[doctor] And you're allergic to Percocet, Vicodin and Regulin."), mode: 'consultation', language: 'en' });
  assert.deepEqual(a.allergies.map((x) => x.substance).sort(), ['hydrocodone + paracetamol', 'oxycodone + paracetamol']);
  const r = a.review.filter((x) => x.field.startsWith('allergies.'));
  assert.deepEqual(r.map((x) => [x.field, x.evidence[0]!.text]), [['allergies.regulin', 'Regulin']]);
  // a pronoun or a filler there is nothing to check
  const b = analyze({ lines: parseTranscriptText("[doctor] So a severe allergy to it, is that right?\n[patient] Yes."), mode: 'consultation', language: 'en' });
  assert.deepEqual(b.review.filter((x) => x.field.startsWith('allergies.')), []);
});
