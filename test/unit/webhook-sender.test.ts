/**
 * HttpWebhookSender against real loopback receivers: headers and signature,
 * how answers map to outcomes, the timeout, and the SSRF guard (literal IPs,
 * names resolved at connect time, a DNS answer that changes after the check).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { LookupFn } from '../../src/adapters/webhook/address-guard.js';
import { disallowedRange } from '../../src/adapters/webhook/address-guard.js';
import { HttpWebhookSender } from '../../src/adapters/webhook/http-webhook-sender.js';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../src/adapters/webhook/retry-after.js';
import { verifyWebhookSignature } from '../../src/core/webhook-signature.js';
import type { WebhookRequest } from '../../src/core/ports/webhook-sender.js';
import { freePort } from '../helpers/server.js';

const SECRET = 'whsec_test_Hn4mQ8wE1rT6yU3i';
const UA = 'openscribe-webhooks/test';

interface Hit {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A receiver on 127.0.0.1 that records every request and answers with `handler`. */
async function receiver(): Promise<{ server: http.Server; base: string; hits: Hit[]; handle: (h: Handler) => void }> {
  const hits: Hit[] = [];
  let handler: Handler = (_req, res) => res.end('ok');
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      hits.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(parts).toString('utf8') });
      handler(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}`, hits, handle: (h) => (handler = h) };
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

function request(url: string, extra: Partial<WebhookRequest> = {}): WebhookRequest {
  return {
    url,
    body: JSON.stringify({ event: 'session.finished', session_id: 's_123', note: 'café' }),
    eventId: 'evt_01HZX',
    event: 'session.finished',
    secret: SECRET,
    timestampSec: Math.floor(Date.now() / 1000),
    ...extra,
  };
}

let rx: Awaited<ReturnType<typeof receiver>>;
let other: Awaited<ReturnType<typeof receiver>>;
const open = new HttpWebhookSender({ allowPrivate: true, userAgent: UA, timeoutMs: 300 });
const guarded = new HttpWebhookSender({ allowPrivate: false, userAgent: UA, timeoutMs: 300 });

before(async () => {
  rx = await receiver();
  other = await receiver();
});
after(async () => {
  await close(rx.server);
  await close(other.server);
});
beforeEach(() => {
  rx.hits.length = 0;
  other.hits.length = 0;
  rx.handle((_req, res) => res.end('ok'));
});

describe('HttpWebhookSender.send', () => {
  test('delivers a POST with the headers and a signature the verifier accepts', async () => {
    const req = request(`${rx.base}/hooks/scribe?token=abc`);
    const outcome = await open.send(req);
    assert.equal(outcome.kind, 'delivered');
    assert.equal(outcome.statusCode, 200);
    assert.ok(outcome.latencyMs >= 0);
    assert.equal(rx.hits.length, 1);
    const hit = rx.hits[0]!;
    assert.equal(hit.method, 'POST');
    assert.equal(hit.url, '/hooks/scribe?token=abc');
    assert.equal(hit.body, req.body);
    assert.equal(hit.headers['content-type'], 'application/json');
    assert.equal(hit.headers['user-agent'], UA);
    assert.equal(hit.headers['x-msa-event-id'], 'evt_01HZX');
    assert.equal(hit.headers['x-msa-event'], 'session.finished');
    const sig = hit.headers['x-msa-signature'];
    assert.match(String(sig), new RegExp(`^t=${req.timestampSec},v1=[0-9a-f]{64}$`));
    assert.equal(verifyWebhookSignature(hit.body, sig as string, SECRET), true);
    assert.equal(verifyWebhookSignature(hit.body, sig as string, 'wrong'), false);
  });

  test('sends no signature without a secret; any 2xx is delivered', async () => {
    rx.handle((_req, res) => res.writeHead(204).end());
    const outcome = await open.send(request(`${rx.base}/`, { secret: undefined }));
    assert.deepEqual({ kind: outcome.kind, statusCode: outcome.statusCode }, { kind: 'delivered', statusCode: 204 });
    assert.equal(rx.hits[0]!.headers['x-msa-signature'], undefined);
  });

  test('500 → retry', async () => {
    rx.handle((_req, res) => res.writeHead(500).end('boom'));
    const outcome = await open.send(request(`${rx.base}/`));
    assert.equal(outcome.kind, 'retry');
    assert.equal(outcome.statusCode, 500);
    assert.equal(outcome.kind === 'retry' && outcome.retryAfterMs, undefined);
  });

  test('429 with Retry-After: 7 → retry in 7000 ms; 408 and 503 retry too', async () => {
    rx.handle((_req, res) => res.writeHead(429, { 'Retry-After': '7' }).end());
    const outcome = await open.send(request(`${rx.base}/`));
    assert.deepEqual(outcome.kind === 'retry' && [outcome.statusCode, outcome.retryAfterMs], [429, 7000]);
    for (const status of [408, 503]) {
      rx.handle((_req, res) => res.writeHead(status).end());
      const o = await open.send(request(`${rx.base}/`));
      assert.deepEqual([o.kind, o.statusCode], ['retry', status]);
    }
  });

  test('404 and 410 → rejected', async () => {
    for (const status of [404, 410, 400]) {
      rx.handle((_req, res) => res.writeHead(status).end('nope'));
      const o = await open.send(request(`${rx.base}/`));
      assert.deepEqual([o.kind, o.statusCode], ['rejected', status]);
    }
  });

  test('302 → rejected, and the redirect target receives nothing', async () => {
    rx.handle((_req, res) => res.writeHead(302, { Location: `${other.base}/stolen` }).end());
    const outcome = await open.send(request(`${rx.base}/`));
    assert.equal(outcome.kind, 'rejected');
    assert.equal(outcome.statusCode, 302);
    assert.match(outcome.kind === 'rejected' ? outcome.error : '', /redirect/);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(other.hits.length, 0);
  });

  test('a receiver that never answers → retry after the timeout', async () => {
    rx.handle(() => {}); // holds the request open
    const started = Date.now();
    const outcome = await open.send(request(`${rx.base}/`));
    const took = Date.now() - started;
    assert.equal(outcome.kind, 'retry');
    assert.match(outcome.kind === 'retry' ? outcome.error : '', /timed out after 300 ms/);
    assert.ok(took >= 280 && took < 2000, `took ${took} ms`);
  });

  test('the timeout covers the status line, not just the connect: a slow body after 200 is still delivered', async () => {
    rx.handle((_req, res) => {
      res.writeHead(200);
      res.write('partial'); // and never ends
    });
    const outcome = await open.send(request(`${rx.base}/`));
    assert.equal(outcome.kind, 'delivered');
  });

  test('a large answer is read only so far', async () => {
    rx.handle((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const outcome = await open.send(request(`${rx.base}/`));
    assert.equal(outcome.kind, 'delivered');
    assert.ok(outcome.latencyMs < 280, `latency ${outcome.latencyMs}`);
  });

  test('connection refused → retry', async () => {
    const port = await freePort();
    const outcome = await open.send(request(`http://127.0.0.1:${port}/`));
    assert.equal(outcome.kind, 'retry');
    assert.match(outcome.kind === 'retry' ? outcome.error : '', /ECONNREFUSED/);
  });

  test('an unresolvable host → retry, with a name the resolver never knew', async () => {
    const outcome = await open.send(request('http://does-not-exist.invalid/'));
    assert.equal(outcome.kind, 'retry');
  });

  test('with allowPrivate, loopback by name works', async () => {
    const outcome = await open.send(request(`${rx.base.replace('127.0.0.1', 'localhost')}/`));
    assert.equal(outcome.kind, 'delivered');
    assert.equal(rx.hits.length, 1);
  });

  test('refuses bad headers without throwing', async () => {
    const outcome = await open.send(request(`${rx.base}/`, { event: 'bad\r\nX-Injected: 1' }));
    assert.equal(outcome.kind, 'rejected');
    assert.equal(rx.hits.length, 0);
  });
});

