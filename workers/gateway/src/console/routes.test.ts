// The console's routes against a fake API (the in-process fetch consoleRoutes is given), signed in with a real
// access token: a product slugged `new` is edited, not created again; a failed API read is answered as the API
// failing (502, or 503 without an answer), never as "no such product" or a 200; a stock change for a SKU of
// another product, a replay of an unknown queue or of an empty id, and unknown query parameters are refused before
// any API call; a refund refused as IDEMPOTENCY_KEY_REUSED (or not answered) keeps its key; an anonymous upload is
// turned away before its body is read; the signing secret is not kept by the browser's autofill.
// Past 300 lines: one harness (the fake API, the signed sessions) serves every route case; split, each half would
// repeat it.
import { Hono } from 'hono';
import { exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { authKeys, signAccessToken } from '../../../../lib/auth/tokens';
import { csrfToken, newSessionId } from '../web/csrf';
import { consoleRoutes } from './console.routes';
import type { AppFetch, ConsoleApp } from './session';

const secret = 'a-test-secret-of-at-least-32-characters';
const origin = 'https://shop.example';
const env: Record<string, string> = { CONSOLE_SESSION_SECRET: secret };

type Handler = (request: Request) => Response | Promise<Response>;
/** The fake API: handlers by "METHOD /path", every call recorded; anything unhandled is a 500. */
let handlers: Record<string, Handler> = {};
let calls: { route: string; body: string; headers: Headers }[] = [];
const fakeApi: AppFetch = async (request) => {
  const route = `${request.method} ${new URL(request.url).pathname}`;
  calls.push({ route, body: request.body ? await request.clone().text() : '', headers: request.headers });
  const handler = handlers[route];
  return handler ? handler(request) : Response.json({ error: { code: 'INTERNAL', message: 'boom' } }, { status: 500 });
};
const json =
  (body: unknown, status = 200) =>
  () =>
    Response.json(body, { status });
const apiError = (status: number, code: string) => () =>
  Response.json({ error: { code, message: `${code} (test)` } }, { status });
const noAnswer: Handler = () => {
  throw new TypeError('fetch failed');
};

const app = new Hono<ConsoleApp>().route('/admin', consoleRoutes(fakeApi));
let sessions: Record<'merchant' | 'admin', { cookie: string; csrf: string }>;

beforeAll(async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  env.JWT_SIGNING_KEY = JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'k1' });
  const keys = await authKeys(env);
  const session = async (role: 'merchant' | 'admin') => {
    const sid = newSessionId();
    const token = await signAccessToken(keys, { sub: `${role}-1`, role });
    return { cookie: `__Host-console-access=${token}; __Host-console-sid=${sid}`, csrf: await csrfToken(secret, sid) };
  };
  sessions = { merchant: await session('merchant'), admin: await session('admin') };
});

function reset(routes: Record<string, Handler> = {}) {
  handlers = routes;
  calls = [];
}

const get = (path: string, role: 'merchant' | 'admin' = 'merchant') =>
  app.request(`${origin}${path}`, { headers: { cookie: sessions[role].cookie } }, env);

function post(path: string, fields: Record<string, string>, role: 'merchant' | 'admin' = 'merchant') {
  const body = new URLSearchParams({ csrf: sessions[role].csrf, ...fields });
  return app.request(
    `${origin}${path}`,
    {
      method: 'POST',
      body,
      headers: {
        cookie: sessions[role].cookie,
        origin,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/x-www-form-urlencoded',
      },
    },
    env,
  );
}

const product = (slug: string) => ({
  id: '00000000-0000-4000-8000-000000000001',
  slug,
  title: 'Newness',
  description: 'A product slugged like a page.',
  brand: 'Harbor',
  category: 'footwear',
  status: 'draft',
  currency: 'USD',
  priceAmount: 4500,
  options: [{ name: 'Size', values: ['S', 'M'] }],
  images: [],
  variants: [{ sku: 'NEW-S', title: 'S', options: { Size: 'S' }, priceAmount: 4500, position: 0 }],
  createdAt: '2026-11-30T09:00:00.000Z',
  updatedAt: '2026-11-30T09:00:00.000Z',
});
const categories = { categories: [{ slug: 'footwear', name: 'Footwear', path: 'footwear', children: [] }] };
const routes = () => calls.map((c) => c.route);

