// The browse pages' routes against a fake API while the catalog fails: every 5xx page (home's shell, a category, a
// product) names the request id and says when to retry, and home still shows the categories it could read.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppFetch } from '../web/api';
import { shopRoutes } from './routes';
import type { ShopApp } from './session';

const tree = { categories: [{ slug: 'apparel', name: 'Apparel', path: 'apparel', children: [] }] };
const down = () => Response.json({ error: { code: 'DB_UNAVAILABLE', message: 'down' } }, { status: 503 });
const fakeApi: AppFetch = async (request) => {
  const path = new URL(request.url).pathname;
  return path === '/v1/categories' ? Response.json(tree) : down();
};
// The catalog cannot say its generation either: pages render uncached.
const env = { CATALOG: { generation: async () => ({ ok: false, error: { code: 'UNAVAILABLE', message: 'x' } }) } };
const app = new Hono<ShopApp>()
  .use(async (c, next) => {
    c.set('requestId', 'req-test-1');
    await next();
  })
  .route('/', shopRoutes(fakeApi));

describe('browse pages while the catalog fails', () => {
  it('answer 503 with Retry-After and the request id; home keeps its shell and categories', async () => {
    for (const path of ['/', '/c/apparel', '/p/some-product']) {
      const res = await app.request(`https://shop.example${path}`, {}, env);
      expect(res.status, path).toBe(503);
      expect(res.headers.get('retry-after'), path).toBe('5');
      expect(await res.text(), path).toContain('<code>req-test-1</code>');
    }
    const home = await (await app.request('https://shop.example/', {}, env)).text();
    expect(home).toContain('<h1>Welcome to Edge Storefront</h1>');
    expect(home).toContain('or choose a category below');
  });
});
