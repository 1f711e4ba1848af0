/** @jsxImportSource hono/jsx */
// The account pages: register, sign in (a guest's cart merges into the account: the guest token is the sign-in's
// bearer, docs/carts.md#login-merge), sign out, the account (profile, verification, order history), saved
// addresses, password reset (request, and the emailed link's new-password form), email verification from the
// emailed link, and deleting the account. Every POST is a checked form (origin + CSRF token); every change is an
// API call in-process as the shopper (session.ts), whose 4xx is shown above the form with the values kept.
// Opening an emailed link (a GET, which mail scanners do too) only shows a form: the token is used by its POST.
import { Hono } from 'hono';
import type { Schemas } from '../../../../lib/client';
import {
  AddressCard,
  AddressFields,
  Field,
  OrderRows,
  PostForm,
  Problem,
  RegisterForm,
  SignInForm,
  type Values,
} from './account.forms';
import { customerOr, formOf, page, problemOf, valuesOf } from './account.kit';
import { messagePage } from './page';
import {
  clearShopperSession,
  currentShopper,
  endShopperSession,
  keepCartCount,
  replaceShopperSession,
  type ShopApp,
  type ShopContext,
  type Shopper,
  shopApi,
  UNAVAILABLE,
} from './session';

/** After a sign-in or registration: the session kept (the one it replaces revoked), the (merged) cart's count shown. */
async function signedIn(c: ShopContext, session: Schemas['Session'], to: string) {
  await replaceShopperSession(c, session);
  const cart = await shopApi(c, session.accessToken).GET('/v1/cart');
  if (cart.data) keepCartCount(c, cart.data.itemCount);
  return c.redirect(to, 303);
}

export const accountPages = new Hono<ShopApp>();

accountPages.get('/account/register', (c) => page(c, 'Create an account', <RegisterForm />));

accountPages.post('/account/register', async (c) => {
  const form = await formOf(c);
  if (form instanceof Response) return form;
  const values = valuesOf(form, ['name', 'email']);
  const body = { email: values.email ?? '', password: form.get('password') ?? '', name: values.name };
  const created = await shopApi(c).POST('/v1/auth/register', { body });
  if (!created.data)
    return page(
      c,
      'Create an account',
      <RegisterForm values={values} error={problemOf(created)} />,
      created.response.status,
    );
  // A guest's cart follows them into the new account: the merge is the sign-in's, with the guest token as bearer.
  const shopper = await currentShopper(c);
  if (shopper && shopper !== UNAVAILABLE && shopper.identity.role === 'guest') {
    const merged = await shopApi(c, shopper.accessToken).POST('/v1/auth/login', { body });
    if (merged.data) {
      await shopApi(c).POST('/v1/auth/logout', { body: { refreshToken: created.data.refreshToken } });
      return signedIn(c, merged.data, '/account?welcome=1');
    }
  }
  return signedIn(c, created.data, '/account?welcome=1');
});

accountPages.get('/account/sign-in', (c) => page(c, 'Sign in', <SignInForm />));

accountPages.post('/account/sign-in', async (c) => {
  const form = await formOf(c);
  if (form instanceof Response) return form;
  const values = valuesOf(form, ['email']);
  const shopper = await currentShopper(c);
  const guest = shopper && shopper !== UNAVAILABLE && shopper.identity.role === 'guest' ? shopper : undefined;
  const answer = await shopApi(c, guest?.accessToken).POST('/v1/auth/login', {
    body: { email: values.email ?? '', password: form.get('password') ?? '' },
  });
  if (!answer.data)
    return page(c, 'Sign in', <SignInForm values={values} error={problemOf(answer)} />, answer.response.status);
  const kept = answer.data.cartMerge?.kept.length ?? 0;
  return signedIn(c, answer.data, kept ? `/account?kept=${kept}` : '/account');
});

accountPages.post('/account/sign-out', async (c) => {
  const form = await formOf(c);
  if (form instanceof Response) return form;
  await endShopperSession(c);
  return c.redirect('/', 303);
});

async function accountPage(c: ShopContext, me: Shopper, opts: { error?: string; notice?: string } = {}, status = 200) {
  const api = shopApi(c, me.accessToken);
  const [profile, orders] = await Promise.all([
    api.GET('/v1/me'),
    api.GET('/v1/orders', { params: { query: { limit: 20 } } }),
  ]);
  if (profile.response.status === 401) {
    clearShopperSession(c);
    return c.redirect('/account/sign-in', 303);
  }
  if (!profile.data) return messagePage(c, 503, problemOf(profile));
  const p = profile.data;
  const kept = Number(c.req.query('kept') ?? 0);
  const notice =
    opts.notice ??
    (c.req.query('welcome') ? 'Welcome! We have emailed you a link to confirm your address.' : undefined) ??
    (kept > 0 ? `${kept} line(s) of your guest cart did not fit into your account's cart and stay there.` : undefined);
  return page(
    c,
    'Your account',
    <>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <Problem error={opts.error} />
      <h2>Profile</h2>
      <p>
        {p.email} {p.emailVerified ? <span>(verified)</span> : <span class="muted">(not verified yet)</span>}
      </p>
      {!p.emailVerified && (
        <PostForm action="/account/verify/send" label="Send a verification link">
          <button type="submit" class="quiet">
            Email me a new verification link
          </button>
        </PostForm>
      )}
      <PostForm action="/account/profile" label="Your name">
        <Field name="name" label="Name" value={p.name ?? ''} autocomplete="name" maxlength={100} />
        <button type="submit">Save name</button>
      </PostForm>
      <h2>Orders</h2>
      {orders.data ? <OrderRows orders={orders.data.orders} /> : <p class="notice bad">{problemOf(orders)}</p>}
      <h2>More</h2>
      <ul>
        <li>
          <a href="/account/addresses">Saved addresses</a>
        </li>
        <li>
          <a href="/account/reset">Change your password</a> (by an emailed link)
        </li>
        <li>
          <a href="/account/delete">Delete your account</a>
        </li>
      </ul>
      <PostForm action="/account/sign-out" label="Sign out">
        <button type="submit">Sign out</button>
      </PostForm>
    </>,
    status,
  );
}

