import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Bounds on what one client can make the server hold. Node parses every request a
 * client pipelines and queues each answer in memory, whether or not the client reads:
 * 1,000 pipelined requests on a socket that is never read held ~30 MB. A socket with
 * more than `maxPipelined` requests unanswered (their responses not yet handed to the
 * kernel) is destroyed, and what it held is freed with it.
 */
export function boundConnections(server: Server, limits: { max: number; maxRequestsPerSocket: number; maxPipelined: number }): void {
  server.maxConnections = limits.max;
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
  const pending = new WeakMap<Socket, number>();
  server.on('request', (req, res: ServerResponse) => {
    const socket = req.socket;
    const n = (pending.get(socket) ?? 0) + 1;
    pending.set(socket, n);
    let counted = true;
    const settle = () => {
      if (!counted) return;
      counted = false;
      pending.set(socket, (pending.get(socket) ?? 1) - 1);
    };
    res.once('finish', settle);
    res.once('close', settle);
    if (n > limits.maxPipelined) socket.destroy();
  });
}
