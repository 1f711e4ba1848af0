// A client address as a stock-cap key: never the address itself, only a hash of its network. IPv6 is cut to its
// /64 (one subscriber's allocation: a host can change the rest at will), IPv4 kept whole. The hash is pseudonymous,
// not anonymous (the IPv4 space can be enumerated), so it is kept only on stock holds, and goes with them: an unpaid
// hold's key lasts until the hold is released plus 7 days; a sold hold's key stays as long as the sale counts for
// the per-customer cap (docs/checkout.md, "Hoarding").

/** The network part of an address that one subscriber controls. */
export function networkOf(ip: string): string {
  const address = ip.trim().toLowerCase();
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** `addr:<32 hex>`: the key under which holds from this client's network are counted; null without an address. */
export async function addressKey(ip: string | undefined): Promise<string | null> {
  if (!ip) return null;
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(`storefront-hold-address:${networkOf(ip)}`),
  );
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `addr:${hex.slice(0, 32)}`;
}
