// Rate-limit rules from configuration: which rule a request falls under, its key, and whether it fails open
// or closed when the limiter's store is slow or down.
import type { Identity } from '../../../../lib/auth/tokens';

export interface Rule {
  name: 'anonymous' | 'guest' | 'customer' | 'merchant' | 'auth' | 'checkout' | 'webhook';
  limit: number;
  windowSeconds: number;
  /** true: refuse (503) when the store cannot answer; false: let the request through. */
  failClosed: boolean;
}

export interface RateLimitEnv {
  RATE_LIMIT_ANONYMOUS?: string;
  RATE_LIMIT_GUEST?: string;
  RATE_LIMIT_CUSTOMER?: string;
  RATE_LIMIT_MERCHANT?: string;
  RATE_LIMIT_AUTH?: string;
  RATE_LIMIT_CHECKOUT?: string;
  RATE_LIMIT_WEBHOOK?: string;
}

export const defaultLimits: Record<Rule['name'], string> = {
  anonymous: '120/60',
  guest: '240/60',
  customer: '300/60',
  merchant: '1200/60',
  auth: '10/60',
  checkout: '10/60',
  // Stripe delivers from a handful of addresses; the signature is the real gate.
  webhook: '6000/60',
};

function parse(name: Rule['name'], value: string | undefined): Omit<Rule, 'failClosed'> {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value || defaultLimits[name]);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) {
    throw new Error(`RATE_LIMIT_${name.toUpperCase()} must look like "<requests>/<seconds>", got "${value}"`);
  }
  return { name, limit: Number(m[1]), windowSeconds: Number(m[2]) };
}

const parsed = new WeakMap<object, Record<Rule['name'], Rule>>();

export function rules(env: RateLimitEnv): Record<Rule['name'], Rule> {
  let r = parsed.get(env);
  if (!r) {
    // Credential and payment routes fail closed: an attacker must not gain from the store being down.
    const closed = new Set<Rule['name']>(['auth', 'checkout']);
    const entries = (Object.keys(defaultLimits) as Rule['name'][]).map((name) => {
      const value = env[`RATE_LIMIT_${name.toUpperCase()}` as keyof RateLimitEnv];
      return [name, { ...parse(name, value), failClosed: closed.has(name) }] as const;
    });
    r = Object.fromEntries(entries) as Record<Rule['name'], Rule>;
    parsed.set(env, r);
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
