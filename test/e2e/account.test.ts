// A customer's own account through the typed client: the profile, saved addresses (validated like the checkout's
// shipping address, capped per customer also under concurrent saves, one default) and deleting the account
// (the password again; sessions revoked; orders kept for the merchant; the email free again).
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../lib/client';
import { customer } from './account-helpers';
import { address, addToCart, checkout, freshSku, guestToken } from './checkout-helpers';
import { api, client, eventually, ok, primary } from './helpers';
import { expectError, login, newEmail, PASSWORD, refresh } from './identity-helpers';

const MAX_SAVED = 10; // MAX_SAVED_ADDRESSES, the default in the test stack
const addressesOf = async (customerId: string) =>
  (
    await primary<{ n: number }>('select count(*)::int as n from customer_addresses where customer_id = $1', [
      customerId,
    ])
  )[0]!.n;
const save = (token: string, body: Schemas['SavedAddressBody']) => client(token).POST('/v1/me/addresses', { body });

describe('profile', () => {
  it('answers the profile and changes the name; a guest gets 403 and no token 401', async () => {
    const { email, token, session } = await customer();
    const me = await ok('me', client(token).GET('/v1/me'));
    expect(me).toEqual({ id: session.subject, email, name: null, emailVerified: false, createdAt: expect.any(String) });
    const renamed = await ok('rename', client(token).PATCH('/v1/me', { body: { name: '  Ada Lovelace ' } }));
    expect(renamed.name).toBe('Ada Lovelace');
    expect((await ok('me', client(token).GET('/v1/me'))).name).toBe('Ada Lovelace');

    expectError(await client(await guestToken()).GET('/v1/me'), 403, 'FORBIDDEN');
    expectError(await client().GET('/v1/me'), 401, 'UNAUTHORIZED');
  });

  it.each([
    ['a name over 100 characters', { name: 'x'.repeat(101) }],
    ['an unknown field (email)', { name: 'Eve', email: 'eve@example.com' }],
    ['a NUL in the name', { name: 'a\u0000b' }],
  ])('refuses %s with 400 and changes nothing', async (_what, body) => {
    const { token, email } = await customer();
    await ok('name', client(token).PATCH('/v1/me', { body: { name: 'Kept' } }));
    const res = await api('/v1/me', {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(await ok('me', client(token).GET('/v1/me'))).toMatchObject({ name: 'Kept', email });
  });
});

describe('saved addresses', () => {
  it('saves, lists (the default first), changes, moves the default and deletes', async () => {
    const { token } = await customer();
    const home = await ok('home', save(token, { address }));
    expect(home).toMatchObject({ address, isDefault: true }); // the first is the default
    const work = await ok('work', save(token, { address: { ...address, line1: '2 Office Park' } }));
    expect(work.isDefault).toBe(false);
    let list = await ok('list', client(token).GET('/v1/me/addresses'));
    expect(list.max).toBe(MAX_SAVED);
    expect(list.addresses.map((a) => [a.id, a.isDefault])).toEqual([
      [home.id, true],
      [work.id, false],
    ]);

    const moved = await ok(
      'default',
      client(token).PATCH('/v1/me/addresses/{id}', { params: { path: { id: work.id } }, body: { isDefault: true } }),
    );
    expect(moved.isDefault).toBe(true);
    const changed = await ok(
      'change',
      client(token).PATCH('/v1/me/addresses/{id}', {
        params: { path: { id: home.id } },
        body: { address: { ...address, city: 'Shelbyville' } },
      }),
    );
    expect(changed).toMatchObject({ isDefault: false, address: { city: 'Shelbyville' } });
    list = await ok('list', client(token).GET('/v1/me/addresses'));
    expect(list.addresses.map((a) => [a.id, a.isDefault])).toEqual([
      [work.id, true],
      [home.id, false],
    ]);

    const del = await client(token).DELETE('/v1/me/addresses/{id}', { params: { path: { id: work.id } } });
    expect(del.response.status).toBe(204);
    expectError(
      await client(token).DELETE('/v1/me/addresses/{id}', { params: { path: { id: work.id } } }),
      404,
      'NOT_FOUND',
    );
    list = await ok('list', client(token).GET('/v1/me/addresses'));
    expect(list.addresses.map((a) => a.id)).toEqual([home.id]);
  });

  it("refuses another customer's address with 404 and leaves it as it was", async () => {
    const owner = await customer();
    const other = await customer();
    const mine = await ok('save', save(owner.token, { address }));
    const path = { params: { path: { id: mine.id } } };
    expectError(await client(other.token).PATCH('/v1/me/addresses/{id}', { ...path, body: { isDefault: false } }), 404);
    expectError(await client(other.token).DELETE('/v1/me/addresses/{id}', path), 404);
    const list = await ok('list', client(owner.token).GET('/v1/me/addresses'));
    expect(list.addresses).toEqual([mine]);
  });

  it.each([
    ['a country we do not ship to', { address: { ...address, country: 'XX' } }],
    ['a malformed postal code', { address: { ...address, postalCode: '!' } }],
    ['a missing line1', { address: { ...address, line1: undefined } }],
    ['an unknown field', { address, label: 'home' }],
    ['no address', { isDefault: true }],
  ])('refuses %s with 400 and saves nothing', async (_what, body) => {
    const { token, session } = await customer();
    const res = await api('/v1/me/addresses', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(await addressesOf(session.subject)).toBe(0);
  });

  it('refuses an empty change and a malformed id with 400', async () => {
    const { token } = await customer();
    const saved = await ok('save', save(token, { address }));
    const patch = (id: string, body: unknown) =>
      api(`/v1/me/addresses/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expectError(await patch(saved.id, {}), 400, 'VALIDATION_FAILED');
    expectError(await patch('not-a-uuid', { isDefault: true }), 400, 'VALIDATION_FAILED');
    expect((await ok('list', client(token).GET('/v1/me/addresses'))).addresses).toEqual([saved]);
  });

  it(`keeps at most ${MAX_SAVED} addresses when ${MAX_SAVED + 5} saves race`, async () => {
    const { token, session } = await customer();
    const answers = await Promise.all(
      Array.from({ length: MAX_SAVED + 5 }, (_, i) =>
        save(token, { address: { ...address, line1: `${i} Race Lane` } }),
      ),
    );
    const statuses = answers.map((a) => a.response.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(MAX_SAVED);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    for (const a of answers.filter((x) => x.response.status === 409)) expectError(a, 409, 'ADDRESS_LIMIT_EXCEEDED');
    expect(await addressesOf(session.subject)).toBe(MAX_SAVED);
    const list = await ok('list', client(token).GET('/v1/me/addresses'));
    expect(list.addresses.filter((a) => a.isDefault)).toHaveLength(1);
    // A delete frees a place.
    await client(token).DELETE('/v1/me/addresses/{id}', { params: { path: { id: list.addresses[3]!.id } } });
    expect((await save(token, { address })).response.status).toBe(201);
  });
});

describe('deleting the account', () => {
  it('refuses a wrong password with 401 and keeps everything', async () => {
    const { token, email, session } = await customer();
    await ok('save', save(token, { address }));
    expectError(
      await client(token).DELETE('/v1/me', { body: { password: 'not the password' } }),
      401,
      'INVALID_CREDENTIALS',
    );
    expect((await ok('me', client(token).GET('/v1/me'))).email).toBe(email);
    expect(await addressesOf(session.subject)).toBe(1);
    expect((await refresh(session.refreshToken)).response.status).toBe(200);
  });

  it('erases the account, revokes its sessions, keeps its orders, and lets the email register again', async () => {
    const { token, email, session } = await customer();
    await ok('save', save(token, { address }));
    const sku = await freshSku(5);
    await addToCart(token, sku, 1);
    const placed = await checkout(token);
    expect(placed.response.status, JSON.stringify(placed.error)).toBe(202);
    const orderId = placed.data!.orderId;
    await eventually(
      'the order copied to Postgres',
      async () => (await primary('select 1 from orders where id = $1', [orderId])).length > 0,
    );

    const res = await client(token).DELETE('/v1/me', { body: { password: PASSWORD } });
    expect(res.response.status, JSON.stringify(res.error)).toBe(204);

    expect(await primary('select 1 from customers where id = $1', [session.subject])).toHaveLength(0);
    expect(await addressesOf(session.subject)).toBe(0);
    expect(await primary('select 1 from account_tokens where customer_id = $1', [session.subject])).toHaveLength(0);
    const live = await primary('select 1 from refresh_tokens where subject = $1 and revoked_at is null', [
      session.subject,
    ]);
    expect(live).toHaveLength(0);
    expect((await refresh(session.refreshToken)).response.status).toBe(401);
    expectError(await client(token).GET('/v1/me'), 401, 'UNAUTHORIZED');
    expectError(await login(email, PASSWORD), 401, 'INVALID_CREDENTIALS');
    // The merchant keeps the order (accounting); the account it belonged to is gone.
    expect(await primary('select owner_sub from orders where id = $1', [orderId])).toEqual([
      { owner_sub: session.subject },
    ]);

    const again = await client().POST('/v1/auth/register', { body: { email, password: 'a different password' } });
    expect(again.response.status).toBe(201);
    expect(again.data!.subject).not.toBe(session.subject);
  });

  it('refuses a guest (403) and a merchant account (403)', async () => {
    expectError(await client(await guestToken()).DELETE('/v1/me', { body: { password: PASSWORD } }), 403);
    const merchant = await ok('merchant login', login('merchant@storefront.local', 'dev-merchant-password'));
    expectError(
      await client(merchant.accessToken).DELETE('/v1/me', { body: { password: 'dev-merchant-password' } }),
      403,
      'FORBIDDEN',
    );
    expect(await primary("select 1 from customers where email = 'merchant@storefront.local'")).toHaveLength(1);
  });

  it('answers 401 to a second delete of the same account', async () => {
    const { token } = await customer(newEmail());
    expect((await client(token).DELETE('/v1/me', { body: { password: PASSWORD } })).response.status).toBe(204);
    expectError(await client(token).DELETE('/v1/me', { body: { password: PASSWORD } }), 401, 'UNAUTHORIZED');
  });
});
