// The gateway as the public edge: error shape, bad input, request ids, security headers, CORS, the
// OpenAPI document and docs page, and the guards on the merchant write path.
import { describe, expect, it } from 'vitest';
import { adminPatch, api, gateway, postJson, primary, uniqueWord } from './helpers';

function expectErrorShape(res: { status: number; headers: Headers; body: any }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body.error).toMatchObject({ code, message: expect.any(String), requestId: expect.any(String) });
  expect(res.headers.get('x-request-id')).toBe(res.body.error.requestId);
}

describe('bad input', () => {
  it.each([
    ['/v1/products?limit=0'],
    ['/v1/products?limit=101'],
    ['/v1/products?limit=ten'],
    ['/v1/products?limit=2.5'],
    ['/v1/products?sort=cheapest'],
    ['/v1/products?colour=red'],
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

  it('answers 404 with the error shape for unknown products and routes', async () => {
    expectErrorShape(await api('/v1/products/no-such-product'), 404, 'NOT_FOUND');
    expectErrorShape(await api('/v1/nothing-here'), 404, 'NOT_FOUND');
    expectErrorShape(await api('/v1/products', { method: 'DELETE' }), 404, 'NOT_FOUND');
  });
});

describe('edge headers', () => {
  it('gives every answer a request id and security headers, and keeps a safe incoming id', async () => {
    const res = await api('/v1/categories');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const traced = await api('/v1/categories', { headers: { 'x-request-id': 'trace-0123456789' } });
    expect(traced.headers.get('x-request-id')).toBe('trace-0123456789');
    const hostile = await api('/v1/categories', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(hostile.headers.get('x-request-id')).not.toContain(' ');
  });

  it('allows CORS only for listed origins', async () => {
    const allowed = await api('/v1/products?limit=1', { headers: { origin: 'http://localhost:3000' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    const denied = await api('/v1/products?limit=1', { headers: { origin: 'https://evil.example' } });
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
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
  it('publishes an OpenAPI 3.1 document generated from the validating schemas', async () => {
    const res = await api('/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const list = res.body.paths['/v1/products'].get;
    expect(list.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'category',
      'cursor',
      'limit',
      'q',
      'sort',
    ]);
    const limit = list.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ minimum: 1, maximum: 100 });
    expect(res.body.paths['/v1/products/{slug}'].get).toBeDefined();
    expect(res.body.paths['/v1/categories'].get).toBeDefined();
    expect(res.body.paths['/v1/admin/products/{slug}'].patch.requestBody).toBeDefined();
    expect(res.body.components.schemas.ProductDetail).toBeDefined();
  });

  it('renders the docs page with its own script only', async () => {
    const page = await api('/docs');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script src="/docs/docs.js">');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = await api('/docs/docs.js');
    expect(script.status).toBe(200);
    expect(script.body).toContain('/v1/openapi.json');
  });
});

describe('merchant write path guards', () => {
  const slug = 'no-such-product-for-admin';
  it('refuses no token or a bad one (401) and a shopper or guest token (403)', async () => {
    expectErrorShape(await api(`/v1/admin/products/${slug}`, { method: 'PATCH', body: '{}' }), 401, 'UNAUTHORIZED');
    expectErrorShape(await adminPatch(slug, { title: 'x' }, { authorization: 'Bearer wrong' }), 401, 'UNAUTHORIZED');
    const shopper = await postJson('/v1/auth/register', {
      email: `${uniqueWord()}@example.com`,
      password: 'a long enough password',
    });
    expectErrorShape(
      await adminPatch(slug, { title: 'x' }, { authorization: `Bearer ${shopper.body.accessToken}` }),
      403,
      'FORBIDDEN',
    );
    const guest = await postJson('/v1/auth/guest', {});
    expectErrorShape(
      await adminPatch(slug, { title: 'x' }, { authorization: `Bearer ${guest.body.accessToken}` }),
      403,
      'FORBIDDEN',
    );
  });

  it('refuses bad bodies with 4xx and changes nothing', async () => {
    const [target] = await primary<{ slug: string; title: string; price_amount: number }>(
      "select slug, title, price_amount from products where slug like 'oakmere-%' order by slug limit 1",
    );
    const s = target!.slug;
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
    expectErrorShape(await adminPatch(slug, { title: 'Anything' }), 404, 'NOT_FOUND');
  });
});
