/**
 * A real HTTP receiver on loopback for webhook tests: records every request (raw
 * body, headers, arrival time, what it answered) and answers as the test says.
 */
import type http from 'node:http';
import { Conditions, startLoopback } from './loopback.js';

export interface Received {
  at: number;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
  /** The status answered; null while (or if never) answered. */
  answered: number | null;
}

/** What to do with the n-th request (0-based): a status, `hang` (never answer), or a status after a delay. */
export type Behaviour = (n: number, r: Received) => number | 'hang' | { status: number; headers?: Record<string, string>; delayMs?: number };

export interface Receiver {
  url: string;
  received: Received[];
  behaviour: Behaviour;
  /** Resolves once `predicate` holds for the requests received so far (checked on each arrival). */
  until(predicate: (rs: Received[]) => boolean, ms?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(behaviour: Behaviour = () => 200): Promise<Receiver> {
  const conditions = new Conditions();
  const received: Received[] = [];
  const loopback = await startLoopback((req, raw, res) => {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const r: Received = { at: Date.now(), headers: req.headers, raw, body, answered: null };
    const answer = receiver.behaviour(received.length, r);
    received.push(r);
    conditions.poke();
    if (answer === 'hang') return;
    const { status, headers = {}, delayMs = 0 } = typeof answer === 'number' ? { status: answer } : answer;
    const send = () => {
      if (res.destroyed || req.socket.destroyed) return;
      r.answered = status;
      res.writeHead(status, headers).end('ok');
    };
    if (delayMs > 0) setTimeout(send, delayMs);
    else send();
  });
  const receiver: Receiver = {
    url: `${loopback.origin}/hooks/openscribe`,
    received,
    behaviour,
    async until(predicate, ms = 15_000) {
      const events = () => received.map((r) => r.body?.event).join(', ');
      await conditions.until(() => predicate(received), ms, () => `receiver: condition not met; ${received.length} requests: ${events()}`);
      return received;
    },
    close: () => loopback.close(),
  };
  return receiver;
}