describe('a product slugged `new`', () => {
  it('has its own page and is saved with PATCH; the new-product form is at /admin/new-product', async () => {
    reset({
      'GET /v1/admin/products/new': json(product('new')),
      'GET /v1/categories': json(categories),
      'PATCH /v1/admin/products/new': json({ product: product('new') }),
    });
    const page = await get('/admin/products/new');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h1>Newness</h1>');
    const saved = await post('/admin/products/new', {
      title: 'Newness',
      slug: 'new',
      brand: 'Harbor',
      category: 'footwear',
      description: 'Still new.',
    });
    expect(saved.status).toBe(303);
    expect(routes()).toContain('PATCH /v1/admin/products/new');
    expect(routes()).not.toContain('POST /v1/admin/products');
    const form = await get('/admin/new-product');
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('action="/admin/new-product"');
  });
});

describe('a failed API read', () => {
  it('is a 502 (a 5xx) or 503 (no answer) on the product forms, not "no such product"', async () => {
    for (const [handler, status] of [
      [apiError(503, 'UNAVAILABLE'), 502],
      [noAnswer, 503],
    ] as const) {
      reset({ 'GET /v1/admin/products/shirt': handler });
      const variant = await post('/admin/products/shirt/variants', { sku: 'X', title: 'X', priceAmount: '100' });
      expect(variant.status).toBe(status);
      const text = await variant.text();
      expect(text).toContain('Unavailable');
      expect(text).not.toContain('There is no such product');
      expect(routes()).not.toContain('POST /v1/admin/products/shirt/variants');
      const edit = await post('/admin/products/shirt/variants/SHIRT-S', { title: 'S', priceAmount: '100' });
      expect(edit.status).toBe(status);
      const removed = await post('/admin/products/shirt/images/remove', { url: '/images/a.png' });
      expect(removed.status).toBe(status);
      expect(routes()).not.toContain('PATCH /v1/admin/products/shirt');
    }
    // An unknown product is still a 404.
    reset({ 'GET /v1/admin/products/shirt': apiError(404, 'NOT_FOUND') });
    expect((await post('/admin/products/shirt/variants', { sku: 'X', title: 'X', priceAmount: '1' })).status).toBe(404);
  });

  it('is not answered 200: the new-product form without categories, the ledger, the dead letters, an endpoint', async () => {
    reset({ 'GET /v1/categories': apiError(500, 'INTERNAL') });
    expect((await get('/admin/new-product')).status).toBe(502);

    reset({
      'GET /v1/admin/products/shirt': json(product('shirt')),
      'GET /v1/inventory/NEW-S': json({ sku: 'NEW-S', onHand: 1, held: 0, sold: 0, available: 1, maxPerCustomer: 5 }),
    });
    expect((await get('/admin/products/shirt/stock')).status).toBe(502);

    reset();
    const dead = await get('/admin/dead-letters', 'admin');
    expect(dead.status).toBe(502);
    expect(calls).toHaveLength(3);

    reset({ 'GET /v1/admin/webhooks/w1': apiError(500, 'INTERNAL') });
    const endpoint = await get('/admin/webhooks/w1');
    expect(endpoint.status).toBe(502);
    expect(await endpoint.text()).toContain('<h1>Unavailable</h1>');
  });
});

