// The gateway as the public edge: error shape, bad input, request ids, security headers, CORS, the
// OpenAPI document and docs page, and the guards on the merchant write path.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../dev/stack';
import type { Schemas } from '../../lib/client';
import { adminPatch, api, client, gateway, merchantToken, ok, postJson, primary, uniqueWord } from './helpers';

function expectErrorShape(res: { status: number; headers: Headers; body: any }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body.error).toMatchObject({ code, message: expect.any(String), requestId: expect.any(String) });
  expect(res.headers.get('x-request-id')).toBe(res.body.error.requestId);
}
/** The same check on an answer of the typed client. */
const expectClientError = (
  res: { error?: Schemas['Error'] | unknown; response: Response },
  status: number,
  code: string,
) => expectErrorShape({ status: res.response.status, headers: res.response.headers, body: res.error }, status, code);
/** PATCH /v1/admin/products/:slug through the typed client, as the holder of `token`. */
const patchProduct = (token: string, slug: string, body: { title?: string; priceAmount?: number }) =>
  client(token).PATCH('/v1/admin/products/{slug}', { params: { path: { slug } }, body });

describe('bad input', () => {
  // Raw: query values and path segments the typed client would refuse to build.
  it.each([
    ['/v1/products?limit=0'],
    ['/v1/products?limit=101'],
    ['/v1/products?limit=ten'],
    ['/v1/products?limit=2.5'],
    ['/v1/products?sort=cheapest'],
    ['/v1/products?shade=red'],
    ['/v1/products?price_min=cheap'],
    ['/v1/products?q='],
    [`/v1/products?q=${'a'.repeat(201)}`],
    ['/v1/products?q=a&q=b'],
    ['/v1/products?category=Not%20A%20Slug!'],
    ['/v1/products?cursor=***'],
    ['/v1/products/Bad%20Slug!'],
    [`/v1/products/${'a'.repeat(121)}`],
  ])('answers 400 with the error shape for %s', async (path) => {
    expectErrorShape(await api(path), 400, 'VALIDATION_FAILED');
  });

  it('names every bad field in the message of a schema failure, and lists them in details', async () => {
    const query = await api('/v1/products?limit=0&sort=cheapest');
    expectErrorShape(query, 400, 'VALIDATION_FAILED');
    expect(query.body.error.message).toMatch(/^Invalid query: /);
    expect(query.body.error.message).toContain('limit: ');
    expect(query.body.error.message).toContain('sort: ');
    expect(query.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['limit', 'sort']);
    const param = await api('/v1/products/Bad%20Slug!');
    expect(param.body.error.message).toBe('Invalid path: slug: lowercase letters, digits and single hyphens');
    const body = await client().POST('/v1/auth/register', { body: { email: 'not an email', password: 'short' } });
    expectClientError(body, 400, 'VALIDATION_FAILED');
    expect(body.error?.error.message).toBe(
      'Invalid body: email: Invalid email address; password: at least 10 characters',
    );
    // Raw: bodies with keys outside the schema.
    const unknown = await postJson('/v1/auth/login', { email: 'a@example.com', password: 'x', admin: true });
    expect(unknown.body.error.message).toBe('Invalid body: Unrecognized key: "admin"');
    // A hostile body cannot make the message long: each part is cut and at most five are listed.
    const many = await postJson(
      '/v1/auth/login',
      Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${'x'.repeat(300)}${i}`, 1])),
    );
    expect(many.status).toBe(400);
    expect(many.body.error.message.length).toBeLessThan(1000);
  });

  it('answers 404 with the error shape for unknown products and routes', async () => {
    const slug = 'no-such-product';
    expectClientError(await client().GET('/v1/products/{slug}', { params: { path: { slug } } }), 404, 'NOT_FOUND');
    // Raw: routes and methods that are not in the contract.
    expectErrorShape(await api('/v1/nothing-here'), 404, 'NOT_FOUND');
    expectErrorShape(await api('/v1/products', { method: 'DELETE' }), 404, 'NOT_FOUND');
  });
});

describe('edge headers', () => {
  it("gives every answer the gateway's own request id and security headers; a safe incoming id correlates", async () => {
    const { headers } = (await client().GET('/v1/categories')).response;
    expect(headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers.get('strict-transport-security')).toContain('max-age=');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(headers.get('cross-origin-resource-policy')).toBe('same-site');
    // Headers only a browser rendering an HTML document reads are left off the API's JSON (OWASP REST Security
    // Cheat Sheet); the pages keep them.
    for (const documentOnly of [
      'x-xss-protection',
      'x-download-options',
      'x-dns-prefetch-control',
      'origin-agent-cluster',
    ])
      expect(headers.get(documentOnly), documentOnly).toBeNull();
    const page = await api('/');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-dns-prefetch-control')).toBe('off');
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    const traced = await client().GET('/v1/categories', { headers: { 'x-request-id': 'trace-0123456789' } });
    // Issue 11 finding 10: a client's id is never adopted as ours; it comes back as the correlation id.
    expect(traced.response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(traced.response.headers.get('x-correlation-id')).toBe('trace-0123456789');
    const hostile = await api('/v1/categories', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(hostile.headers.get('x-correlation-id')).toBeNull();
  });

  it('allows CORS only for listed origins', async () => {
    const fromOrigin = async (origin: string) =>
      (await client().GET('/v1/products', { params: { query: { limit: 1 } }, headers: { origin } })).response.headers;
    const allowed = await fromOrigin('http://localhost:3000');
    expect(allowed.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(allowed.get('access-control-expose-headers')).toContain('X-Request-Id');
    const denied = await fromOrigin('https://evil.example');
    expect(denied.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${gateway()}/v1/admin/products/x`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH');
  });
});

describe('contract', () => {
  it('publishes an OpenAPI 3.1 document generated from the validating schemas, the one committed in docs/', async () => {
    const { data: doc, response } = await client().GET('/v1/openapi.json');
    expect(response.status).toBe(200);
    const body = doc as any;
    expect(body.openapi).toBe('3.1.0');
    expect(body.info.version).toBe('2.0.0');
    const list = body.paths['/v1/products'].get;
    expect(list.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'brand',
      'category',
      'colour',
      'cursor',
      'facets',
      'limit',
      'price_max',
      'price_min',
      'q',
      'size',
      'sort',
    ]);
    const limit = list.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ minimum: 1, maximum: 100 });
    expect(list.responses['200'].content['application/json'].example.items[0].price).toEqual({
      amount: 4900,
      currency: 'USD',
    });
    expect(body.paths['/v1/products/{slug}'].get).toBeDefined();
    expect(body.paths['/v1/categories'].get).toBeDefined();
    expect(body.paths['/v1/admin/products/{slug}'].patch.requestBody).toBeDefined();
    expect(body.components.schemas.ProductDetail).toBeDefined();
    // Every public route, the Stripe webhook marked as Stripe's contract.
    for (const [p, method] of [
      ['/health', 'get'],
      ['/.well-known/jwks.json', 'get'],
      ['/v1/openapi.json', 'get'],
      ['/docs', 'get'],
      ['/v1/checkout', 'post'],
      ['/v1/orders/{id}', 'get'],
      ['/v1/cart/items/{sku}', 'delete'],
      ['/v1/inventory/{sku}', 'get'],
      ['/v1/admin/dead-letters/replay', 'post'],
    ])
      expect(body.paths[p!]?.[method!], `${method} ${p}`).toBeDefined();
    expect(body.paths['/v1/webhooks/stripe'].post).toMatchObject({ 'x-contract': 'stripe', tags: ['Webhooks'] });
    // Auth, errors and resources explained once each.
    expect(body.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(body.components.schemas.Error.description).toBeTruthy();
    expect(body.components.schemas.Money).toMatchObject({ required: ['amount', 'currency'] });
    const tags = body.tags.map((t: { name: string }) => t.name);
    expect(tags).toEqual(expect.arrayContaining(['Catalog', 'Cart', 'Checkout', 'Orders', 'Identity', 'Webhooks']));
    expect(body.tags.every((t: { description?: string }) => t.description)).toBe(true);
    const operations = Object.values(body.paths).flatMap((ops: any) => Object.values(ops)) as { tags?: string[] }[];
    expect(operations.every((op) => op.tags?.length === 1 && tags.includes(op.tags[0]))).toBe(true);
    // The committed document (from which lib/client is generated) is the one the gateway serves.
    const committed = JSON.parse(fs.readFileSync(path.join(projectRoot, 'docs/openapi.json'), 'utf8'));
    expect(body).toEqual(committed);
  });

  it('serves the API reference (Scalar) from its own origin, under a CSP that lets only its own scripts run', async () => {
    const page = await client().GET('/docs', { parseAs: 'text' });
    expect(page.response.status).toBe(200);
    expect(page.response.headers.get('content-type')).toContain('text/html');
    expect(page.data).toContain('<div id="app"></div>');
    expect(page.data).toContain('<script src="/docs/scalar.js"></script>');
    expect(page.data).toContain('<script src="/docs/start.js"></script>');
    expect(page.data).not.toMatch(/<script>|https?:\/\//); // no inline script, nothing from elsewhere
    const csp = page.response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    // Raw: the page's own scripts are static assets it loads, not operations of the API.
    const start = await api('/docs/start.js');
    expect(start.status).toBe(200);
    expect(start.headers.get('content-type')).toContain('javascript');
    expect(start.body).toContain("Scalar.createApiReference('#app'");
    expect(start.body).toContain("url: '/v1/openapi.json'");
    expect(start.body).toContain('withDefaultFonts: false');
    const scalar = await fetch(`${gateway()}/docs/scalar.js`, { signal: AbortSignal.timeout(15_000) });
    expect(scalar.status).toBe(200);
    expect(scalar.headers.get('content-type')).toContain('javascript');
    const bundle = await scalar.text();
    expect(bundle.length).toBeGreaterThan(1_000_000);
    expect(bundle).toContain('createApiReference');
  });
});

