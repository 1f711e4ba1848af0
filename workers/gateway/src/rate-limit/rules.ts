// Rate-limit rules from configuration: which rule a request falls under, its key, and whether it fails open
// or closed when the limiter's store is slow or down. The limits themselves are vars (RATE_LIMIT_*, config.ts).
import type { Identity } from '../../../../lib/auth/tokens';
import type { GatewayConfig } from '../config';

export interface Rule {
  name: 'anonymous' | 'guest' | 'customer' | 'merchant' | 'auth' | 'checkout' | 'webhook';
  limit: number;
  windowSeconds: number;
  /** true: refuse (503) when the store cannot answer; false: let the request through. */
  failClosed: boolean;
}

const names: Rule['name'][] = ['anonymous', 'guest', 'customer', 'merchant', 'auth', 'checkout', 'webhook'];
// Credential and payment routes fail closed: an attacker must not gain from the store being down.
const failClosed = new Set<Rule['name']>(['auth', 'checkout']);

const built = new WeakMap<GatewayConfig, Record<Rule['name'], Rule>>();

export function rules(config: GatewayConfig): Record<Rule['name'], Rule> {
  let r = built.get(config);
  if (!r) {
    const entries = names.map((name) => {
      const rate = config[`RATE_LIMIT_${name.toUpperCase() as Uppercase<typeof name>}`];
      return [name, { name, ...rate, failClosed: failClosed.has(name) }] as const;
    });
    r = Object.fromEntries(entries) as Record<Rule['name'], Rule>;
    built.set(config, r);
  }
  return r;
}

const authPaths = new Set(['/v1/auth/login', '/v1/auth/register', '/v1/auth/refresh']);

/** The rule and key for one request. Credential routes count per IP whoever calls; the rest per caller. */
export function classify(all: Record<Rule['name'], Rule>, path: string, ip: string, who: Identity | undefined) {
  if (authPaths.has(path)) return { rule: all.auth, key: `ip:${ip}` };
  if (path === '/v1/webhooks/stripe') return { rule: all.webhook, key: `ip:${ip}` };
  if (path === '/v1/checkout' && who) return { rule: all.checkout, key: `sub:${who.sub}` };
  if (!who) return { rule: all.anonymous, key: `ip:${ip}` };
  const tier = who.role === 'admin' ? 'merchant' : who.role;
  return { rule: all[tier], key: `sub:${who.sub}` };
}
