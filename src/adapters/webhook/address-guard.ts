/**
 * SSRF guard: which IP addresses a webhook may connect to, and a `dns.lookup`
 * replacement that refuses the others at connect time (so a DNS answer cannot
 * change between the check and the connection).
 */
import dns from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOptions } from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** Thrown (through the lookup callback) for a refused address; maps to `rejected`. */
export class DisallowedAddressError extends Error {
  readonly code = 'EDISALLOWEDADDRESS';
  constructor(readonly host: string, readonly address: string, readonly range: string) {
    super(`${host === address ? 'address' : `host ${host} resolves to`} ${address} (${range}), which webhooks may not use`);
    this.name = 'DisallowedAddressError';
  }
}

/** The IPv4 address inside an IPv6 one that embeds it, when that is how it is routed. */
function embeddedIPv4(v6: ipaddr.IPv6, range: string): ipaddr.IPv4 | undefined {
  const [a, b, c, d, e, f, g, h] = v6.parts as [number, number, number, number, number, number, number, number];
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  switch (range) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return v4(g, h);
    case 'rfc6052': // NAT64 64:ff9b::a.b.c.d (the /96 well-known prefix; the /48 local one stays refused)
      return a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0 ? v4(g, h) : undefined;
    case '6to4': // 2002:AABB:CCDD::/48
      return v4(b, c);
    default:
      return undefined;
  }
}

/**
 * Why this literal IP address may not be used, or undefined when it is public
 * unicast. An allowlist: anything ipaddr.js classes other than `unicast` is
 * refused (private, loopback, link-local incl. 169.254.169.254, unique-local,
 * unspecified, CGNAT, multicast, broadcast, reserved, documentation, …).
 */
export function disallowedRange(address: string): string | undefined {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return 'unparseable';
  }
  if (ip.kind() === 'ipv4') {
    const range: string = ip.range();
    return range === 'unicast' ? undefined : range;
  }
  const v6 = ip as ipaddr.IPv6;
  const range: string = v6.range();
  const inner = embeddedIPv4(v6, range);
  if (inner) {
    const innerRange: string = inner.range();
    return innerRange === 'unicast' ? undefined : `${range} ${innerRange}`;
  }
  // ::/96 (deprecated IPv4-compatible, e.g. ::7f00:1) is classed `unicast` by ipaddr.js.
  if (range === 'unicast' && v6.parts.slice(0, 6).every((p) => p === 0)) return 'ipv4Compatible';
  return range === 'unicast' ? undefined : range;
}

/** Strips the brackets a URL puts round an IPv6 host; undefined when `host` is not an IP literal. */
export function ipLiteral(host: string): string | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return net.isIP(bare) ? bare : undefined;
}

export type LookupFn = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemLookup: LookupFn = (hostname, options, callback) => dns.lookup(hostname, options, callback);

/** Resolves every address of `hostname`; refuses the whole host if any one is disallowed. */
export function resolveChecked(
  hostname: string,
  allowPrivate: boolean,
  family: number | undefined,
  lookup: LookupFn = systemLookup,
): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    lookup(hostname, { all: true, ...(family ? { family } : {}) }, (err, addresses) => {
      if (err) return reject(err);
      if (!addresses?.length) return reject(Object.assign(new Error(`host ${hostname} has no address`), { code: 'ENOTFOUND' }));
      if (!allowPrivate) {
        for (const a of addresses) {
          const range = disallowedRange(a.address);
          if (range) return reject(new DisallowedAddressError(hostname, a.address, range));
        }
      }
      resolve(addresses);
    });
  });
}

type NetLookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `http.request`/`net.connect`: node calls it with `all: true`
 * (autoSelectFamily) or without, and expects the matching callback shape.
 */
export function guardedLookup(allowPrivate: boolean, lookup?: LookupFn) {
  return (hostname: string, options: LookupOptions, callback: NetLookupCallback): void => {
    const f = options.family;
    const family = f === 4 || f === 'IPv4' ? 4 : f === 6 || f === 'IPv6' ? 6 : undefined;
    resolveChecked(hostname, allowPrivate, family, lookup).then(
      (addresses) => {
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, options.all ? [] : '', undefined),
    );
  };
}
