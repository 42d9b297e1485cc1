import type { CaseResult } from './load.js';

const pad = (s: string, n: number, right = false) => (right ? s.padStart(n) : s.padEnd(n));

/** A fixed-width table of the load cases. */
export function caseTable(cases: CaseResult[]): string {
  const head = ['case', 'conns', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'requests', 'errors', 'non-2xx', 'srv cpu', 'srv µs/req', 'cli cpu', 'other cpu', 'dur s'];
  const rows = cases.map((c) => [
    c.name,
    String(c.connections),
    c.requests_per_sec.toFixed(0),
    c.latency_ms.p50.toFixed(2),
    c.latency_ms.p90.toFixed(2),
    c.latency_ms.p99.toFixed(2),
    c.latency_ms.max.toFixed(1),
    String(c.requests),
    String(c.errors),
    String(c.non_2xx),
    c.server_cpu_pct === null ? '-' : `${c.server_cpu_pct}%`,
    c.server_cpu_us_per_req === null ? '-' : String(c.server_cpu_us_per_req),
    `${c.client_cpu_pct}%`,
    c.other_cpu_pct === null ? '-' : `${c.other_cpu_pct}%`,
    c.duration_s.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => pad(v, widths[i]!, i > 0)).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export interface Target {
  name: string;
  requirement: string;
  measured: Record<string, number | string | null>;
  pass: boolean;
}

export function targetTable(targets: Target[]): string {
  return targets
    .map((t) => {
      const measured = Object.entries(t.measured)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      return `${t.pass ? 'PASS' : 'FAIL'}  ${t.name}: ${t.requirement}\n      ${measured}`;
    })
    .join('\n');
}