describe('SSRF guard (allowPrivate = false)', () => {
  const port = () => new URL(rx.base).port;
  const refused = () => [
    `http://127.0.0.1:${port()}/`,
    `http://localhost:${port()}/`,
    `http://[::1]:${port()}/`,
    `http://10.1.2.3:${port()}/`,
    'http://169.254.169.254/latest/meta-data/',
    `http://[::ffff:127.0.0.1]:${port()}/`,
    `http://0x7f.1:${port()}/`, // 127.0.0.1 spelt otherwise
    `http://2130706433:${port()}/`,
    'http://[fd00::1]/',
    'http://100.64.0.1/',
    'http://0.0.0.0/',
    'http://224.0.0.1/',
    'http://[::]/',
    'http://[fe80::1]/',
  ];

  test('checkDestination refuses private, loopback, link-local and mapped addresses', async () => {
    for (const url of refused()) {
      const reason = await guarded.checkDestination(url);
      assert.ok(reason, `${url} should be refused`);
      assert.doesNotMatch(reason, /meta-data|\//, 'no path in the reason');
    }
  });

  test('send refuses them too, and the loopback receiver gets nothing', async () => {
    for (const url of refused()) {
      const outcome = await guarded.send(request(url));
      assert.equal(outcome.kind, 'rejected', url);
      assert.match(outcome.kind === 'rejected' ? outcome.error : '', /may not use/, url);
    }
    assert.equal(rx.hits.length, 0);
  });

  test('a secret in the query string never appears in an error', async () => {
    const url = `http://127.0.0.1:${port()}/hook?token=SuperSecret123`;
    const outcome = await guarded.send(request(url));
    assert.doesNotMatch(JSON.stringify(outcome), /SuperSecret123/);
    assert.doesNotMatch((await guarded.checkDestination(url)) ?? '', /SuperSecret123/);
  });

  test('a name whose DNS answer changes to loopback after the check is refused at connect time', async () => {
    let calls = 0;
    const rebinding: LookupFn = (_host, _opts, cb) => {
      calls += 1;
      cb(null, [{ address: calls === 1 ? '93.184.215.14' : '127.0.0.1', family: 4 }]);
    };
    const sender = new HttpWebhookSender({ allowPrivate: false, userAgent: UA, timeoutMs: 300, lookup: rebinding });
    assert.equal(await sender.checkDestination(`http://rebind.test:${port()}/`), undefined);
    const outcome = await sender.send(request(`http://rebind.test:${port()}/`));
    assert.equal(outcome.kind, 'rejected');
    assert.match(outcome.kind === 'rejected' ? outcome.error : '', /rebind\.test resolves to 127\.0\.0\.1 \(loopback\)/);
    // https goes through the same lookup
    assert.equal((await sender.send(request(`https://rebind.test:${port()}/`))).kind, 'rejected');
    assert.equal(rx.hits.length, 0);
  });

  test('a name with any one private address is refused', async () => {
    const mixed: LookupFn = (_host, _opts, cb) =>
      cb(null, [
        { address: '93.184.215.14', family: 4 },
        { address: '10.0.0.5', family: 4 },
      ]);
    const sender = new HttpWebhookSender({ allowPrivate: false, userAgent: UA, lookup: mixed });
    assert.match((await sender.checkDestination('https://mixed.test/')) ?? '', /10\.0\.0\.5 \(private\)/);
  });

  test('with allowPrivate a resolved loopback name is delivered', async () => {
    const toLoopback: LookupFn = (_host, _opts, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]);
    const sender = new HttpWebhookSender({ allowPrivate: true, userAgent: UA, timeoutMs: 300, lookup: toLoopback });
    const outcome = await sender.send(request(`http://receiver.test:${port()}/`));
    assert.equal(outcome.kind, 'delivered');
    assert.equal(rx.hits[0]!.headers.host, `receiver.test:${port()}`);
  });
});

