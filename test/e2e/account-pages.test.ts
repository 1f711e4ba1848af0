// The account and cart pages' forms over plain HTTP (the browser walks are account-browser.test.ts and
// shop-buy-browser.test.ts): registering, a line removed from the cart, the default address moved and an address
// deleted, and the account deleted; each form with its CSRF token, each refusal a 4xx page that changes nothing.
import { describe, expect, it } from 'vitest';
import { client, ok } from './helpers';
import { newEmail, PASSWORD } from './identity-helpers';
import { freshProduct, ShopBrowser } from './shop-buy-helpers';

const me = (b: ShopBrowser) => ok('me', client(b.token()).GET('/v1/me'));
const addresses = async (b: ShopBrowser) =>
  (await ok('addresses', client(b.token()).GET('/v1/me/addresses'))).addresses;

/** A browser that registered through the page. */
async function registered(email = newEmail()) {
  const b = new ShopBrowser();
  const csrf = await b.csrf('/account/register');
  const res = await b.request('/account/register', {
    method: 'POST',
    form: { csrf, name: 'Ada Page', email, password: PASSWORD },
  });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/account?welcome=1');
  return { b, email };
}

const address = (name: string) => ({
  name,
  line1: '1 Main St',
  city: 'Springfield',
  postalCode: '62701',
  country: 'US',
});

describe('account pages', () => {
  it('registers with the form and signs in; a short password or a taken email is refused with the values kept', async () => {
    const { b, email } = await registered();
    expect(await me(b)).toMatchObject({ email, name: 'Ada Page' });
    const account = await b.request('/account?welcome=1');
    expect(account.status).toBe(200);
    expect(await account.text()).toContain('Welcome!');

    const other = new ShopBrowser();
    const csrf = await other.csrf('/account/register');
    const short = await other.request('/account/register', {
      method: 'POST',
      form: { csrf, name: 'Bo', email: newEmail(), password: 'short' },
    });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('value="Bo"');
    const taken = await other.request('/account/register', {
      method: 'POST',
      form: { csrf, name: 'Bo', email, password: PASSWORD },
    });
    expect(taken.status).toBe(409);
    expect(other.cookies.has('__Host-shop-access')).toBe(false);
    const noToken = await other.request('/account/register', {
      method: 'POST',
      form: { name: 'Bo', email: newEmail(), password: PASSWORD },
    });
    expect(noToken.status).toBe(403);
  });

  it('revokes the session a sign-in replaces (a guest’s, or an earlier sign-in’s)', async () => {
    const { email } = await registered();
    const b = new ShopBrowser();
    await b.add(await freshProduct(5), 1);
    const sessions = [b.cookies.get('__Host-shop-refresh')!];
    for (let i = 0; i < 2; i++) {
      const csrf = await b.csrf('/account/sign-in');
      const res = await b.request('/account/sign-in', { method: 'POST', form: { csrf, email, password: PASSWORD } });
      expect(res.status).toBe(303);
      sessions.push(b.cookies.get('__Host-shop-refresh')!);
    }
    const refresh = (refreshToken: string) => client().POST('/v1/auth/refresh', { body: { refreshToken } });
    // The guest's and the first sign-in's refresh tokens no longer open anything; the last one does.
    expect((await refresh(sessions[0]!)).response.status).toBe(401);
    expect((await refresh(sessions[1]!)).response.status).toBe(401);
    expect((await refresh(sessions[2]!)).response.status).toBe(200);
  });

  it('removes a cart line with its form, and refuses it without the CSRF token', async () => {
    const [one, two] = await Promise.all([freshProduct(5), freshProduct(5)]);
    const b = new ShopBrowser();
    await b.add(one, 1);
    await b.add(two, 2);
    const form = await b.cartForm();
    const refused = await b.request(`/cart/items/${one.sku}/remove`, {
      method: 'POST',
      form: { version: form.version, seen: form.seen },
    });
    expect(refused.status).toBe(403);
    expect((await ok('cart', client(b.token()).GET('/v1/cart'))).lines).toHaveLength(2);
    const removed = await b.request(`/cart/items/${one.sku}/remove`, { method: 'POST', form });
    expect(removed.status).toBe(303);
    expect(removed.headers.get('location')).toBe('/cart?done=removed');
    const cart = await ok('cart', client(b.token()).GET('/v1/cart'));
    expect(cart.lines.map((l) => l.sku)).toEqual([two.sku]);
    expect(await (await b.request('/cart?done=removed')).text()).toContain('Removed from your cart.');
  });

  it('moves the default address and deletes one with their forms; another customer’s id is a 404', async () => {
    const { b } = await registered();
    const csrf = await b.csrf('/account/addresses');
    for (const [name, isDefault] of [
      ['Home', '1'],
      ['Work', ''],
    ] as const) {
      const res = await b.request('/account/addresses', {
        method: 'POST',
        form: { csrf, ...address(name), isDefault },
      });
      expect(res.status).toBe(303);
    }
    const saved = await addresses(b);
    const work = saved.find((a) => a.address.name === 'Work')!;
    const home = saved.find((a) => a.address.name === 'Home')!;
    expect(home.isDefault).toBe(true);
    const page = await (await b.request('/account/addresses')).text();
    expect(page).toContain(`action="/account/addresses/${work.id}/default"`);

    const moved = await b.request(`/account/addresses/${work.id}/default`, { method: 'POST', form: { csrf } });
    expect(moved.status).toBe(303);
    expect((await addresses(b)).find((a) => a.isDefault)?.id).toBe(work.id);

    const stranger = (await registered()).b;
    const strangerCsrf = await stranger.csrf('/account/addresses');
    const foreign = await stranger.request(`/account/addresses/${home.id}/delete`, {
      method: 'POST',
      form: { csrf: strangerCsrf },
    });
    expect(foreign.status).toBe(404);
    expect(await addresses(b)).toHaveLength(2);

    const deleted = await b.request(`/account/addresses/${home.id}/delete`, { method: 'POST', form: { csrf } });
    expect(deleted.status).toBe(303);
    expect((await addresses(b)).map((a) => a.id)).toEqual([work.id]);
  });

  it('deletes the account with its password only, and ends the session', async () => {
    const { b, email } = await registered();
    const token = b.token();
    const csrf = await b.csrf('/account/delete');
    const wrong = await b.request('/account/delete', { method: 'POST', form: { csrf, password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(await me(b)).toMatchObject({ email });
    const done = await b.request('/account/delete', { method: 'POST', form: { csrf, password: PASSWORD } });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Goodbye.');
    expect(b.cookies.has('__Host-shop-access')).toBe(false);
    expect((await client(token).GET('/v1/me')).response.status).toBe(401);
    const login = await client().POST('/v1/auth/login', { body: { email, password: PASSWORD } });
    expect(login.response.status).toBe(401);
  });
});
