/** `--format md`: a note a clinician can read in a terminal. */
import type { SessionView } from '../../client/index.js';
import { medicationsOf, templateData, templatesOf, vitalRows, vitalsOf, type Soap } from './note.js';

const cell = (v: unknown) => (v === null || v === undefined || v === '' ? '—' : String(v).replace(/\|/g, '\\|').replace(/\n/g, ' '));

export function toMarkdown(session: SessionView): string {
  const out: string[] = [`# Consultation note`, '', `Session \`${session.session_id}\` — ${session.status}${session.completed_at ? `, ${session.completed_at}` : ''}`];
  if (session.error) out.push('', `**Failed:** ${session.error.code} — ${session.error.message}`);
  for (const e of session.processing_errors ?? []) out.push(`- ⚠ ${e.type}: ${e.message}${e.file ? ` (${e.file})` : ''}`);

  const soap = templateData<Soap>(session, 'soap');
  if (soap) {
    out.push('', '## SOAP note');
    for (const [title, section] of [['Subjective', soap.subjective], ['Objective', soap.objective], ['Assessment', soap.assessment], ['Plan', soap.plan]] as const) {
      out.push('', `### ${title}`, '', section?.text?.trim() || '_Nothing recorded._');
    }
  }

  const meds = medicationsOf(session);
  if (meds.length || 'medications' in templatesOf(session)) {
    out.push('', '## Medications', '');
    if (!meds.length) out.push('_None mentioned._');
    else {
      out.push('| Medicine | Dose | Frequency | Route | Duration | Action | Instructions |', '|---|---|---|---|---|---|---|');
      for (const m of meds) out.push(`| ${[m.name, m.dosage, m.frequency, m.route, m.duration, m.action, m.instructions].map(cell).join(' | ')} |`);
    }
  }

  const vitals = vitalRows(vitalsOf(session));
  if (vitals.length) {
    out.push('', '## Vitals', '', '| Vital | Value |', '|---|---|');
    for (const v of vitals) out.push(`| ${cell(v.name.replace(/_/g, ' '))} | ${v.value}${v.value2 !== undefined ? `/${v.value2}` : ''} ${cell(v.unit)} |`);
  }

  for (const [id, t] of Object.entries(templatesOf(session))) {
    if (t.status !== 'success') out.push('', `> Template \`${id}\`: ${t.status}${t.error ? ` — ${t.error.code}: ${t.error.message}` : ''}`);
  }

  out.push('', '## Transcript', '', session.transcript?.trim() || '_No speech recognised._', '');
  return out.join('\n');
}
