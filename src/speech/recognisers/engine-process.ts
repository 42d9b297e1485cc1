import type { ChildProcess } from 'node:child_process';

/** A request in flight; adapters add what they need to read its reply. */
export interface EngineRequest<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

/** The replies engine processes send: a result or an error for request `id`. */
interface Reply {
  type: string;
  id?: number;
}

export interface EngineProcessOptions<T, R extends EngineRequest<T>> {
  /** Starts a new engine process and waits until it is ready (after a crash). */
  boot: () => Promise<ChildProcess>;
  /** Settles `request` with the engine's `result` or `error` message for it. */
  settle: (message: Reply, request: R) => void;
  /** The error requests held by a process that died fail with (`why`: "was killed by SIGKILL", …). */
  crashError: (why: string) => Error;
  closedError: () => Error;
  closeMessage: unknown;
}

/**
 * A recogniser in a child process of its own: native decoding never blocks the
 * event loop, and a native crash ends that process only. Requests go by id over
 * IPC; a death fails the requests it held, and the next request starts a new process.
 */
export class EngineProcess<T, R extends EngineRequest<T> = EngineRequest<T>> {
  private nextId = 1;
  private readonly pending = new Map<number, R>();
  private closed = false;
  /** Set when the process died; the next request starts a new one. */
  private failure: Error | undefined;
  private restarting: Promise<void> | undefined;
  /** Processes started after a crash. */
  restarts = 0;

  constructor(
    private child: ChildProcess,
    private readonly options: EngineProcessOptions<T, R>,
  ) {
    this.attach(child);
  }

  private attach(child: ChildProcess): void {
    child.on('message', (m: Reply) => {
      if ((m.type !== 'result' && m.type !== 'error') || m.id === undefined) return;
      const request = this.pending.get(m.id);
      if (!request) return;
      this.pending.delete(m.id);
      this.options.settle(m, request);
    });
    const died = (why: string) => {
      if (this.child !== child || this.closed) return;
      this.failure = this.options.crashError(why);
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
    };
    child.on('error', (err) => died(`failed: ${err.message}`));
    child.on('exit', (code, signal) => died(signal ? `was killed by ${signal}` : `exited with code ${code}`));
  }

  private restart(): Promise<void> {
    this.restarting ??= this.options
      .boot()
      .then((child) => {
        this.child = child;
        this.failure = undefined;
        this.restarts++;
        this.attach(child);
      })
      .finally(() => {
        this.restarting = undefined;
      });
    return this.restarting;
  }

  /** Sends `message(id)` and resolves with the engine's answer; `extra` is kept with the request for `settle`. */
  async request(message: (id: number) => unknown, extra: Omit<R, keyof EngineRequest<T>>): Promise<T> {
    if (this.closed) throw this.options.closedError();
    if (this.failure) await this.restart();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { ...extra, resolve, reject } as R);
      this.child.send(message(id) as object);
    });
  }

  /** Kills the process (the new one, if it is being restarted) as a native crash would: for fault drills. */
  async killForDrill(): Promise<void> {
    await this.restarting?.catch(() => undefined);
    this.child.kill('SIGKILL');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.restarting?.catch(() => undefined);
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      if (child.connected) child.send(this.options.closeMessage as object);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    for (const p of this.pending.values()) p.reject(this.options.closedError());
    this.pending.clear();
  }
}
