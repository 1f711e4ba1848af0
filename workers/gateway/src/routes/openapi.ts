// The OpenAPI document of the public API: small builders the route files use (a JSON body or answer of a schema
// with its example, a documented error answer), and the document itself: what the API is, how to sign in, the
// error shape, tags per resource. `npm run client` writes it to docs/openapi.json and generates the typed
// client from it; GET /v1/openapi.json serves the same document.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { ErrorResponse } from '../../../../lib/catalog/schemas';
import type { GatewayApp } from '../types';

/**
 * The API's version. 2.0.0: every amount became {amount, currency} and every time ISO 8601, which breaks
 * clients of 1.0.0 (see CHANGELOG.md). Bump it with every change a client can see, by semver.
 */
export const API_VERSION = '2.0.0';

export const json = <T>(schema: T, example?: unknown) => ({
  content: { 'application/json': { schema, ...(example === undefined ? {} : { example }) } },
});
export const failure = (description: string) => ({ description, ...json(ErrorResponse) });

const retryAfter = z.object({
  'retry-after': z.string().openapi({ description: 'Seconds to wait before trying again' }),
});
/** An error answer that says when to retry (`Retry-After`). */
export const failureWithRetry = (description: string) => ({ ...failure(description), headers: retryAfter });
/** The rate limit headers of an answer (RFC draft RateLimit fields); absent only while the limit store is down. */
export const rateLimitHeaders = z.object({
  'ratelimit-limit': z.string().optional().openapi({ description: "The size of the caller's token bucket" }),
  'ratelimit-remaining': z.string().optional().openapi({ description: 'Tokens left in it' }),
  'ratelimit-reset': z.string().optional().openapi({ description: 'Seconds until the bucket is full again' }),
  'ratelimit-policy': z
    .string()
    .optional()
    .openapi({ description: 'The sustained rate, e.g. `120;w=60`, with `;burst=<n>` when the bucket differs' }),
});
/** What every /v1 route answers when the caller's budget is spent. */
export const rateLimited = failureWithRetry('Over the rate limit (RATE_LIMITED)');

/** What every route with a JSON body may answer before its handler runs. */
export const bodyFailures = {
  400: failure('The body fails the schema (the message names each bad field) or is not JSON'),
  413: failure('The body is larger than 16 KiB (PAYLOAD_TOO_LARGE)'),
  415: failure('The body is not application/json (UNSUPPORTED_MEDIA_TYPE)'),
};

/** Operations that need a signed-in caller (any role, guests included, unless the route says more). */
export const bearer = [{ bearer: [] }];

const tags = [
  {
    name: 'Catalog',
    description:
      'Products, variants and the category tree. Public (no token), answered from the edge cache: `x-cache` ' +
      'says HIT, MISS or STALE. A merchant change shows within about a second locally (see the catalog docs).',
  },
  {
    name: 'Inventory',
    description:
      'Live stock of one SKU from its InventoryDO. At every moment `available + held + sold = onHand`; held ' +
      'units belong to checkouts waiting for payment.',
  },
  {
    name: 'Identity',
    description:
      'Accounts and sessions. A session is an ES256 access token (about 15 minutes) and a refresh token that ' +
      'rotates on every use. `POST /v1/auth/guest` gives an anonymous shopper a guest session; a guest token ' +
      'sent as the bearer of `/login` merges the guest cart into the account.',
  },
  {
    name: 'Account',
    description:
      "A customer's own account: the profile, saved addresses, email verification and deleting the account. " +
      'Password resets and verification links are emailed, single use and short-lived (under Identity).',
  },
  {
    name: 'Cart',
    description:
      "The caller's own cart (guests included), priced from the catalog, never from the client. Every answer " +
      'is the whole cart with an `ETag: "v<version>"`; send it back as `If-Match` to make a write conditional.',
  },
  {
    name: 'Checkout',
    description:
      'Places an order for the cart: reprices it, holds the stock, charges the card through Stripe. Send a ' +
      'new `Idempotency-Key` per checkout: a retry with the same key gets the same answer and never a second order.',
  },
  {
    name: 'Orders',
    description:
      "The caller's orders, straight from their OrdersDO: visible the moment a checkout is accepted. Another " +
      "shopper's order id is a 404.",
  },
  {
    name: 'Merchant',
    description:
      'Product, price and stock changes (role `merchant` or `admin`) and the dead letters of the `orders` ' +
      'Queue (role `admin`). No token is a 401; a lower role is a 403.',
  },
  {
    name: 'Ops',
    description:
      'Figures, SLOs, alerts and the state of the system under `/v1/admin/ops` (role `admin` only: no token is a ' +
      '401, a lower role a 403). Definitions of every figure and alert rule: docs/operations.md.',
  },
  {
    name: 'Webhooks',
    description:
      "Stripe calls these, not API clients: the request is Stripe's Event object, signed by Stripe " +
      "(`Stripe-Signature`), and is Stripe's contract, not ours.",
  },
  { name: 'Service', description: 'Health, this document and its reference page.' },
];

