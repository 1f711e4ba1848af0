// Rate-limit rules as one table: every request falls in a route class (browse, cart, checkout, auth, guest
// creation, webhook), the caller in a tier (anonymous or their role), and the cell names the rule, the key
// (per address or per subject) and so the bucket. Rules are token buckets whose rate and burst are vars
// (RATE_LIMIT_*, config.ts); whether a rule fails open or closed when the store is down is here, with the reason.
import type { Identity } from '../../../../lib/auth/tokens';
import type { GatewayConfig } from '../config';

export type RuleName =
  | 'anonymous'
  | 'guest'
  | 'customer'
  | 'merchant'
  | 'admin'
  | 'auth'
  | 'accountEmail'
  | 'guestCreation'
  | 'checkout'
  | 'webhook';
export type RouteClass = 'browse' | 'cart' | 'checkout' | 'auth' | 'guestCreation' | 'webhook';
export type Tier = 'anonymous' | Identity['role'];

export interface Rule {
  name: RuleName;
  /** Tokens that come back per `windowSeconds` (the sustained rate). */
  limit: number;
  windowSeconds: number;
  /** The bucket's capacity: how many requests may come at once. */
  burst: number;
  /** true: refuse (503) while the store is down (breaker open); false: the edge tier alone decides. */
  failClosed: boolean;
}

const varOf: Record<RuleName, keyof GatewayConfig> = {
  anonymous: 'RATE_LIMIT_ANONYMOUS',
  guest: 'RATE_LIMIT_GUEST',
  customer: 'RATE_LIMIT_CUSTOMER',
  merchant: 'RATE_LIMIT_MERCHANT',
  admin: 'RATE_LIMIT_ADMIN',
  auth: 'RATE_LIMIT_AUTH',
  accountEmail: 'RATE_LIMIT_ACCOUNT_EMAIL',
  guestCreation: 'RATE_LIMIT_GUEST_CREATION',
  checkout: 'RATE_LIMIT_CHECKOUT',
  webhook: 'RATE_LIMIT_WEBHOOK',
};

// Closed where an attacker gains from an outage: guessing passwords, minting identities (free guests are what hoards
// stock), paying, and sending account emails (an inbox flooded through us). The edge tier alone is a per-location
// count, too loose for those. Open for reading, carts and Stripe's webhook (whose signature is the real gate): the edge
// tier still limits them per location, and shoppers keep browsing through a Redis outage.
const failClosed = new Set<RuleName>(['auth', 'accountEmail', 'guestCreation', 'checkout']);

type Cell = { rule: RuleName; key: 'address' | 'subject' };
const byRole = (key: Cell['key']): Record<Tier, Cell> => ({
  anonymous: { rule: 'anonymous', key: 'address' },
  guest: { rule: 'guest', key },
  customer: { rule: 'customer', key },
  merchant: { rule: 'merchant', key },
  admin: { rule: 'admin', key },
});
const everyone = (rule: RuleName, key: Cell['key']): Record<Tier, Cell> => ({
  anonymous: { rule, key },
  guest: { rule, key },
  customer: { rule, key },
  merchant: { rule, key },
  admin: { rule, key },
});

/**
 * The table: route class x tier -> rule and key. Credential routes count per address whoever calls. One rule is not
 * in it: `accountEmail`, keyed by an email address that only the route's body names (limitByKey, middleware.ts).
 */
export const table: Record<RouteClass, Record<Tier, Cell>> = {
  browse: byRole('subject'),
  cart: byRole('subject'),
  checkout: { ...everyone('checkout', 'subject'), anonymous: { rule: 'anonymous', key: 'address' } },
  auth: everyone('auth', 'address'),
  guestCreation: everyone('guestCreation', 'address'),
  webhook: everyone('webhook', 'address'),
};

/**
 * Route classes with an edge counter of their own (edge.ts), keyed like their rule. Its figure in wrangler.toml is
 * the rule's default, per location: while the store is slow, a credential or checkout limit holds as it is.
 */
export const edgeOf: Partial<Record<RouteClass, { key: Cell['key'] }>> = {
  auth: { key: 'address' },
  guestCreation: { key: 'address' },
  checkout: { key: 'subject' },
};

const built = new WeakMap<GatewayConfig, Record<RuleName, Rule>>();

export function rules(config: GatewayConfig): Record<RuleName, Rule> {
  let r = built.get(config);
  if (!r) {
    const entries = (Object.keys(varOf) as RuleName[]).map((name) => {
      const rate = config[varOf[name]] as { limit: number; windowSeconds: number; burst: number };
      return [name, { name, ...rate, failClosed: failClosed.has(name) }] as const;
    });
    r = Object.fromEntries(entries) as Record<RuleName, Rule>;
    built.set(config, r);
  }
  return r;
}

// Every route that takes a password or an emailed link's token, or sends such a link to an address it is given.
const authPaths = new Set([
  '/v1/auth/login',
  '/v1/auth/register',
  '/v1/auth/refresh',
  '/v1/auth/password-reset',
  '/v1/auth/password-reset/confirm',
  '/v1/auth/verify-email',
]);

/** The route class of a request, by path and method. */
export function routeClass(method: string, path: string): RouteClass {
  if (authPaths.has(path)) return 'auth';
  // Deleting the account takes the password again: guessing it is guessing a password.
  if (path === '/v1/me' && method === 'DELETE') return 'auth';
  if (path === '/v1/auth/guest' && method === 'POST') return 'guestCreation';
  if (path === '/v1/webhooks/stripe') return 'webhook';
  if (path === '/v1/checkout' || path.startsWith('/v1/checkout/')) return 'checkout';
  if (path === '/v1/cart' || path.startsWith('/v1/cart/')) return 'cart';
  return 'browse';
}

/**
 * How long a request waits for the global store: a rule that fails closed (credentials, guest creation, checkout)
 * waits RATE_LIMIT_TIMEOUT_MS, since its verdict must be known before the request goes on; a rule that fails open
 * (the shoppers' browse and cart rules per tier, Stripe's webhook) waits RATE_LIMIT_BROWSE_WAIT_MS (0 by default:
 * not at all), so its checks are gathered into one store call (store.ts) and the store's verdict applies from the
 * caller's next request. A fail-open rule lets requests through when the store is down anyway; not waiting for it
 * when it is up costs at most the requests of one batch. A cart change is not a money path (stock is held only at
 * checkout, which waits), and the webhook's real gate is Stripe's signature.
 */
export function storeWaitMs(
  rule: Pick<Rule, 'failClosed'>,
  config: { RATE_LIMIT_BROWSE_WAIT_MS: number; RATE_LIMIT_TIMEOUT_MS: number },
): number {
  return rule.failClosed ? config.RATE_LIMIT_TIMEOUT_MS : config.RATE_LIMIT_BROWSE_WAIT_MS;
}

/** The rule and key for one request: its cell of the table. */
export function classify(all: Record<RuleName, Rule>, cls: RouteClass, ip: string, who: Identity | undefined) {
  const cell = table[cls][who ? who.role : 'anonymous'];
  const key = cell.key === 'subject' && who ? `sub:${who.sub}` : `ip:${ip}`;
  return { rule: all[cell.rule], key };
}