describe('HttpWebhookSender.checkDestination', () => {
  test('refuses bad schemes, credentials and junk; allows public and (when allowed) private hosts', async () => {
    assert.match((await open.checkDestination('ftp://example.com/x')) ?? '', /scheme ftp/);
    assert.match((await open.checkDestination('file:///etc/passwd')) ?? '', /scheme file/);
    assert.match((await open.checkDestination('https://user:pw@example.com/')) ?? '', /credentials/);
    assert.match((await open.checkDestination('https://user@example.com/')) ?? '', /credentials/);
    assert.doesNotMatch((await open.checkDestination('https://user:pw@example.com/')) ?? '', /pw/);
    assert.match((await open.checkDestination('not a url')) ?? '', /does not parse/);
    assert.match((await open.checkDestination('http://does-not-exist.invalid/')) ?? '', /does not resolve/);
    assert.equal(await open.checkDestination(`${rx.base}/hook`), undefined);
    assert.equal(await open.checkDestination('http://localhost/'), undefined);
    assert.equal(await guarded.checkDestination('https://93.184.215.14/hook'), undefined);
    assert.equal(await guarded.checkDestination('https://[2606:4700:4700::1111]/hook'), undefined);
    for (const url of ['ftp://93.184.215.14/', 'https://u:p@93.184.215.14/']) {
      assert.ok(await guarded.checkDestination(url), url);
      assert.equal((await guarded.send(request(url))).kind, 'rejected', url);
    }
  });
});

describe('address classification', () => {
  test('public unicast only; IPv4 inside IPv6 judged by the IPv4', () => {
    for (const ok of ['8.8.8.8', '93.184.215.14', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1']) {
      assert.equal(disallowedRange(ok), undefined, ok);
    }
    for (const bad of [
      '127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.1.1', '0.0.0.0',
      '255.255.255.255', '224.0.0.1', '240.0.0.1', '192.0.2.1', '198.18.0.1',
      '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', 'fec0::1', '2001:db8::1',
      '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '64:ff9b::7f00:1', '2002:7f00:1::1',
      '::7f00:1', '64:ff9b:1::1', 'not-an-ip',
    ]) {
      assert.ok(disallowedRange(bad), bad);
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  test('seconds, HTTP dates, junk and the cap', () => {
    assert.equal(parseRetryAfter('7', now), 7000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('999999', now), MAX_RETRY_AFTER_MS);
    for (const junk of [undefined, '', '-5', '1.5', 'soon']) assert.equal(parseRetryAfter(junk, now), undefined, String(junk));
  });
});
