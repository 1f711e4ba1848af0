// The secrets each worker needs in production, declared once: `npm run deploy` checks them with
// `wrangler secret list` before deploying, and its dry run prints them. Vars live in each wrangler.toml;
// secrets cannot (they would be committed), so this list is where they are named. A worker with no
// secrets still has an entry, so that adding a worker forces a decision here.

/** When a conditionally required secret is required: a var in the worker's wrangler.toml, or another secret. */
export type Condition = { whenVar: string; equals: string } | { whenSecret: string };

/** A secret a worker reads; required always, never, or when any of the conditions holds. */
export interface SecretSpec {
  name: string;
  /** What it is, for the report and the `wrangler secret put` hint. */
  about: string;
  required: boolean | Condition[];
}

const databaseUrl: SecretSpec = {
  name: 'DATABASE_URL',
  about: 'Neon primary, pooled connection string',
  required: true,
};
const replicaUrl: SecretSpec = {
  name: 'DATABASE_REPLICA_URL',
  about: 'Neon read replica; without it reads go to the primary',
  required: false,
};

const replicas: SecretSpec = {
  name: 'DATABASE_REPLICAS',
  about: 'Neon read replicas by region, "us=postgres://…,eu=postgres://…" (replaces DATABASE_REPLICA_URL)',
  required: false,
};

const upstashBackend: Condition = { whenVar: 'RATE_LIMIT_BACKEND', equals: 'upstash' };

export const workerSecrets: Record<string, SecretSpec[]> = {
  'storefront-gateway': [
    { name: 'JWT_SIGNING_KEY', about: 'private ES256 JWK with a kid', required: true },
    { ...databaseUrl, about: 'Neon primary: customers and refresh tokens' },
    { name: 'JWT_PUBLIC_KEYS', about: 'JWKS of older keys still accepted during a key rollover', required: false },
    // As workers/gateway/src/config.ts checks them: the Upstash backend needs both, and with "auto" the URL
    // alone selects it.
    {
      name: 'UPSTASH_REDIS_REST_URL',
      about: 'rate limits on Upstash; without it they run on the RateLimiterDO',
      required: [upstashBackend],
    },
    {
      name: 'UPSTASH_REDIS_REST_TOKEN',
      about: 'token for UPSTASH_REDIS_REST_URL',
      required: [upstashBackend, { whenSecret: 'UPSTASH_REDIS_REST_URL' }],
    },
    // The /admin console's CSRF key (workers/gateway/src/console/config.ts); without it the API works and the
    // console's pages answer 500 naming it.
    {
      name: 'CONSOLE_SESSION_SECRET',
      about: 'the /admin console: key of its CSRF tokens (32+ random characters)',
      required: true,
    },
    // A Slack incoming webhook's URL is its credential: a secret, not a var (durable-objects/alerts/config.ts).
    {
      name: 'ALERT_WEBHOOK_URL',
      about: 'where alert notifications go (Slack-compatible); without it they are recorded, not sent',
      required: false,
    },
    {
      name: 'ALERT_WEBHOOK_SECRET',
      about: 'HMAC-SHA256 key signing each alert call',
      required: [{ whenSecret: 'ALERT_WEBHOOK_URL' }],
    },
  ],
  'storefront-catalog': [
    databaseUrl,
    replicaUrl,
    replicas,
    // As workers/catalog/src/config.ts checks them: the URL turns the shared cache tier on, and it needs the token.
    {
      name: 'UPSTASH_REDIS_REST_URL',
      about: 'the catalog cache’s shared tier (Upstash Redis, global); without it each location fills from Postgres',
      required: false,
    },
    {
      name: 'UPSTASH_REDIS_REST_TOKEN',
      about: 'token for UPSTASH_REDIS_REST_URL',
      required: [{ whenSecret: 'UPSTASH_REDIS_REST_URL' }],
    },
  ],
  'storefront-admin': [databaseUrl, replicaUrl, replicas],
  'storefront-cart': [],
  'storefront-web': [],
  'storefront-checkout': [
    { ...databaseUrl, about: 'Neon primary: orders, stock copy' },
    { name: 'STRIPE_SECRET_KEY', about: 'sk_live_… or sk_test_…', required: true },
    { name: 'STRIPE_WEBHOOK_SECRET', about: 'whsec_… of the Stripe webhook endpoint', required: true },
  ],
};

/** Settings only the local stack uses: present on a deployed worker they would point it at a local server. */
export const devOnlySecrets = ['NEON_LOCAL_PROXY'];

/**
 * Vars that only the local stack and the tests set otherwise, with the value a deployed worker must have:
 * `npm run deploy` refuses a config that ships another (a client naming its read region, loopback webhooks, mail
 * copied to a sink, a local Stripe). Every `FAULT_*` var (an injected fault for the tests) must be empty too.
 */
export const devOnlyVars: Record<string, string> = {
  READ_REGION_HEADER: 'false',
  WEBHOOK_ALLOW_LOOPBACK: 'false',
  MAIL_SINK_URL: '',
  STRIPE_API_BASE: '',
};

/**
 * Vars holding the shop's public origins, which the repo's configs set to the local stack's (so `npm run dev` and the
 * dry run work as cloned): a real deploy refuses a loopback or `localhost` origin in any of them (emailed links to
 * 127.0.0.1, a CORS allow-list of local pages), naming the var. SHOP_ORIGIN is one origin; CORS_ORIGINS a list.
 */
export const publicOriginVars = ['SHOP_ORIGIN', 'CORS_ORIGINS'];

/**
 * Whether a URL's `hostname` (as WHATWG URL normalizes it: IPv4 in dotted decimal, IPv6 compressed in brackets, lower
 * case) names this machine: `localhost` and its subdomains, with or without the root's trailing dot; IPv4 127/8 and
 * 0.0.0.0; IPv6 ::1 and ::; and the IPv4-mapped forms of 127/8 and 0.0.0.0 (::ffff:7f00:1, ::ffff:0:0).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.+$/, '');
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '0.0.0.0' ||
    host === '[::1]' ||
    host === '[::]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host) ||
    host === '[::ffff:0:0]'
  );
}

/** The origins of a comma-separated `value` whose host is loopback or `localhost` (isLoopbackHost). */
export function loopbackOrigins(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((origin) => {
      let host: string;
      try {
        host = new URL(origin).hostname;
      } catch {
        return false; // not an origin at all: the worker's own config check names it
      }
      return isLoopbackHost(host);
    });
}

/** The value `name` must have when deployed, or undefined for a var free to take any. */
export const deployedValueOf = (name: string): string | undefined =>
  Object.hasOwn(devOnlyVars, name) ? devOnlyVars[name] : name.startsWith('FAULT_') ? '' : undefined;

/** Whether `spec` is required for a worker with these vars and (when known) these secrets set. */
export function isRequired(spec: SecretSpec, vars: Record<string, unknown>, secretsSet: string[] = []): boolean {
  if (typeof spec.required === 'boolean') return spec.required;
  return spec.required.some((c) =>
    'whenVar' in c ? String(vars[c.whenVar] ?? '') === c.equals : secretsSet.includes(c.whenSecret),
  );
}