describe('refused before any API call', () => {
  it('a stock change for a SKU that is not one of the product', async () => {
    reset({
      'GET /v1/admin/products/shirt': json(product('shirt')),
      'GET /v1/inventory/NEW-S': json({ sku: 'NEW-S', onHand: 1, held: 0, sold: 0, available: 1, maxPerCustomer: 5 }),
      'GET /v1/admin/inventory/NEW-S/events': json({ sku: 'NEW-S', events: [], nextCursor: null }),
    });
    const res = await post('/admin/products/shirt/stock', {
      sku: 'OTHER-SKU',
      kind: 'set',
      quantity: '5',
      reason: 'count',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('OTHER-SKU is not a SKU of this product');
    expect(routes().filter((r) => r.startsWith('PUT') || r.startsWith('POST'))).toEqual([]);
  });

  it('a replay of an unknown or inherited queue name, or of an empty id; no id replays the queue', async () => {
    const refused: Record<string, string>[] = [
      { queue: 'constructor' },
      { queue: 'toString', id: 'm1' },
      { queue: 'orders', id: ' ' },
    ];
    for (const fields of refused) {
      reset();
      const res = await post('/admin/dead-letters/replay', fields, 'admin');
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(routes().filter((r) => r.startsWith('POST'))).toEqual([]);
    }
    reset({ 'POST /v1/admin/dead-letters/replay': json({ replayed: 0 }) });
    expect((await post('/admin/dead-letters/replay', { queue: 'orders' }, 'admin')).status).toBe(303);
    expect(calls.find((c) => c.route.startsWith('POST'))?.body).toBe('{}');
    reset({ 'POST /v1/admin/notifications/dead-letters/replay': json({ replayed: 1 }) });
    expect((await post('/admin/dead-letters/replay', { queue: 'notifications', id: 'm1' }, 'admin')).status).toBe(303);
    expect(JSON.parse(calls.find((c) => c.route.startsWith('POST'))!.body)).toEqual({ ids: ['m1'] });
  });

  it('unknown query parameters, and an `all` that is neither true nor false', async () => {
    reset({ 'GET /v1/categories': json(categories) });
    expect((await get('/admin/new-product?x=1')).status).toBe(400);
    expect((await get('/admin/customers/c1?x=1')).status).toBe(400);
    expect((await get('/admin/dead-letters?all=yes', 'admin')).status).toBe(400);
    expect(routes()).toEqual([]);
  });

  it('an unknown or inherited `done` shows no notice', async () => {
    reset({ 'GET /v1/admin/webhooks': json({ endpoints: [] }) });
    const page = await (await get('/admin/webhooks?done=constructor')).text();
    expect(page).not.toContain('class="notice"');
  });
});

const order = {
  id: 'ord_1',
  status: 'paid',
  email: 'ada@example.com',
  customerId: null,
  lines: [{ sku: 'MUG-1', title: 'Mug', quantity: 1, unitPrice: usd(1000), lineTotal: usd(1000) }],
  totals: { subtotal: usd(1000), shipping: usd(0), tax: usd(0), total: usd(1000), taxRateBps: 0 },
  shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '62701', country: 'US' },
  shippingMethod: 'standard',
  payment: { provider: 'stripe', paymentIntentId: 'pi_1', status: 'succeeded', amount: usd(1000), refunded: usd(0) },
  holdExpiresAt: null,
  createdAt: '2026-11-30T09:00:00.000Z',
  updatedAt: '2026-11-30T09:00:01.000Z',
  history: [],
  refunds: [],
  refundable: usd(1000),
  fulfillment: null,
};
function usd(amount: number) {
  return { amount, currency: 'USD' };
}

describe("the refund form's key", () => {
  const key = '11111111-2222-4333-8444-555555555555';
  const refund = async (handler: Handler) => {
    reset({ 'GET /v1/admin/orders/ord_1': json(order), 'POST /v1/admin/orders/ord_1/refunds': handler });
    const res = await post('/admin/orders/ord_1/refund', { key, amount: '300' });
    return { status: res.status, page: await res.text() };
  };

  it('stays after IDEMPOTENCY_KEY_REUSED (a refund was made under it), a 5xx or no answer', async () => {
    const reused = await refund(apiError(422, 'IDEMPOTENCY_KEY_REUSED'));
    expect(reused.status).toBe(422);
    expect(reused.page).toContain(`name="key" value="${key}"`);
    expect(reused.page).toContain('A refund was already made with this form');
    const failed = await refund(apiError(500, 'INTERNAL'));
    expect(failed.status).toBe(502);
    expect(failed.page).toContain(`name="key" value="${key}"`);
    const lost = await refund(noAnswer);
    expect(lost.status).toBe(503);
    expect(lost.page).toContain(`name="key" value="${key}"`);
  });

  it('is replaced after any other refusal (nothing was refunded under it)', async () => {
    const refused = await refund(apiError(409, 'REFUND_EXCEEDS_PAID'));
    expect(refused.status).toBe(409);
    expect(refused.page).not.toContain(`name="key" value="${key}"`);
    expect(refused.page).toContain('REFUND_EXCEEDS_PAID');
  });
});

describe('an image upload', () => {
  it('without a session is sent to sign in before its body is read', async () => {
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 4 * 1024 * 1024) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    });
    reset();
    const res = await app.request(
      `${origin}/admin/products/shirt/images`,
      {
        method: 'POST',
        body,
        duplex: 'half',
        headers: { origin, 'sec-fetch-site': 'same-origin', 'content-type': 'multipart/form-data; boundary=x' },
      } as RequestInit,
      env,
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/sign-in');
    // The stream's own read-ahead aside, nothing of the body was taken.
    expect(pulled).toBeLessThan(1024 * 1024);
    expect(calls).toEqual([]);
  });
});

describe('the signing secret page', () => {
  it('asks the browser not to keep or autofill the secret', async () => {
    const endpoint = {
      id: 'w1',
      url: 'https://erp.example/hook',
      events: ['order.paid'],
      description: null,
      enabled: true,
      createdAt: '2026-11-30T09:00:00.000Z',
      updatedAt: '2026-11-30T09:00:00.000Z',
    };
    reset({ 'POST /v1/admin/webhooks': json({ endpoint, secret: 'whsec_test' }, 201) });
    const res = await post('/admin/webhooks', { url: endpoint.url, events: 'order.paid' });
    expect(res.status).toBe(201);
    expect(await res.text()).toMatch(/<input id="webhook-secret"[^>]*autocomplete="off"/);
  });
});
