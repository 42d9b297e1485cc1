/** Renders a finished session: transcript, SOAP note, medications, vitals; items point at their evidence. */
interface Evidence {
  line: number;
  start: number;
  end: number;
  text: string;
}
type Item = { evidence?: Evidence[]; [k: string]: any };

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};

/** The template's data from Eka's array form `[{id: {...}}]` (or MSA's object form). */
export function templateData(body: any, id: string): any {
  const t = body?.templates;
  const entry = Array.isArray(t) ? t.find((x: any) => x && id in x)?.[id] : t?.[id];
  return entry?.status === 'success' ? entry.data : undefined;
}

/** The review list of the finished templates (every template carries the same analysis' list). */
export function templateReview(body: any): Item[] {
  const t = body?.templates;
  const entries: any[] = Array.isArray(t) ? t.flatMap((x: any) => Object.values(x ?? {})) : Object.values(t ?? {});
  const seen = new Set<string>();
  const out: Item[] = [];
  for (const e of entries) {
    for (const r of Array.isArray(e?.review) ? e.review : []) {
      const key = `${r.field}|${r.reason}`;
      if (!seen.has(key)) {
        out.push(r);
        seen.add(key);
      }
    }
  }
  return out;
}

export class ResultView {
  private lines: Array<{ speaker: string; text: string; node: HTMLElement }> = [];

  constructor(private root: { review: HTMLElement; transcript: HTMLElement; soap: HTMLElement; medications: HTMLElement; vitals: HTMLElement }, private announce: (s: string) => void) {}

  render(body: any): void {
    this.renderTranscript(String(body?.transcript ?? ''));
    this.renderReview(templateReview(body));
    this.renderSoap(templateData(body, 'soap'));
    this.renderMedications(templateData(body, 'medications')?.medications ?? templateData(body, 'soap')?.plan?.medications);
    this.renderVitals(templateData(body, 'soap')?.objective?.vitals ?? templateData(body, 'vitals'));
  }

  /** Shown above the note: what the clinician should check before signing. */
  private renderReview(items: Item[]): void {
    const list = this.root.review;
    list.replaceChildren(...items.map((r) => {
      const li = el('li');
      li.append(this.item(`${r.field}: ${r.reason}`, r));
      return li;
    }));
    const box = list.parentElement;
    if (box) box.hidden = items.length === 0;
  }

  private renderTranscript(text: string): void {
    const box = this.root.transcript;
    box.replaceChildren();
    // Keep every line, even an empty one: evidence refers to lines by index.
    this.lines = (text ? text.split('\n') : []).map((raw, i) => {
      // Consultation lines are "Doctor: …" / "Patient: …"; evidence offsets count from after the label.
      const m = /^(Doctor|Patient|Speaker): (.*)$/.exec(raw);
      const speaker = m ? m[1]! : '';
      const line = { speaker, text: m ? m[2]! : raw, node: el('p', undefined, 'line') };
      line.node.dataset.line = String(i);
      this.paint(line);
      box.append(line.node);
      return line;
    });
  }

  private paint(line: { speaker: string; text: string; node: HTMLElement }, span?: Evidence): void {
    const parts: Node[] = [];
    if (line.speaker) parts.push(el('span', `${line.speaker}: `, `speaker ${line.speaker.toLowerCase()}`));
    if (span) {
      const s = Math.max(0, Math.min(span.start, line.text.length));
      const e = Math.max(s, Math.min(span.end, line.text.length));
      parts.push(document.createTextNode(line.text.slice(0, s)), el('mark', line.text.slice(s, e)), document.createTextNode(line.text.slice(e)));
    } else parts.push(document.createTextNode(line.text));
    line.node.replaceChildren(...parts);
  }

  highlight(evidence: Evidence[] | undefined): void {
    this.lines.forEach((l) => this.paint(l));
    const found = (evidence ?? []).filter((e) => this.lines[e.line]);
    for (const e of found) this.paint(this.lines[e.line]!, e);
    const first = found[0];
    if (first) {
      this.lines[first.line]!.node.scrollIntoView({ block: 'center' });
      this.announce(`Evidence: “${first.text}”`);
    } else this.announce('No evidence span for this item.');
  }