const description = `
The storefront's public API: browse the catalog, keep a cart, check out, follow orders; merchants change products
and stock. Every route is under this origin; bodies are JSON (\`application/json\`, at most 16 KiB).

## Signing in
Send \`Authorization: Bearer <accessToken>\` (scheme **bearer** below). Get a token from \`POST /v1/auth/login\`,
\`/register\`, or \`/guest\` for an anonymous shopper; renew it with \`POST /v1/auth/refresh\` before
\`expiresIn\` seconds pass. Tokens are ES256 JWTs whose keys are published at \`/.well-known/jwks.json\`.
Roles: \`guest\` < \`customer\` < \`merchant\` < \`admin\`. Catalog and inventory reads need no token; a token that
is sent must be valid (else 401) on every route.

## Errors
Every error is the **Error** object with a fitting status: a stable \`code\` to branch on, a \`message\` for
people, the \`requestId\` (also in the \`x-request-id\` header: quote it when reporting a problem), and \`details\`
where a code has more to say. Input that fails a schema is \`400 VALIDATION_FAILED\`; its message names every
bad field (\`Invalid body: shippingAddress.postalCode: a postal code (...); email: Invalid email address\`) and
\`details\` lists them as \`[{path, message, code}]\`. Unknown fields and parameters are refused.

## Conventions
- **Money** is always \`{"amount": 2999, "currency": "USD"}\`: an integer in minor units and an ISO 4217 code.
- **Times** are ISO 8601 in UTC: \`2026-11-29T14:15:32.396Z\`.
- **Pages**: lists answer \`nextCursor\`; pass it as \`cursor\` for the next page (null on the last one).
- **Rate limits** are token buckets: a burst up to the bucket's size, then the sustained rate. Answers the global
  store has counted carry \`RateLimit-Limit\`, \`RateLimit-Remaining\`, \`RateLimit-Reset\`, \`RateLimit-Policy\`
  (catalog reads, cart changes and webhooks are counted without waiting, so they often come without them); over the limit is
  \`429 RATE_LIMITED\` with \`Retry-After\` (seconds until a token is back).
- **Typed client**: \`lib/client\` in the repository is generated from this document (openapi-fetch).
`.trim();

/** The whole document, as served and as written to docs/openapi.json. */
export function apiDocument(app: OpenAPIHono<GatewayApp>) {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Edge Storefront API',
      version: API_VERSION,
      description,
    },
    tags,
  });
}

/** GET /v1/openapi.json on `app`: this document, generated once per isolate (the routes never change at run time). */
export function serveApiDocument(app: OpenAPIHono<GatewayApp>) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An access token from `POST /v1/auth/login`, `/register`, `/guest` or `/refresh` (field `accessToken`): ' +
      'an ES256 JWT valid for `expiresIn` seconds.',
  });
  let document: ReturnType<typeof apiDocument> | undefined;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/openapi.json',
      tags: ['Service'],
      summary: 'This OpenAPI 3.1 document',
      responses: {
        200: {
          description: 'The OpenAPI document of this API',
          ...json(
            z
              .object({ openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }).loose() })
              .loose()
              .openapi('OpenApiDocument', { description: 'An OpenAPI 3.1 document (this one).' }),
          ),
        },
      },
    }),
    (c) => {
      document ??= apiDocument(app);
      return c.json(document as never, 200, { 'cache-control': 'public, max-age=300' });
    },
  );
}
