// The one rule for the URLs the system POSTs signed calls to (merchants' webhook endpoints): the admin API checks
// it on registration (lib/admin/webhooks.schemas.ts, workers/admin/src/webhooks.ts) and again before every attempt
// (webhooks.deliver.ts). A receiver is an https URL on port 443 (or 8443) of a public host: never an address of
// this network (loopback, RFC 1918, link-local such as the metadata service 169.254.169.254, CGNAT, ULA, IPv4
// embedded in IPv6) nor a name that only resolves inside one (localhost, *.localhost, *.internal, *.local,
// single-label names), else the delivery log becomes a port scanner of whatever the Worker can reach.
// `allowLoopback` (WEBHOOK_ALLOW_LOOPBACK, dev and tests only) also accepts loopback hosts, http or https, any port.
// Not checkable here: a public name resolving to a private address (DNS rebinding, e.g. 10.0.0.5.nip.io); a
// Worker's fetch cannot pin or inspect the address it connects to (Cloudflare's egress does not reach private
// networks, which is what protects production from that case).

const PORTS = new Set(['', '8443']); // '' is the scheme's default (443): URL drops it
const INTERNAL_SUFFIXES = ['.localhost', '.internal', '.local', '.localdomain', '.home.arpa'];

function ipv4(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m ? m.slice(1).map(Number) : null;
}

/** IPv4 addresses that are not public: this network, private, shared (CGNAT), loopback, link-local, reserved. */
function privateIpv4([a, b]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b! >= 64 && b! <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && (b === 168 || b === 0)) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a! >= 224
  );
}

/** The 8 groups of an IPv6 literal as URL normalizes it (compressed, hex, no embedded dotted quad). */
function ipv6Groups(host: string): number[] | null {
  if (!host.startsWith('[') || !host.endsWith(']')) return null;
  const [head = '', tail] = host.slice(1, -1).split('::') as [string, string | undefined];
  const part = (s: string) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const h = part(head);
  const t = tail === undefined ? [] : part(tail);
  return [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
}

/** Not a public unicast address: unspecified, loopback, IPv4-mapped/compatible, NAT64, 6to4, Teredo, ULA, link-
 * or site-local, multicast (all but the first also carry or reach an internal IPv4 address). */
function privateIpv6(g: number[]): boolean {
  const [g0 = 0, g1 = 0] = g;
  if (g.slice(0, 5).every((x) => x === 0)) return true; // ::, ::1, ::ffff:a.b.c.d, ::a.b.c.d
  if (g0 === 0x64 && g1 === 0xff9b) return true;
  if (g0 === 0x2002 || (g0 === 0x2001 && g1 === 0)) return true;
  return (g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0 || (g0 & 0xff00) === 0xff00;
}

function loopbackHost(host: string): boolean {
  const v4 = ipv4(host);
  if (v4) return v4[0] === 127;
  return host === 'localhost' || host === '[::1]';
}

/** Why `url` may not receive signed calls, or null when it may. */
export function receiverUrlProblem(url: string, allowLoopback: boolean): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'must be a URL';
  }
  if (u.username || u.password) return 'must not carry credentials';
  const host = u.hostname.toLowerCase().replace(/\.$/, '');
  if (allowLoopback && loopbackHost(host) && (u.protocol === 'https:' || u.protocol === 'http:')) return null;
  if (u.protocol !== 'https:') return 'must be an https URL';
  if (!PORTS.has(u.port)) return 'must use port 443 (or 8443)';
  const v4 = ipv4(host);
  if (v4) return privateIpv4(v4) ? 'must not be a loopback, private or link-local address' : null;
  const v6 = ipv6Groups(host);
  if (v6) return privateIpv6(v6) ? 'must not be a loopback, private or link-local address' : null;
  if (host === 'localhost' || INTERNAL_SUFFIXES.some((s) => host.endsWith(s)))
    return 'must be a public host name, not a local or internal one';
  if (!host.includes('.')) return 'must be a fully qualified host name';
  return null;
}
