/**
 * `npm run drill [-- --short] [-- --only crash,disk]`: the fault drills against real
 * `openscribe serve` processes on the embedded default; writes bench/results/drills.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../test/helpers/server.js';
import { crash } from './crash.js';
import { crossTenant } from './cross-tenant.js';
import { disk } from './disk.js';
import { fuzz } from './fuzz.js';
import { bombs } from './bombs.js';
import { zeroTotals, type DrillOptions, type ScenarioResult, type Totals } from './lib.js';
import { load } from './load.js';
import { slow } from './slow.js';

const SCENARIOS: Record<string, (o: DrillOptions) => Promise<ScenarioResult>> = { load, crash, disk, slow, fuzz, 'cross-tenant': crossTenant, bombs };

const args = process.argv.slice(2);
const short = args.includes('--short');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1]! : args[args.indexOf(onlyArg) + 1]!).split(',') : Object.keys(SCENARIOS);
const unknown = only.filter((s) => !SCENARIOS[s]);
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  process.exit(2);
}
const out = path.join(ROOT, 'bench/results/drills.json');
const workDir = path.join(os.tmpdir(), 'openscribe-drill');
fs.mkdirSync(workDir, { recursive: true });

// With --only, the other scenarios' last results are kept and the totals summed over all of them.
const previous = onlyArg && fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as { scenarios?: Record<string, { totals?: Partial<Totals> }> }) : undefined;
const scenarios: Record<string, { totals?: Partial<Totals> } & Record<string, unknown>> = { ...previous?.scenarios };
const started = new Date();
let failed = false;
for (const name of only) {
  const t0 = Date.now();
  process.stderr.write(`drill ${name}${short ? ' (short)' : ''}…\n`);
  try {
    const r = await SCENARIOS[name]!({ short, workDir });
    scenarios[name] = { mode: short ? 'short' : 'full', finished_at: new Date().toISOString(), seconds: Math.round((Date.now() - t0) / 1000), totals: r.totals, params: r.params, figures: r.figures };
    process.stderr.write(`drill ${name}: ${JSON.stringify(r.totals)} (${Math.round((Date.now() - t0) / 1000)} s)\n`);
    fs.writeFileSync(path.join(workDir, `${name}.json`), JSON.stringify(scenarios[name], null, 2));
  } catch (err) {
    failed = true;
    scenarios[name] = { mode: short ? 'short' : 'full', seconds: Math.round((Date.now() - t0) / 1000), error: err instanceof Error ? err.message.slice(0, 2000) : String(err) };
    process.stderr.write(`drill ${name} FAILED: ${String(err)}\n`);
  }
}
const totals = zeroTotals();
for (const sc of Object.values(scenarios)) for (const [k, v] of Object.entries(sc.totals ?? {})) totals[k as keyof Totals] += v ?? 0;
const result = {
  ...totals,
  mode: [...new Set(Object.values(scenarios).map((sc) => String(sc.mode ?? 'short')))].sort().join('+'),
  started_at: started.toISOString(),
  finished_at: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, mem_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  scenarios,
};
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
const bad = totals.lost_chunks + totals.stuck_sessions + totals.duplicate_completions + totals.lost_events + totals.fuzz_5xx + totals.cross_tenant_successes + totals.oom_kills;
process.stderr.write(`wrote ${path.relative(ROOT, out)}: ${JSON.stringify(totals)}\n`);
process.exit(failed || bad > 0 ? 1 : 0);
