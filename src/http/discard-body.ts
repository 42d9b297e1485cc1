import type { Readable } from 'node:stream';

/**
 * Reading what is left of a refused body. A refusal answered while the client is still
 * sending must not close the socket at once: the unread bytes make the kernel reset the
 * connection and the client loses the answer. The rest is read and dropped, within a bound.
 */
export const DISCARD_MAX_BYTES = 16 * 1024 * 1024;
export const DISCARD_MAX_MS = 5_000;

/**
 * Discards the unread rest of a body, up to a bound of bytes and time; past it the
 * stream is destroyed and the connection closed (see the onSend hook).
 */
export async function discardRest(stream: Readable, maxBytes: number, maxMs: number): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return;
  await new Promise<void>((resolve) => {
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      stream.off('data', onData);
      resolve();
    };
    const giveUp = () => {
      stream.destroy();
      done();
    };
    const onData = (piece: Buffer) => {
      seen += piece.length;
      if (seen > maxBytes) giveUp();
    };
    const timer = setTimeout(giveUp, maxMs);
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
    stream.resume();
  });
}