  /** A keyboard-reachable item that highlights its evidence. */
  private item(label: string, it: Item): HTMLElement {
    const b = el('button', label, 'item');
    b.type = 'button';
    b.addEventListener('click', () => this.highlight(it.evidence));
    return b;
  }

  private list(title: string, items: Item[] | undefined, label: (i: Item) => string): HTMLElement | undefined {
    if (!items?.length) return undefined;
    const wrap = el('div');
    wrap.append(el('h5', title));
    const ul = el('ul');
    for (const it of items) {
      const li = el('li');
      li.append(this.item(label(it), it));
      ul.append(li);
    }
    wrap.append(ul);
    return wrap;
  }

  private renderSoap(soap: any): void {
    const box = this.root.soap;
    box.replaceChildren();
    if (!soap) return void box.append(el('p', 'No SOAP note.'));
    const med = (m: Item) => [m.name, m.dosage, m.frequency, m.duration].filter(Boolean).join(' · ') + (m.action ? ` (${m.action})` : '');
    const sections: Array<[string, any, Array<HTMLElement | undefined>]> = [
      ['Subjective', soap.subjective, [
        this.list('Symptoms', soap.subjective?.symptoms, (s) => `${s.name}${s.status === 'absent' ? ' (denied)' : ''}${s.duration ? `, ${s.duration}` : ''}`),
        this.list('Allergies', soap.subjective?.allergies, (a) => a.substance),
        this.list('Current medications', soap.subjective?.current_medications, med),
      ]],
      ['Objective', soap.objective, [this.list('Results', soap.objective?.results, (r) => r.name)]],
      ['Assessment', soap.assessment, [this.list('Diagnoses', soap.assessment?.diagnoses, (d) => `${d.name} (${d.status})`)]],
      ['Plan', soap.plan, [
        this.list('Medications', soap.plan?.medications, med),
        this.list('Investigations', soap.plan?.investigations, (i) => i.name),
        this.list('Advice', soap.plan?.advice, (a) => a.text),
        this.list('Referrals', soap.plan?.referrals, (r) => r.text),
        soap.plan?.follow_up ? this.list('Follow-up', [soap.plan.follow_up], (f) => f.text || f.interval) : undefined,
      ]],
    ];
    for (const [title, sec, lists] of sections) {
      const s = el('section', undefined, 'soap-section');
      s.setAttribute('aria-label', title);
      s.append(el('h4', title), el('p', sec?.text || '—'));
      for (const l of lists) if (l) s.append(l);
      box.append(s);
    }
  }

  private renderMedications(meds: Item[] | undefined): void {
    const box = this.root.medications;
    box.replaceChildren();
    if (!meds?.length) return void box.append(el('p', 'No medications.'));
    const table = el('table');
    table.append(el('caption', 'Medications (select a name to see where it was said)'));
    const head = el('tr');
    for (const h of ['Medicine', 'Dose', 'Frequency', 'Route', 'Duration', 'Instructions', 'Action']) {
      const th = el('th', h);
      th.scope = 'col';
      head.append(th);
    }
    table.append(el('thead'), el('tbody'));
    table.tHead!.append(head);
    for (const m of meds) {
      const tr = el('tr');
      const name = el('td');
      name.append(this.item(m.name, m));
      tr.append(name, ...[m.dosage, m.frequency, m.route, m.duration, m.instructions, m.action].map((v) => el('td', v ?? '')));
      table.tBodies[0]!.append(tr);
    }
    box.append(table);
  }

  private renderVitals(v: any): void {
    const box = this.root.vitals;
    box.replaceChildren();
    const readings: Item[] = [...(v?.readings ?? []), ...(v?.blood_sugar ?? [])];
    if (!readings.length) return void box.append(el('p', 'No vitals.'));
    const ul = el('ul');
    for (const r of readings) {
      const li = el('li');
      li.append(this.item(`${String(r.type ?? 'blood_sugar').replace(/_/g, ' ')}: ${r.text}`, r));
      ul.append(li);
    }
    box.append(ul);
  }
}
