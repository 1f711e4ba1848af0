// A shopper's other keys for the stock caps, beside the subject: a client address, never the address itself but
// a hash of its network (IPv6 cut to its /64, one subscriber's allocation: a host can change the rest at will;
// IPv4 kept whole), and a card, never its Stripe fingerprint but a hash of it. Hashes are pseudonymous, not
// anonymous (the IPv4 space can be enumerated; a fingerprint is stable per Stripe account), so they are kept only
// on stock holds, and go with them: an unpaid hold's keys last until the hold is released plus 7 days; a sold
// hold's keys stay as long as the sale counts for the per-customer cap (docs/checkout.md, "Hoarding").

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

/** `<kind>:<32 hex>`: a truncated SHA-256 of the material, under a domain of its own per kind. */
async function hashedKey(kind: 'addr' | 'pm', domain: string, material: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${domain}:${material}`));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${kind}:${hex.slice(0, 32)}`;
}

/** `addr:<32 hex>`: the key under which holds from this client's network are counted; null without an address. */
export async function addressKey(ip: string | undefined): Promise<string | null> {
  if (!ip) return null;
  return hashedKey('addr', 'storefront-hold-address', networkOf(ip));
}

/** `pm:<32 hex>`: the key under which holds paid (or to be paid) with this card are counted. */
export function cardKey(fingerprint: string): Promise<string> {
  return hashedKey('pm', 'storefront-hold-card', fingerprint);
}
