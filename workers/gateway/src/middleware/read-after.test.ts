// Read-your-writes at the gateway: a merchant's successful write is answered with a signed token of the primary's
// position (and, from the console, a cookie); a request carrying a valid token reads after it (the trace's
// readAfter); a forged, expired or foreign token is ignored, never a 400 and never a wait.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { signReadAfter } from '../../../../lib/db/read-after';
import { currentTrace, enterTrace } from '../../../../lib/trace';
import type { GatewayApp } from '../types';
import { onError } from './errors';
import { readAfter } from './read-after';

const secret = 'read_after_gateway_test_secret_0123456789';
let position: string | undefined = '1/A0';
const app = new Hono<GatewayApp>();
app.use('*', (_c, next) =>
  enterTrace({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, next),
);
app.use(
  '*',
  readAfter(async () => position),
);
app.onError(onError);
app.get('*', (c) => c.text(currentTrace()?.readAfter ?? 'none'));
// A console page whose in-process API call was given a token (web/api.ts keeps it so), or none (sign-out).
app.post('/admin/*', async (c) => {
  if (c.req.path !== '/admin/sign-out') c.set('readAfterIssued', await signReadAfter(secret, '2/B0', 300));
  return c.redirect('/admin/products', 303);
});
app.on(['POST', 'PATCH'], '*', (c) =>
  c.req.header('x-fail') ? c.json({ error: 'no' }, 409) : c.json({ ok: true }, 200),
);

const vars = { CONSOLE_SESSION_SECRET: secret };
const call = (path: string, init: RequestInit = {}, env: Record<string, string> = vars) =>
  app.request(new Request(`http://gateway.test${path}`, init), undefined, env);

describe('read-after tokens at the gateway', () => {
  it("answers a merchant's write with a token of the primary's position; a read carrying it reads after it", async () => {
    position = '1/A0';
    const write = await call('/v1/admin/products/x', { method: 'PATCH' });
    expect(write.status).toBe(200);
    const token = write.headers.get('x-read-after');
    expect(token).toMatch(/^v1\.1\/A0\.\d{10}\.[A-Za-z0-9_-]{43}$/);
    expect(write.headers.get('set-cookie')).toBeNull(); // the API's answer: the header only
    expect(await (await call('/v1/products/x', { headers: { 'x-read-after': token! } })).text()).toBe('1/A0');
    expect(await (await call('/v1/products/x')).text()).toBe('none');
  });

  it('sets the cookie for a console page whose API call wrote, and reads the cookie when no header is sent', async () => {
    position = '9/0';
    const form = await call('/admin/products/x', { method: 'POST' });
    expect(form.headers.get('x-read-after')).toBeNull(); // the page asks the primary nothing: its API call did
    expect((await call('/admin/sign-out', { method: 'POST' })).headers.get('set-cookie')).toBeNull();
    const cookie = form.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(
      /^__Host-read_after=v1\.2%2FB0\.\d{10}\.[\w-]{43}; Max-Age=300; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    const page = await call('/admin/products/x', { headers: { cookie: cookie.split(';')[0]! } });
    expect(await page.text()).toBe('2/B0');
  });

  it('issues nothing for reads, refusals, shoppers, or when the position cannot be read', async () => {
    position = '3/C0';
    expect((await call('/v1/admin/products')).headers.get('x-read-after')).toBeNull();
    expect((await call('/v1/admin/products/x', { method: 'PATCH', headers: { 'x-fail': '1' } })).status).toBe(409);
    expect(
      (await call('/v1/admin/products/x', { method: 'PATCH', headers: { 'x-fail': '1' } })).headers.get('x-read-after'),
    ).toBeNull();
    expect((await call('/v1/checkout', { method: 'POST' })).headers.get('x-read-after')).toBeNull();
    expect((await call('/v1/admin/products/x', { method: 'PATCH' }, {})).headers.get('x-read-after')).toBeNull();
    position = undefined;
    const noPosition = await call('/v1/admin/products/x', { method: 'PATCH' });
    expect(noPosition.status).toBe(200);
    expect(noPosition.headers.get('x-read-after')).toBeNull();
  });

  it('ignores a forged, expired or foreign token: the read is answered, as if it had none', async () => {
    const forged = [
      'v1.FF/FFFFFFFF.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      await signReadAfter(secret, '4/0', 300, Date.now() - 301_000),
      await signReadAfter('a_different_secret_of_32_characters_or_more', '4/0', 300),
      'not a token; drop table',
    ];
    for (const token of forged) {
      const res = await call('/v1/products/x', { headers: { 'x-read-after': token } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('none');
    }
  });
});
