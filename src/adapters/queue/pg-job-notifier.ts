import pg from 'pg';
import type { JobKind } from '../../core/ports/job-queue.js';
import { IdleWaiters } from './idle-waiters.js';

const RECONNECT_MS = 1000;

/**
 * Wakes idle claim loops when a job is enqueued in any process: LISTEN on one dedicated
 * connection, reconnected after an error. A missed notification only costs a poll interval.
 */
export class PgJobNotifier {
  static readonly channel = 'openscribe_jobs';
  private client: pg.Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly idle = new IdleWaiters();

  constructor(private readonly connectionString: string) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (n) => {
      if (n.channel === PgJobNotifier.channel && n.payload) this.wakeOne(n.payload as JobKind);
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${PgJobNotifier.channel}`);
      // Jobs enqueued while we were not listening: let every waiter look once.
      this.idle.wakeAll();
    } catch {
      this.lost(client);
    }
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.retry = setTimeout(() => void this.connect(), RECONNECT_MS);
    this.retry.unref();
  }

  wakeOne(kind: JobKind): void {
    this.idle.wakeOne(kind);
  }

  wakeOneIn(kind: JobKind, ms: number): void {
    this.idle.wakeOneIn(kind, ms);
  }

  wait(ms: number, signal: AbortSignal, kinds?: readonly JobKind[]): Promise<void> {
    return this.idle.wait(ms, signal, kinds);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.idle.wakeAll();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
