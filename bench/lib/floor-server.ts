/**
 * The upload path's floor: bare node:http and the server's own FsBlobStore, nothing else
 * (no Fastify, no auth, no database, no job, no worker). bench:api drives it exactly like
 * the real upload case, so the gap between the two is what openscribe adds per upload.
 *
 * Usage: tsx bench/lib/floor-server.ts <blob-dir> <port>; prints "ready" when listening.
 */
import http from 'node:http';
import { FsBlobStore } from '../../src/adapters/blob/fs-blob-store.js';
import { randomAlphanumeric } from '../../src/core/ids.js';

const [root, port] = process.argv.slice(2);
if (!root || !port) throw new Error('usage: floor-server <blob-dir> <port>');
const blobs = new FsBlobStore(root);

http
  .createServer((req, res) => {
    // /voice/v1/sessions/{id}/audio/{name}: one directory per session, as the real store keys it.
    const m = /^\/voice\/v1\/sessions\/([A-Za-z0-9_-]+)\/audio\/([A-Za-z0-9_.-]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) {
      res.writeHead(404).end();
      return;
    }
    // A nonce per upload, as SessionService.addChunk keys its blobs.
    const key = `floor/${m[1]}/${m[2]}.${randomAlphanumeric(8)}`;
    blobs.put(key, req).then(
      ({ bytes }) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ session_id: m[1], success: true, bytes }));
      },
      () => res.writeHead(500).end(),
    );
  })
  .listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
