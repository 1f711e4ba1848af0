/** @jsxImportSource hono/jsx */
// The account pages of the emailed links and of leaving: password reset (ask for a link; the link's new-password
// form), email verification (the link's confirm button) and deleting the account. A link's GET only shows a form
// with the token in a hidden field (mail scanners open links); its POST uses the token. The pages load nothing
// from other sites and the storefront's Referrer-Policy is same-origin, so the token in the URL goes nowhere else.
import { Hono } from 'hono';
import { Field, PostForm, Problem } from './account.forms';
import { customerOr, formOf, page, problemOf } from './account.kit';
import { clearShopperSession, type ShopApp, type ShopContext, shopApi } from './session';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const tokenOf = (c: ShopContext, form?: URLSearchParams) => {
  const token = form ? form.get('token') : c.req.query('token');
  return token && TOKEN.test(token) ? token : undefined;
};

function RequestReset(props: { email?: string; error?: string }) {
  return (
    <>
      <p>We will email you a link to choose a new password. It works once, for 30 minutes.</p>
      <Problem error={props.error} />
      <PostForm action="/account/reset" label="Ask for a password reset link">
        <Field name="email" label="Email" type="email" value={props.email} autocomplete="email" required />
        <button type="submit">Email me a link</button>
      </PostForm>
    </>
  );
}

function NewPassword(props: { token: string; error?: string }) {
  return (
    <>
      <Problem error={props.error} />
      <PostForm action="/account/reset/confirm" label="Choose a new password">
        <input type="hidden" name="token" value={props.token} />
        <Field
          name="password"
          label="New password"
          type="password"
          autocomplete="new-password"
          required
          minlength={10}
          hint="At least 10 characters. Every device signed in to your account is signed out."
        />
        <button type="submit">Set the new password</button>
      </PostForm>
    </>
  );
}

const linkGone = (
  <p>
    This link has been used or has expired. <a href="/account/reset">Ask for a new one</a>.
  </p>
);

export const accountLinkPages = new Hono<ShopApp>();

accountLinkPages.get('/account/reset', (c) => {
  const token = tokenOf(c);
  if (c.req.query('token') !== undefined && !token) return page(c, 'Reset your password', linkGone, 400);
  return page(
    c,
    token ? 'Choose a new password' : 'Reset your password',
    token ? <NewPassword token={token} /> : <RequestReset />,
  );
});

accountLinkPages.post('/account/reset', async (c) => {
  const form = await formOf(c);
  if (form instanceof Response) return form;
  const email = form.get('email')?.trim() ?? '';
  const answer = await shopApi(c).POST('/v1/auth/password-reset', { body: { email } });
  if (answer.response.status !== 202)
    return page(
      c,
      'Reset your password',
      <RequestReset email={email} error={problemOf(answer)} />,
      answer.response.status,
    );
  return page(
    c,
    'Check your email',
    <p role="status">If an account has the address {email}, a link to choose a new password is on its way.</p>,
  );
});

accountLinkPages.post('/account/reset/confirm', async (c) => {
  const form = await formOf(c);
  if (form instanceof Response) return form;
  const token = tokenOf(c, form);
  if (!token) return page(c, 'Choose a new password', linkGone, 400);
  const answer = await shopApi(c).POST('/v1/auth/password-reset/confirm', {
    body: { token, password: form.get('password') ?? '' },
  });
  if (
    answer.response.status === 400 &&
    (answer.error as { error?: { code?: string } })?.error?.code === 'INVALID_LINK_TOKEN'
  )
    return page(c, 'Choose a new password', linkGone, 400);
  if (answer.response.status !== 204)
    return page(
      c,
      'Choose a new password',
      <NewPassword token={token} error={problemOf(answer)} />,
      answer.response.status,
    );
  // Every session of the account was revoked by the API; this browser's cookies go too.
  clearShopperSession(c);
  return page(
    c,
    'Your password is changed',
    <p role="status">
      You can now <a href="/account/sign-in">sign in</a> with your new password.
    </p>,
  );
});

accountLinkPages.get('/account/verify', (c) => {
  const token = tokenOf(c);
  if (!token) return page(c, 'Confirm your email address', linkGone, 400);
  return page(
    c,
    'Confirm your email address',
    <PostForm action="/account/verify" label="Confirm your email address">
      <input type="hidden" name="token" value={token} />
      <button type="submit">Confirm my email address</button>
    </PostForm>,
  );
});

accountLinkPages.post('/account/verify', async (c) => {
  const form = await formOf(c);
  if (form instanceof Response) return form;
  const token = tokenOf(c, form);
  const answer = token ? await shopApi(c).POST('/v1/auth/verify-email', { body: { token } }) : undefined;
  if (answer?.response.status !== 204)
    return page(
      c,
      'Confirm your email address',
      <p class="notice bad" role="alert">
        This link has been used or has expired. Sign in and ask for a new one on <a href="/account">your account</a>.
      </p>,
      answer && answer.response.status >= 500 ? 503 : 400,
    );
  return page(
    c,
    'Your email address is confirmed',
    <p role="status">
      Thank you. <a href="/account">Go to your account</a>.
    </p>,
  );
});

function DeleteForm(props: { error?: string }) {
  return (
    <>
      <p>
        This erases your account: your email, name, password and saved addresses. Your orders are kept by the shop as
        its records. You are signed out everywhere. It cannot be undone.
      </p>
      <Problem error={props.error} />
      <PostForm action="/account/delete" label="Delete your account">
        <Field
          name="password"
          label="Your password, to confirm"
          type="password"
          autocomplete="current-password"
          required
        />
        <button type="submit">Delete my account</button>
      </PostForm>
      <p>
        <a href="/account">Keep my account</a>
      </p>
    </>
  );
}

accountLinkPages.get('/account/delete', async (c) => {
  const me = await customerOr(c);
  return me instanceof Response ? me : page(c, 'Delete your account', <DeleteForm />);
});

accountLinkPages.post('/account/delete', async (c) => {
  const form = await formOf(c);
  if (form instanceof Response) return form;
  const me = await customerOr(c);
  if (me instanceof Response) return me;
  const answer = await shopApi(c, me.accessToken).DELETE('/v1/me', { body: { password: form.get('password') ?? '' } });
  if (answer.response.status !== 204)
    return page(c, 'Delete your account', <DeleteForm error={problemOf(answer)} />, answer.response.status);
  clearShopperSession(c);
  return page(
    c,
    'Your account is deleted',
    <p role="status">
      Goodbye. <a href="/">Back to the shop</a>.
    </p>,
  );
});
