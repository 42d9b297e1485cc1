/**
 * Allergens that are not single drugs of the drug lexicon: drug classes, foods, materials,
 * stings and environmental allergens. "allergic to X" / "X allergy" lists X as an allergy
 * only when X is a drug of the lexicon or one of these; anything else said there ("just
 * allergies to medications", "a quite severe allergy to it, is that right?") is a word of
 * the sentence, not an allergen.
 *
 * name: how the allergy is listed; forms: comma-separated ways of saying it.
 */
export interface AllergenTerm {
  name: string;
  forms: string;
}

const a = (name: string, forms = ''): AllergenTerm => ({ name, forms: [name, forms].filter(Boolean).join(', ') });

export const ALLERGENS: readonly AllergenTerm[] = [
  // drug classes and agents
  a('penicillins', 'penicillin antibiotics, penicillin class, penicillin family'),
  a('cephalosporins', 'cephalosporin'),
  a('sulfa drugs', 'sulfa, sulpha, sulfa antibiotics, sulphonamides, sulfonamides, sulfonamide, sulphonamide, sulfur drugs, sulphur drugs'),
  a('antibiotics', 'antibiotic'),
  a('macrolides', 'macrolide'),
  a('quinolones', 'fluoroquinolones, quinolone, fluoroquinolone'),
  a('tetracyclines', 'tetracycline antibiotics'),
  a('nsaids', 'nsaid, anti-inflammatories, anti inflammatories, anti-inflammatory drugs, non-steroidal anti-inflammatories'),
  a('opioids', 'opioid, opiates, opiate, narcotics, narcotic pain medication, narcotic'),
  a('ace inhibitors', 'ace inhibitor'),
  a('statins', 'statin'),
  a('steroids', 'steroid, corticosteroids'),
  a('contrast dye', 'contrast, iv contrast, iodinated contrast, contrast media, contrast medium, dye, x-ray dye, ct dye'),
  a('iodine', 'betadine, povidone iodine'),
  a('anaesthetics', 'anesthetics, anaesthetic, anesthetic, anaesthesia, anesthesia, local anaesthetic, local anesthetic, general anaesthetic, general anesthetic'),
  a('chlorhexidine'),
  a('vaccines', 'vaccine, flu shot, flu vaccine'),
  a('insulin'),
  // materials
  a('latex', 'rubber, latex gloves'),
  a('nickel', 'metal, metals'),
  a('adhesive', 'adhesives, tape, medical tape, adhesive tape, plasters, band-aids, band aids, bandaids'),
  a('fragrance', 'fragrances, perfume, perfumes, scents'),
  a('wool', 'lanolin'),
  a('detergent', 'detergents, laundry detergent, soap, soaps'),
  // foods
  a('peanuts', 'peanut, peanut butter'),
  a('tree nuts', 'tree nut, nuts, nut, almonds, almond, cashews, cashew, walnuts, walnut, pecans, pecan, hazelnuts, hazelnut, pistachios, pistachio, brazil nuts'),
  a('shellfish', 'shrimp, prawns, prawn, crab, lobster, clams, oysters, mussels, scallops, crustaceans, seafood'),
  a('fish'),
  a('eggs', 'egg, egg whites'),
  a('milk', 'dairy, cow\'s milk, milk protein, dairy products'),
  a('lactose'),
  a('gluten'),
  a('wheat'),
  a('soy', 'soya, soybeans'),
  a('sesame', 'sesame seeds'),
  a('meat', 'red meat, mammalian meat, alpha-gal, alpha gal'),
  a('pork'),
  a('beef'),
  a('strawberries', 'strawberry'),
  a('kiwi'),
  a('bananas', 'banana'),
  a('tomatoes', 'tomato'),
  a('citrus', 'oranges, citrus fruits'),
  a('corn'),
  a('mustard'),
  a('celery'),
  a('chocolate'),
  a('sulfites', 'sulphites, sulfite, sulphite'),
  a('msg', 'monosodium glutamate'),
  a('food dye', 'food coloring, food colouring, red dye'),
  // environmental, animals, stings
  a('pollen', 'pollens, tree pollen, grass pollen'),
  a('grass', 'grasses'),
  a('trees'),
  a('ragweed'),
  a('hay'),
  a('dust', 'house dust'),
  a('dust mites', 'dust mite, mites'),
  a('mold', 'mould, molds, moulds, mildew'),
  a('pet dander', 'dander, animal dander'),
  a('cats', 'cat, cat dander'),
  a('dogs', 'dog, dog dander'),
  a('horses', 'horse'),
  a('feathers'),
  a('cockroaches'),
  a('bee stings', 'bee sting, bees, bee, honeybees, bee venom'),
  a('wasp stings', 'wasp sting, wasps, wasp, hornets, yellow jackets, yellowjackets'),
  a('insect stings', 'insect sting, stings, insect bites, bug bites'),
  a('fire ants', 'fire ant, ants'),
  a('poison ivy', 'poison oak'),
];
