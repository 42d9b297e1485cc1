/** Real HTTP servers on loopback for tests: the body read whole, then handed to the test's handler. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Loopback {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

export async function startLoopback(
  handle: (req: http.IncomingMessage, raw: string, res: http.ServerResponse) => void,
): Promise<Loopback> {
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => handle(req, raw, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Promises that resolve once a condition holds; `poke()` re-checks them (call it on every change). */
export class Conditions {
  private readonly waiters = new Set<() => void>();

  until(holds: () => boolean, ms: number, describe: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!holds()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${describe()} after ${ms} ms`));
      }, ms);
      this.waiters.add(check);
      check();
    });
  }

  poke(): void {
    for (const w of [...this.waiters]) w();
  }
}