describe('merchant write path guards', () => {
  const slug = 'no-such-product-for-admin';
  it('refuses no token or a bad one (401) and a shopper or guest token (403)', async () => {
    // Raw: no token and no content type; a token that is not a JWT.
    expectErrorShape(await api(`/v1/admin/products/${slug}`, { method: 'PATCH', body: '{}' }), 401, 'UNAUTHORIZED');
    expectErrorShape(await adminPatch(slug, { title: 'x' }, { authorization: 'Bearer wrong' }), 401, 'UNAUTHORIZED');
    const shopper = await ok(
      'register',
      client().POST('/v1/auth/register', {
        body: { email: `${uniqueWord()}@example.com`, password: 'a long enough password' },
      }),
    );
    expectClientError(await patchProduct(shopper.accessToken, slug, { title: 'x' }), 403, 'FORBIDDEN');
    const guest = await ok('guest', client().POST('/v1/auth/guest'));
    expectClientError(await patchProduct(guest.accessToken, slug, { title: 'x' }), 403, 'FORBIDDEN');
  });

  it('refuses bad bodies with 4xx and changes nothing', async () => {
    const [target] = await primary<{ slug: string; title: string; price_amount: number }>(
      "select slug, title, price_amount from products where slug like 'oakmere-%' order by slug limit 1",
    );
    const s = target!.slug;
    // Raw: a wrong content type, an oversized, truncated or non-object body, and values out of the schema.
    expectErrorShape(
      await adminPatch(s, { title: 'x' }, { 'content-type': 'text/plain' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectErrorShape(await adminPatch(s, { title: 'x'.repeat(20_000) }), 413, 'PAYLOAD_TOO_LARGE');
    expectErrorShape(await adminPatch(s, '{"title": '), 400, 'VALIDATION_FAILED');
    expectErrorShape(await adminPatch(s, {}), 400, 'VALIDATION_FAILED');
    expectErrorShape(await adminPatch(s, { priceAmount: 10.5 }), 400, 'VALIDATION_FAILED');
    expectErrorShape(await adminPatch(s, { priceAmount: -1 }), 400, 'VALIDATION_FAILED');
    expectErrorShape(await adminPatch(s, { title: 'ok', sku: 'extra' }), 400, 'VALIDATION_FAILED');
    expectErrorShape(await adminPatch(s, { title: '   ' }), 400, 'VALIDATION_FAILED');
    expectErrorShape(await adminPatch(s, [1, 2]), 400, 'VALIDATION_FAILED');
    const [after] = await primary('select title, price_amount from products where slug = $1', [s]);
    expect(after).toEqual({ title: target!.title, price_amount: target!.price_amount });
  });

  it('answers 404 for an unknown product', async () => {
    expectClientError(await patchProduct(await merchantToken(), slug, { title: 'Anything' }), 404, 'NOT_FOUND');
  });
});