accountPages.get('/account', async (c) => {
  const me = await customerOr(c);
  return me instanceof Response ? me : accountPage(c, me);
});

accountPages.post('/account/profile', async (c) => {
  const form = await formOf(c);
  if (form instanceof Response) return form;
  const me = await customerOr(c);
  if (me instanceof Response) return me;
  const answer = await shopApi(c, me.accessToken).PATCH('/v1/me', { body: { name: form.get('name') ?? '' } });
  if (!answer.data) return accountPage(c, me, { error: problemOf(answer) }, answer.response.status);
  return accountPage(c, me, { notice: 'Your name is saved.' });
});

accountPages.post('/account/verify/send', async (c) => {
  const form = await formOf(c);
  if (form instanceof Response) return form;
  const me = await customerOr(c);
  if (me instanceof Response) return me;
  const answer = await shopApi(c, me.accessToken).POST('/v1/me/verify-email');
  if (answer.response.status !== 202) return accountPage(c, me, { error: problemOf(answer) }, answer.response.status);
  return accountPage(c, me, { notice: 'A new verification link is on its way.' });
});

const ADDRESS_FIELDS = ['name', 'line1', 'line2', 'city', 'region', 'postalCode', 'country', 'phone'];

async function addressesPage(
  c: ShopContext,
  me: Shopper,
  opts: { values?: Values; error?: string } = {},
  status = 200,
) {
  const list = await shopApi(c, me.accessToken).GET('/v1/me/addresses');
  if (!list.data) return messagePage(c, list.response.status === 401 ? 401 : 503, problemOf(list));
  const { addresses, max } = list.data;
  return page(
    c,
    'Saved addresses',
    <>
      {addresses.length ? (
        <ul class="addresses">
          {addresses.map((a) => (
            <AddressCard a={a} />
          ))}
        </ul>
      ) : (
        <p class="muted">No saved addresses yet.</p>
      )}
      <h2>Add an address</h2>
      <p class="muted">{`You can keep up to ${max}.`}</p>
      <Problem error={opts.error} />
      <PostForm action="/account/addresses" label="Add an address">
        <AddressFields values={opts.values} />
        <p>
          <input id="f-default" type="checkbox" name="isDefault" value="1" />{' '}
          <label for="f-default">Make it my default address</label>
        </p>
        <button type="submit">Save address</button>
      </PostForm>
      <p>
        <a href="/account">Back to your account</a>
      </p>
    </>,
    status,
  );
}

accountPages.get('/account/addresses', async (c) => {
  const me = await customerOr(c);
  return me instanceof Response ? me : addressesPage(c, me);
});

accountPages.post('/account/addresses', async (c) => {
  const form = await formOf(c);
  if (form instanceof Response) return form;
  const me = await customerOr(c);
  if (me instanceof Response) return me;
  const values = valuesOf(form, ADDRESS_FIELDS);
  // Empty optional fields are left out (the schema refuses an empty string); the API validates the rest.
  const address = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
  const answer = await shopApi(c, me.accessToken).POST('/v1/me/addresses', {
    body: { address: address as Schemas['ShippingAddress'], isDefault: form.get('isDefault') === '1' },
  });
  if (!answer.data) return addressesPage(c, me, { values, error: problemOf(answer) }, answer.response.status);
  return c.redirect('/account/addresses', 303);
});

accountPages.post('/account/addresses/:id/:action{default|delete}', async (c) => {
  const form = await formOf(c);
  if (form instanceof Response) return form;
  const me = await customerOr(c);
  if (me instanceof Response) return me;
  const api = shopApi(c, me.accessToken);
  const path = { params: { path: { id: c.req.param('id') } } };
  const answer =
    c.req.param('action') === 'delete'
      ? await api.DELETE('/v1/me/addresses/{id}', path)
      : await api.PATCH('/v1/me/addresses/{id}', { ...path, body: { isDefault: true } });
  if (!answer.response.ok) return addressesPage(c, me, { error: problemOf(answer) }, answer.response.status);
  return c.redirect('/account/addresses', 303);
});
