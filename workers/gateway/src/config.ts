// The gateway's vars and secrets (wrangler.toml [vars], secrets by `wrangler secret put`), validated once per
// isolate by configOf: a bad or missing one is a ConfigError naming it, logged with the request's 500.
// The database and token settings are declared beside the code that reads them (DbVars in lib/db/client.ts:
// DATABASE_URL, DATABASE_REPLICA_URL, DB_TIMEOUT_MS; AuthVars in lib/auth/tokens.ts: JWT_SIGNING_KEY,
// JWT_PUBLIC_KEYS, JWT_ISSUER, JWT_AUDIENCE, ACCESS_TOKEN_TTL_SECONDS) and validated on first use, so the routes
// that need neither still answer without them; /health reports them (checks.gateway).
import { z } from 'zod';
import { MAX_PBKDF2_ITERATIONS, PBKDF2_ITERATIONS } from '../../../lib/auth/password';
import { configOf, enumVar, intVar, listVar, optionalText, rateVar, secret } from '../../../lib/config';
import { regionMapVar } from '../../../lib/db/regions';

const isOrigin = (value: string) => {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
};
// The Origin header is compared as is: "https://shop.example/" or "shop.example" would never match, so say so.
const origin = z.string().refine(isOrigin, 'expected an origin like https://shop.example (no path, no trailing /)');

