// The overload gauge in plain Node: a real burst of concurrent requests into a slow handler, with small caps.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { onError } from '../middleware/errors';
import type { GatewayApp } from '../types';
import { edgeLimits } from './edge';

const vars = {
  RATE_LIMIT_BACKEND: 'durable-object',
  OVERLOAD_MAX_INFLIGHT_BROWSE: '4',
  OVERLOAD_MAX_INFLIGHT_CART: '8',
  OVERLOAD_MAX_INFLIGHT_CHECKOUT: '12',
};
const app = new Hono<GatewayApp>();
app.use('*', edgeLimits());
app.onError(onError);
app.all('*', async (c) => {
  await new Promise((r) => setTimeout(r, 300));
  return c.text('ok');
});
const send = (method: string, path: string) => {
  const started = Date.now();
  return Promise.resolve(app.request(path, { method }, vars)).then((res) => ({ res, ms: Date.now() - started }));
};

describe('overload', () => {
  it('sheds browse first and fast (503 + Retry-After), while carts and checkouts still get in', async () => {
    const browse = Array.from({ length: 10 }, () => send('GET', '/v1/products'));
    const cart = Array.from({ length: 4 }, () => send('POST', '/v1/cart/items'));
    const checkout = Array.from({ length: 4 }, () => send('POST', '/v1/checkout'));
    const browsed = await Promise.all(browse);
    const carts = await Promise.all(cart);
    const checkouts = await Promise.all(checkout);
    // 4 browse fill the browse cap; carts fit under 8, checkouts under 12.
    expect(browsed.filter((a) => a.res.status === 200)).toHaveLength(4);
    const shed = browsed.filter((a) => a.res.status === 503);
    expect(shed).toHaveLength(6);
    expect(shed.every((a) => a.ms < 150)).toBe(true); // answered at once, not after the slow handler
    expect(shed[0]!.res.headers.get('retry-after')).toBe('1');
    expect(((await shed[0]!.res.json()) as { error: { code: string } }).error.code).toBe('SERVICE_UNAVAILABLE');
    expect(carts.every((a) => a.res.status === 200)).toBe(true);
    expect(checkouts.every((a) => a.res.status === 200)).toBe(true);
    // Once they are done, the gauge is back to zero: browse gets in again.
    expect((await send('GET', '/v1/products')).res.status).toBe(200);
  });
});
