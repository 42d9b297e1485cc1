import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { round } from './disk.js';

export interface LoadCase {
  /** Short label for the table, e.g. "upload 256KB". */
  name: string;
  /** Route template, for the report. */
  endpoint: string;
  url: string;
  connections: number;
  /** Run for this long (seconds)… */
  durationS: number;
  /** …or until this many requests were answered (whichever is first). */
  amount?: number;
  /** The status a successful request answers with; anything else counts as an error. */
  expectStatus: number | '2xx';
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  requests?: autocannon.Request[];
  setupClient?: (client: autocannon.Client) => void;
  /** Server process to sample CPU time from (Linux /proc). */
  serverPid?: number;
}

export interface CaseResult {
  name: string;
  endpoint: string;
  connections: number;
  requests: number;
  requests_per_sec: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number };
  status_codes: Record<string, number>;
  expected_status: number | '2xx';
  non_2xx: number;
  /** Responses with an unexpected status + connection errors + timeouts. */
  errors: number;
  transport_errors: number;
  timeouts: number;
  duration_s: number;
  /** CPU time the server process used during the case, in % of one core. */
  server_cpu_pct: number | null;
  /** Server CPU time per answered request (µs): less sensitive to a busy machine than req/s. */
  server_cpu_us_per_req: number | null;
  /** CPU time this (load-generating) process used, in % of one core. */
  client_cpu_pct: number;
  /**
   * CPU used by everything else on the machine meanwhile (% of one core): other
   * processes competing with the benchmark make its numbers lower and noisier.
   */
  other_cpu_pct: number | null;
}

/** utime + stime of a process in seconds, from /proc (null where unavailable). */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat (null where unavailable). */
export function machineCpuSeconds(): number | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [, ...ticks] = line.trim().split(/\s+/).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return null;
  }
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

/** Runs one autocannon case and summarises it with our own (sub-millisecond) latency percentiles. */
export async function runCase(c: LoadCase): Promise<CaseResult> {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let lastResponseAt = 0;

  const cpuServer0 = processCpuSeconds(c.serverPid);
  const cpuMachine0 = machineCpuSeconds();
  const cpuClient0 = process.cpuUsage();
  const t0 = performance.now();
  const instance = autocannon({
    url: c.url,
    connections: c.connections,
    // With `amount` autocannon has no timer of its own: we stop it below.
    ...(c.amount !== undefined ? { amount: c.amount } : { duration: c.durationS }),
    timeout: 10,
    method: c.method ?? 'GET',
    headers: c.headers,
    body: c.body,
    requests: c.requests,
    setupClient: c.setupClient,
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    lastResponseAt = performance.now();
  });
  const hardStop = setTimeout(() => instance.stop(), (c.durationS + (c.amount !== undefined ? 0 : 5)) * 1000);
  let result: autocannon.Result;
  try {
    result = await instance;
  } finally {
    clearTimeout(hardStop);
  }
  const cpuClient = process.cpuUsage(cpuClient0);
  const cpuServer1 = processCpuSeconds(c.serverPid);
  const cpuMachine1 = machineCpuSeconds();

  // autocannon reports only at its 1 s ticks; the run really ended with the last answer.
  const elapsedS = ((lastResponseAt || performance.now()) - t0) / 1000;
  const wallS = (performance.now() - t0) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const mean = latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : 0;
  const unexpected = Object.entries(statusCodes)
    .filter(([code]) => (c.expectStatus === '2xx' ? !code.startsWith('2') : Number(code) !== c.expectStatus))
    .reduce((a, [, n]) => a + n, 0);
  const non2xx = Object.entries(statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .reduce((a, [, n]) => a + n, 0);
  // autocannon counts a timeout as an error too.
  const timeouts = result.timeouts;
  const transportErrors = result.errors - result.timeouts;
  const serverCpuS = cpuServer0 !== null && cpuServer1 !== null ? cpuServer1 - cpuServer0 : null;
  const clientCpuS = (cpuClient.user + cpuClient.system) / 1e6;
  const otherCpuS =
    cpuMachine0 !== null && cpuMachine1 !== null && serverCpuS !== null ? Math.max(0, cpuMachine1 - cpuMachine0 - serverCpuS - clientCpuS) : null;
  return {
    name: c.name,
    endpoint: c.endpoint,
    connections: c.connections,
    requests: latencies.length,
    requests_per_sec: round(latencies.length / elapsedS, 1),
    latency_ms: {
      p50: round(percentile(sorted, 50), 3),
      p90: round(percentile(sorted, 90), 3),
      p99: round(percentile(sorted, 99), 3),
      max: round(sorted.length ? sorted[sorted.length - 1]! : 0, 3),
      mean: round(mean, 3),
    },
    status_codes: statusCodes,
    expected_status: c.expectStatus,
    non_2xx: non2xx,
    errors: unexpected + transportErrors + timeouts,
    transport_errors: transportErrors,
    timeouts,
    duration_s: round(elapsedS, 2),
    server_cpu_pct: serverCpuS === null ? null : round((serverCpuS / wallS) * 100, 0),
    server_cpu_us_per_req: serverCpuS === null || latencies.length === 0 ? null : round((serverCpuS / latencies.length) * 1e6, 0),
    client_cpu_pct: round((clientCpuS / wallS) * 100, 0),
    other_cpu_pct: otherCpuS === null ? null : round((otherCpuS / wallS) * 100, 0),
  };
}
