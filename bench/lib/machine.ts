import os from 'node:os';

const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;

/** What a result file says about the machine it was measured on. */
export function machineInfo() {
  const cpus = os.cpus();
  return {
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpus: cpus.length,
    cpu_model: cpus[0]?.model ?? 'unknown',
    memory_gb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    /** 1/5/15-minute load averages at the start: anything well above 0 means the run shared the machine. */
    loadavg_at_start: os.loadavg().map((l) => round(l, 2)),
  };
}