export const GatewayVars = z
  .object({
    // Which requests get a log line: "errors" (status >= 400 or slow), "all", "none".
    REQUEST_LOG: enumVar(['errors', 'all', 'none'], 'errors'),
    // 0 counts every request as slow.
    SLOW_REQUEST_MS: intVar(1000),
    // Comma-separated origins allowed by CORS; unset or blank: no cross-origin access.
    CORS_ORIGINS: listVar(origin),
    // PBKDF2-SHA256 iterations for new password hashes: OWASP's figure by default, never below 100,000, never
    // above what verification accepts (lib/auth/password.ts).
    PASSWORD_ITERATIONS: intVar(PBKDF2_ITERATIONS, { min: 100_000, max: MAX_PBKDF2_ITERATIONS }),
    REFRESH_TOKEN_TTL_DAYS: intVar(30, { min: 1, max: 365 }),
    // A rotated refresh token presented again this soon after its rotation gets another successor in its family
    // instead of revoking it: two tabs, or a client that lost the answer, refresh at once (docs/identity.md).
    REFRESH_REUSE_GRACE_SECONDS: intVar(30, { min: 0, max: 300 }),
    // A guest session's whole life: refreshing rotates its token but never extends it (a customer's slides).
    GUEST_SESSION_TTL_DAYS: intVar(7, { min: 1, max: 365 }),
    // Where shoppers open the storefront: emailed links (password reset, email verification) point here. Never the
    // request's Host, which a caller chooses (a reset link to their own host would carry the victim's token).
    SHOP_ORIGIN: z.preprocess((v) => v ?? 'http://127.0.0.1:8787', origin),
    // How long an emailed link works. A reset link is short-lived; a verification link waits for the shopper longer.
    PASSWORD_RESET_TTL_MINUTES: intVar(30, { min: 5, max: 24 * 60 }),
    EMAIL_VERIFY_TTL_MINUTES: intVar(24 * 60, { min: 5, max: 7 * 24 * 60 }),
    // Saved addresses per customer.
    MAX_SAVED_ADDRESSES: intVar(10, { min: 1, max: 100 }),
    // Token buckets, "<requests>/<seconds>" (the bucket holds as many) or "<requests>/<seconds> burst <n>", one per
    // rule; rate-limit/rules.ts is the table of who falls under which, keyed how, failing open or closed.
    RATE_LIMIT_ANONYMOUS: rateVar('120/60'),
    RATE_LIMIT_GUEST: rateVar('240/60'),
    RATE_LIMIT_CUSTOMER: rateVar('300/60'),
    RATE_LIMIT_MERCHANT: rateVar('1200/60'),
    RATE_LIMIT_ADMIN: rateVar('1200/60'),
    RATE_LIMIT_AUTH: rateVar('10/60'),
    // Emailed links (password reset, verification) per email address: nobody floods an inbox through us.
    RATE_LIMIT_ACCOUNT_EMAIL: rateVar('3/900'),
    // POST /v1/auth/guest per address: identities must not be free, or per-shopper caps mean nothing.
    RATE_LIMIT_GUEST_CREATION: rateVar('10/600 burst 5'),
    RATE_LIMIT_CHECKOUT: rateVar('10/60'),
    // Stripe delivers from a handful of addresses; the signature is the real gate.
    RATE_LIMIT_WEBHOOK: rateVar('6000/60'),
    // auto: Upstash when UPSTASH_REDIS_REST_URL is set, else the RateLimiterDO.
    RATE_LIMIT_BACKEND: enumVar(['auto', 'upstash', 'durable-object', 'off'], 'auto'),
    // How long a request waits for the global store before the edge tier's verdict stands (rate-limit/store.ts).
    RATE_LIMIT_TIMEOUT_MS: intVar(300, { min: 1, max: 60_000 }),
    // The same for fail-open rules (browse, cart, webhook); 0: they never wait, the store's verdict applies from
    // the caller's next request (rate-limit/rules.ts storeWaitMs).
    RATE_LIMIT_BROWSE_WAIT_MS: intVar(0, { max: 60_000 }),
    // The checks nobody waits for (browse) are gathered for this long and sent as one store call (one Upstash
    // pipeline; one call per RateLimiterDO shard): rate-limit/store.ts. 0: each its own call.
    RATE_LIMIT_BROWSE_BATCH_MS: intVar(20, { max: 1000 }),
    HEALTH_CACHE_MS: intVar(5000, { max: 60_000 }),
    // Where a request reads: "continent:EU=eu,country:GB=eu,*=us" maps where it arrived (request.cf) to a region of
    // DATABASE_REPLICAS (lib/db/regions.ts). Blank: no region, reads try the replicas in their listed order.
    REPLICA_REGIONS: regionMapVar,
    // "true" only in the local stack and the tests: an `x-read-region` header then names the region
    // (middleware/read-region.ts). Never in production: a client would choose which replica it reads.
    READ_REGION_HEADER: enumVar(['true', 'false'], 'false'),
    // Read-your-writes (middleware/read-after.ts): how long a merchant's read-after token (x-read-after, and the
    // console's cookie) routes the client's reads past replicas that have not replayed their write. Longer than
    // REPLICA_MAX_LAG_MS plus the catalog generation's reach (KV's up to 60 s, then GENERATION_TTL_MS), after which
    // every read is at or past the write anyway.
    READ_AFTER_TTL_SECONDS: intVar(300, { min: 1, max: 3600 }),
    // How long the gateway answers a public catalog URL from its own memo (routes/catalog-memo.ts); 0: never.
    CATALOG_MEMO_MS: intVar(250, { max: 5000 }),
    // A store call unanswered after this long is given up (slow is not failing). RATE_LIMIT_BREAKER_FAILURES errors
    // in a row open the breaker for RATE_LIMIT_BREAKER_OPEN_MS: fail-closed rules then answer 503 at once.
    RATE_LIMIT_STORE_TIMEOUT_MS: intVar(2000, { min: 1, max: 60_000 }),
    RATE_LIMIT_BREAKER_FAILURES: intVar(5, { min: 1 }),
    RATE_LIMIT_BREAKER_OPEN_MS: intVar(5000, { min: 100 }),
    // RateLimiterDO only: callers of one rule are spread over this many objects.
    RATE_LIMIT_SHARDS: intVar(32, { min: 1 }),
    // Overload: requests in flight in one isolate above which a route class is answered 503 at once. Browse gives
    // way first, checkout and payment webhooks last (rate-limit/overload.ts).
    OVERLOAD_MAX_INFLIGHT_BROWSE: intVar(256, { min: 1 }),
    OVERLOAD_MAX_INFLIGHT_CART: intVar(512, { min: 1 }),
    OVERLOAD_MAX_INFLIGHT_CHECKOUT: intVar(1024, { min: 1 }),
    UPSTASH_REDIS_REST_URL: secret(optionalText(z.url({ protocol: /^https?$/ }))),
    UPSTASH_REDIS_REST_TOKEN: secret(optionalText()),
  })
  .superRefine((c, ctx) => {
    // The Upstash backend needs both; "auto" picks it as soon as the URL is set.
    const upstash = c.RATE_LIMIT_BACKEND === 'upstash' || (c.RATE_LIMIT_BACKEND === 'auto' && c.UPSTASH_REDIS_REST_URL);
    if (!upstash) return;
    for (const name of ['UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN'] as const) {
      if (!c[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'needed by the Upstash rate-limit backend' });
    }
  });
export type GatewayConfig = z.output<typeof GatewayVars>;

export const gatewayConfig = (env: object): GatewayConfig => configOf(env, GatewayVars, 'storefront-gateway');
