// Read-your-writes at the gateway: a merchant's successful write is answered with a signed token of the primary's
// position, bound to the writer and the database and scoped to what it changed (and, from the console, a cookie); a
// request of that same staff subject carrying it reads after it (the trace's readAfter and readAfterScope); a
// forged, expired, lent, old-format or foreign token, or one past the primary's position, is ignored: never a 400
// and never a wait.
import fs from 'node:fs';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Role } from '../../../../db/schema/identity';
import { signReadAfter } from '../../../../lib/db/read-after';
import { currentTrace, enterTrace } from '../../../../lib/trace';
import type { GatewayApp } from '../types';
import { onError } from './errors';
import { type PrimaryState, readAfter, readAfterPages, writeScope } from './read-after';

const secret = 'read_after_gateway_test_secret_0123456789';
const SYSTEM = '7441234567890123456';

/** A gateway with the two middlewares, a stand-in for authentication and a primary whose state a test sets. */
function gateway(initial: PrimaryState | undefined = { lsn: '1/A0', system: SYSTEM }) {
  // `hang`: the next read never settles (a read whose request was cancelled: workerd drops its I/O).
  const primary: { state: PrimaryState | undefined; reads: number; hang: boolean } = {
    state: initial,
    reads: 0,
    hang: false,
  };
  const app = new Hono<GatewayApp>();
  app.use('*', (_c, next) =>
    enterTrace({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, next),
  );
  app.use('*', readAfterPages());
  app.use('/v1/*', async (c, next) => {
    const sub = c.req.header('x-test-sub');
    if (sub) c.set('identity', { sub, role: (c.req.header('x-test-role') ?? 'merchant') as Role });
    await next();
  });
  app.use(
    '/v1/*',
    readAfter(async () => {
      primary.reads++;
      if (primary.hang) {
        primary.hang = false;
        return new Promise<never>(() => {});
      }
      return primary.state;
    }),
  );
  app.onError(onError);
  // A console page: echoes the token it would pass to its in-process API calls; a form sets the one a call was given.
  app.get('/admin/*', (c) => c.text(c.get('readAfterToken') ?? 'none'));
  app.post('/admin/*', async (c) => {
    if (c.req.path !== '/admin/sign-out') {
      const token = await signReadAfter(secret, { lsn: '2/B0', scope: 'catalog' }, staff, 300);
      c.set('readAfterIssued', token);
    }
    return c.redirect('/admin/products', 303);
  });
  app.get('*', (c) => {
    const trace = currentTrace();
    return c.text(trace?.readAfter ? `${trace.readAfter} ${trace.readAfterScope}` : 'none');
  });
  app.on(['POST', 'PATCH'], '*', (c) =>
    c.req.header('x-fail') ? c.json({ error: 'no' }, 409) : c.json({ ok: true }, 200),
  );
  const call = (
    path: string,
    init: RequestInit = {},
    env: Record<string, string> = { CONSOLE_SESSION_SECRET: secret },
  ) => app.request(new Request(`http://gateway.test${path}`, init), undefined, env);
  return { primary, call };
}

const staff = { subject: 'merchant-1', system: SYSTEM };
const as = (sub: string, role: Role = 'merchant', more: Record<string, string> = {}) => ({
  headers: { 'x-test-sub': sub, 'x-test-role': role, ...more },
});
const read = async (
  call: ReturnType<typeof gateway>['call'],
  token: string,
  sub = 'merchant-1',
  role: Role = 'merchant',
) => (await call('/v1/products/x', as(sub, role, { 'x-read-after': token }))).text();

describe('read-after tokens at the gateway', () => {
  it("answers a merchant's write with a bound token; only that merchant's reads carrying it read after it", async () => {
    const { call } = gateway();
    const write = await call('/v1/admin/products/x', { method: 'PATCH', ...as('merchant-1') });
    expect(write.status).toBe(200);
    const token = write.headers.get('x-read-after');
    expect(token).toMatch(/^v2\.catalog\.1\/A0\.\d{10}\.[A-Za-z0-9_-]{43}$/);
    expect(write.headers.get('set-cookie')).toBeNull(); // the API's answer: the header only
    expect(await read(call, token!)).toBe('1/A0 catalog');
    expect(await read(call, token!, 'merchant-1', 'admin')).toBe('1/A0 catalog'); // staff: its role may change
    expect(await (await call('/v1/products/x')).text()).toBe('none');
    // Anyone else holding it: another merchant, the same subject as a shopper, an anonymous request.
    expect(await read(call, token!, 'merchant-2')).toBe('none');
    expect(await read(call, token!, 'merchant-1', 'customer')).toBe('none');
    expect(await (await call('/v1/products/x', { headers: { 'x-read-after': token! } })).text()).toBe('none');
  });

  it('scopes a token to what the write changed: the catalog, or anything else', async () => {
    const { call } = gateway();
    const cancel = await call('/v1/admin/orders/o-1/cancel', { method: 'POST', ...as('merchant-1') });
    const token = cancel.headers.get('x-read-after')!;
    expect(token).toMatch(/^v2\.other\.1\/A0\./);
    expect(await read(call, token)).toBe('1/A0 other');
    expect(writeScope('/v1/admin/products')).toBe('catalog');
    expect(writeScope('/v1/admin/products/x/variants/SKU-1')).toBe('catalog');
    expect(writeScope('/v1/admin/categories/shoes')).toBe('catalog');
    for (const path of [
      '/v1/admin/orders/o-1/refund',
      '/v1/admin/inventory/SKU-1',
      '/v1/admin/images',
      '/v1/admin/productsx',
    ]) {
      expect(writeScope(path), path).toBe('other');
    }
  });

  it("keeps a catalog write read back after the writer's next write elsewhere: a live catalog token widens it", async () => {
    const { primary, call } = gateway({ lsn: '1/A0', system: SYSTEM });
    const edit = await call('/v1/admin/products/x', { method: 'PATCH', ...as('merchant-1') });
    const catalog = edit.headers.get('x-read-after')!;
    primary.state = { lsn: '1/B0', system: SYSTEM };
    // Then the merchant ships an order, sending the token they hold: the answer's token, the only one they keep
    // (the console's cookie, an API client's last header), still covers the product edit for the catalog's reads.
    const ship = await call('/v1/admin/orders/o-1/fulfil', {
      method: 'POST',
      ...as('merchant-1', 'merchant', { 'x-read-after': catalog }),
    });
    const next = ship.headers.get('x-read-after')!;
    expect(next).toMatch(/^v2\.catalog\.1\/B0\./);
    expect(await read(call, next)).toBe('1/B0 catalog');
    // The console's cookie widens the same way.
    const viaCookie = await call('/v1/admin/orders/o-1/fulfil', {
      method: 'POST',
      ...as('merchant-1', 'merchant', { cookie: `__Host-read_after=${encodeURIComponent(catalog)}` }),
    });
    expect(viaCookie.headers.get('x-read-after')).toMatch(/^v2\.catalog\./);
    // Not widened by an `other` token, another merchant's, an expired one, or none.
    const other = await signReadAfter(secret, { lsn: '1/A0', scope: 'other' }, staff, 300);
    const lent = await signReadAfter(secret, { lsn: '1/A0', scope: 'catalog' }, { ...staff, subject: 'm-2' }, 300);
    const expired = await signReadAfter(secret, { lsn: '1/A0', scope: 'catalog' }, staff, 300, Date.now() - 301_000);
    for (const token of [other, lent, expired, undefined]) {
      const res = await call('/v1/admin/orders/o-1/fulfil', {
        method: 'POST',
        ...as('merchant-1', 'merchant', token ? { 'x-read-after': token } : {}),
      });
      expect(res.headers.get('x-read-after'), token).toMatch(/^v2\.other\.1\/B0\./);
    }
  });

  it('scopes `catalog` exactly the writes whose answers name the catalog generation they published', () => {
    // The API's contract (docs/openapi.json, generated from the routes): a catalog write answers `generation`.
    type Schema = { $ref?: string; allOf?: Schema[]; properties?: Record<string, unknown> };
    type Op = { responses: Record<string, { content?: Record<string, { schema?: Schema }> }> };
    const doc = JSON.parse(fs.readFileSync(new URL('../../../../docs/openapi.json', import.meta.url), 'utf8')) as {
      paths: Record<string, Record<string, Op>>;
      components: { schemas: Record<string, Schema> };
    };
    const names = (schema: Schema | undefined): string[] => {
      if (!schema) return [];
      if (schema.$ref) return names(doc.components.schemas[schema.$ref.split('/').pop()!]);
      return [...Object.keys(schema.properties ?? {}), ...(schema.allOf ?? []).flatMap(names)];
    };
    const writes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method]) => ['post', 'put', 'patch', 'delete'].includes(method) && path.startsWith('/v1/admin/'))
        .map(([method, op]) => ({
          write: `${method} ${path}`,
          publishes: Object.entries(op.responses).some(
            ([status, r]) =>
              status.startsWith('2') && names(r.content?.['application/json']?.schema).includes('generation'),
          ),
          scope: writeScope(path),
        })),
    );
    expect(writes.filter((w) => w.publishes).length).toBeGreaterThan(8);
    for (const w of writes) expect(w.scope, w.write).toBe(w.publishes ? 'catalog' : 'other');
  });

  it('sets the cookie for a console page whose API call wrote; the next page passes it on, an API read honours it', async () => {
    const { call } = gateway({ lsn: '9/0', system: SYSTEM });
    const form = await call('/admin/products/x', { method: 'POST' });
    expect((await call('/admin/sign-out', { method: 'POST' })).headers.get('set-cookie')).toBeNull();
    const cookie = form.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(
      /^__Host-read_after=v2\.catalog\.2%2FB0\.\d{10}\.[\w-]{43}; Max-Age=300; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    const pair = cookie.split(';')[0]!;
    const token = decodeURIComponent(pair.split('=')[1]!);
    expect(await (await call('/admin/products/x', { headers: { cookie: pair } })).text()).toBe(token);
    expect(await (await call('/admin/products/x', { headers: { cookie: '__Host-read_after=junk' } })).text()).toBe(
      'none',
    );
    expect(await (await call('/v1/products/x', as('merchant-1', 'merchant', { cookie: pair }))).text()).toBe(
      '2/B0 catalog',
    );
  });

  it('issues nothing for reads, refusals, shoppers, or when the position cannot be read', async () => {
    const { primary, call } = gateway({ lsn: '3/C0', system: SYSTEM });
    expect((await call('/v1/admin/products', as('merchant-1'))).headers.get('x-read-after')).toBeNull();
    const refused = await call('/v1/admin/products/x', {
      method: 'PATCH',
      ...as('merchant-1', 'merchant', { 'x-fail': '1' }),
    });
    expect(refused.status).toBe(409);
    expect(refused.headers.get('x-read-after')).toBeNull();
    expect(
      (await call('/v1/checkout', { method: 'POST', ...as('shopper-1', 'customer') })).headers.get('x-read-after'),
    ).toBeNull();
    const noSecret = await call('/v1/admin/products/x', { method: 'PATCH', ...as('merchant-1') }, {});
    expect(noSecret.headers.get('x-read-after')).toBeNull();
    primary.state = undefined;
    const noPosition = await call('/v1/admin/products/x', { method: 'PATCH', ...as('merchant-1') });
    expect(noPosition.status).toBe(200);
    expect(noPosition.headers.get('x-read-after')).toBeNull();
  });

  it('ignores a forged, expired, foreign or old-format token: the read is answered, as if it had none', async () => {
    const { call } = gateway();
    const forged = [
      'v2.catalog.FF/FFFFFFFF.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'v1.FF/FFFFFFFF.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      await signReadAfter(secret, { lsn: '0/40', scope: 'other' }, staff, 300, Date.now() - 301_000),
      await signReadAfter('a_different_secret_of_32_characters_or_more', { lsn: '0/40', scope: 'other' }, staff, 300),
      'not a token; drop table',
    ];
    for (const token of forged) {
      const res = await call('/v1/products/x', as('merchant-1', 'merchant', { 'x-read-after': token }));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('none');
    }
  });

  it("ignores a token of another database, and one past the primary's position after one read of it", async () => {
    // A fresh isolate (no state known) given a token made just now past the primary's position: one read, not two.
    const fresh0 = gateway({ lsn: '5/0', system: SYSTEM });
    const early = await signReadAfter(secret, { lsn: '9/0', scope: 'catalog' }, staff, 300);
    expect(await read(fresh0.call, early)).toBe('none');
    expect(fresh0.primary.reads).toBe(1);
    const { primary, call } = gateway({ lsn: '5/0', system: SYSTEM });
    // Another database (a new cluster has its own system identifier): the same subject, secret and position.
    const elsewhere = await signReadAfter(secret, { lsn: '1/0', scope: 'catalog' }, { ...staff, system: '1' }, 300);
    expect(await read(call, elsewhere)).toBe('none');
    expect(primary.reads).toBe(1); // the system identifier, once per isolate
    expect(await read(call, await signReadAfter(secret, { lsn: '1/0', scope: 'catalog' }, staff, 300))).toBe(
      '1/0 catalog',
    );
    expect(primary.reads).toBe(1); // behind the known position: nothing asked
    // Made 10 s ago, before a restore took the database back to 5/0: the position this isolate read since is
    // behind it, so it is of another history; ignored without asking anything.
    const restored = await signReadAfter(secret, { lsn: '9/0', scope: 'catalog' }, staff, 300, Date.now() - 10_000);
    for (let i = 0; i < 3; i++) expect(await read(call, restored)).toBe('none');
    expect(primary.reads).toBe(1);
    // Made just now and past the known position: the primary is asked; it has not reached it, so no wait.
    const ahead = await signReadAfter(secret, { lsn: '9/0', scope: 'catalog' }, staff, 300);
    expect(await read(call, ahead)).toBe('none');
    expect(primary.reads).toBe(2);
    // A write just made through another isolate is past what this one knows: one read finds the primary there.
    primary.state = { lsn: '9/10', system: SYSTEM };
    const fresh = await signReadAfter(secret, { lsn: '9/8', scope: 'other' }, staff, 300);
    expect(await read(call, fresh)).toBe('9/8 other');
    expect(primary.reads).toBe(3);
    expect(await read(call, fresh)).toBe('9/8 other');
    expect(primary.reads).toBe(3);
  });

  it("never holds a request on another request's read of the primary: one that never ends blocks nothing", async () => {
    const { primary, call } = gateway({ lsn: '5/0', system: SYSTEM });
    const token = await signReadAfter(secret, { lsn: '4/0', scope: 'catalog' }, staff, 300);
    const within = <T>(ms: number, p: Promise<T>) =>
      Promise.race([p, new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), ms))]);
    // The first request of the isolate reads the primary's state, and that read never ends (its request was
    // cancelled). Its own wait ends within PRIMARY_TIMEOUT_MS: the token is ignored.
    primary.hang = true;
    const first = read(call, token);
    // Others in the meantime read the primary themselves, at once.
    expect(await within(300, read(call, token))).toBe('4/0 catalog');
    expect(await within(300, read(call, token))).toBe('4/0 catalog');
    expect(await within(2000, first)).toBe('none');
    expect(primary.reads).toBe(2);
  });
});
