/** Review of systems: which body system each symptom of the lexicon belongs to. */
const SYSTEM_OF: Record<string, string> = {};
const add = (system: string, names: string) => {
  for (const n of names.split('|')) SYSTEM_OF[n.toLowerCase()] = system;
};
add('Constitutional', 'Fever|Chills|Fatigue|Weight loss|Weight gain|Night sweats|Sweating|Loss of appetite|Body ache');
add('ENT', 'Cold|Nasal congestion|Sore throat|Ear pain|Hoarseness|Hearing loss|Tinnitus|Difficulty swallowing|Tooth pain');
add('Eyes', 'Blurred vision|Photophobia|Eye pain');
add('Cardiovascular', 'Chest pain|Palpitations|Syncope|Swelling');
add('Respiratory', 'Cough|Shortness of breath|Wheezing');
add('Gastrointestinal', 'Nausea|Vomiting|Diarrhoea|Constipation|Abdominal pain|Heartburn|Bloating|Blood in stool');
add('Genitourinary', 'Haematuria|Dysuria|Urinary frequency|Urinary urgency|Vaginal discharge|Heavy periods|Irregular periods|Pelvic pain');
add('Musculoskeletal', 'Back pain|Neck pain|Joint pain|Knee pain|Shoulder pain|Hip pain|Ankle pain|Wrist pain|Elbow pain|Foot pain|Hand pain|Leg pain|Arm pain|Stiffness|Cramps|Instability');
add('Skin', 'Rash|Itching|Dry skin');
add('Neurological', 'Headache|Dizziness|Numbness|Tingling|Limb weakness|Tremor|Seizure|Confusion|Memory loss');
add('Psychiatric', 'Insomnia|Anxiety|Low mood|Stress');
add('Hematologic', 'Bleeding|Excessive thirst');

/** The system of a symptom name ("Right knee pain" → Musculoskeletal), else null. */
export function systemOf(name: string): string | null {
  const n = name.toLowerCase();
  if (SYSTEM_OF[n]) return SYSTEM_OF[n]!;
  for (const [k, v] of Object.entries(SYSTEM_OF)) if (n.endsWith(` ${k}`)) return v;
  return / pain$/.test(n) ? 'Musculoskeletal' : null;
}

/** Systems in the order clinicians list them. */
export const SYSTEM_ORDER = ['Constitutional', 'Eyes', 'ENT', 'Cardiovascular', 'Respiratory', 'Gastrointestinal', 'Genitourinary', 'Musculoskeletal', 'Skin', 'Neurological', 'Psychiatric', 'Hematologic'];
