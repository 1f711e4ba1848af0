/** @jsxImportSource hono/jsx */
// The web console under /admin: sign-in and sign-out, the overview, the ops page, and the console's static files
// (forwarded to the storefront worker's assets). Every page is a server-rendered client of the public API, called
// in-process (session.ts); every POST is checked for its origin and CSRF token (csrf.ts) before anything happens.
// Mounted by app.ts, which hands in its own fetch. Sessions, CSRF and roles: docs/admin.md#the-console.
import { Hono } from 'hono';
import { csrfToken } from '../web/csrf';
import { AUDIT_PARAMS, AuditPage } from './audit.page';
import { consoleConfig } from './config';
import { checkedForm, csrfOf, html, pages, postLimit, queryOf } from './kit';
import { MessagePage, Page, SignInPage } from './layout';
import { loadOps, part, WINDOWS, type WindowMinutes } from './ops.data';
import { OpsPage, OpsRegion } from './ops.page';
import { orderRoutes } from './orders.routes';
import { productRoutes } from './products.routes';
import {
  type AppFetch,
  apiOf,
  type ConsoleApp,
  type ConsoleContext,
  clearSession,
  ensureSessionId,
  keepSession,
  refreshTokenOf,
  requireSession,
  roleAtLeast,
} from './session';

export function consoleRoutes(appFetch: AppFetch): Hono<ConsoleApp> {
  const r = new Hono<ConsoleApp>();
  r.use('*', async (c, next) => {
    c.set('appFetch', appFetch);
    await next();
    // Everything here is personal or about a session: never stored by a browser or a cache.
    if (!c.req.path.endsWith('.js') && !c.req.path.endsWith('.css')) c.header('cache-control', 'no-store');
  });

  // Every POST's body is counted as it is read (forms 8 KB, image uploads the API's image maximum): kit.tsx.
  r.post('*', postLimit);

  // The console's script and styles, as the storefront's assets answer them (ETag, 304). Only what a static file
  // needs is forwarded: never the session cookies or anything else the browser sent.
  const asset = (c: ConsoleContext) => {
    const headers = new Headers();
    for (const name of ['accept', 'if-none-match']) {
      const value = c.req.header(name);
      if (value) headers.set(name, value);
    }
    return c.env.STOREFRONT.fetch(new Request(c.req.url, { headers }));
  };
  r.get('/console.js', asset);
  r.get('/console.css', asset);

  r.get('/sign-in', async (c) => {
    const sid = ensureSessionId(c);
    return html(c, <SignInPage csrf={await csrfToken(consoleConfig(c.env).CONSOLE_SESSION_SECRET, sid)} />);
  });

  r.post('/sign-in', async (c) => {
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const email = checked.form.get('email')?.trim() ?? '';
    const password = checked.form.get('password') ?? '';
    const again = async (status: number, error: string) =>
      html(c, <SignInPage csrf={(await csrfOf(c))!} email={email} error={error} />, status);
    if (!email || !password) return again(400, 'Enter your email and your password.');
    const api = apiOf(c);
    const { data, response } = await api.POST('/v1/auth/login', { body: { email, password } });
    if (response.status === 429)
      return again(429, `Too many attempts: try again in ${response.headers.get('retry-after') ?? 'a few'} seconds.`);
    if (response.status >= 500) return again(503, 'Sign-in is unavailable right now; try again shortly.');
    if (!data) return again(401, 'Wrong email or password.');
    if (!roleAtLeast(data.role, 'merchant')) {
      // A shopper's credentials open nothing: the session just issued is revoked at once.
      await api.POST('/v1/auth/logout', { body: { refreshToken: data.refreshToken } });
      return again(403, 'This account cannot use the console: it needs the merchant or admin role.');
    }
    // A session this browser still held (signed in again without signing out) is revoked, not left to expire.
    const previous = refreshTokenOf(c);
    if (previous) await api.POST('/v1/auth/logout', { body: { refreshToken: previous } });
    keepSession(c, data, { newSid: true });
    return c.redirect(data.role === 'admin' ? '/admin/ops' : '/admin', 303);
  });

  r.post('/sign-out', async (c) => {
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const refreshToken = refreshTokenOf(c);
    if (refreshToken) await apiOf(c).POST('/v1/auth/logout', { body: { refreshToken } });
    clearSession(c);
    return c.redirect('/admin/sign-in', 303);
  });

  r.get('/', requireSession('merchant', pages), async (c) => {
    const session = c.get('session')!;
    const admin = session.identity.role === 'admin';
    return html(
      c,
      <Page title="Overview" session={session} csrf={await csrfOf(c)} current="/admin">
        <h1>Overview</h1>
        <p>
          Signed in as <code>{session.identity.sub}</code> with the <strong>{session.identity.role}</strong> role.
        </p>
        <ul>
          {admin && (
            <li>
              <a href="/admin/ops">Ops</a>: figures, SLOs, alerts, breakers, dead letters and the queue, live.
            </li>
          )}
          <li>
            <a href="/admin/products">Products</a>: the catalog, its variants and images, and each product's stock with
            its ledger.
          </li>
          <li>
            <a href="/admin/orders">Orders</a>: search, refund, fulfil or cancel.
          </li>
          <li>
            <a href="/admin/customers">Customers</a> and their orders.
          </li>
          <li>
            <a href="/admin/webhooks">Webhooks</a>: endpoints for store events and each one's delivery log.
          </li>
          {admin && (
            <li>
              <a href="/admin/dead-letters">Dead letters and stuck tasks</a>: replay, retry or give up.
            </li>
          )}
          <li>
            <a href="/admin/audit">Audit log</a>: every merchant and admin write, with filters.
          </li>
          <li>
            The merchant API behind every page: <a href="/docs">the API reference</a>.
          </li>
        </ul>
      </Page>,
    );
  });

  r.get('/audit', requireSession('merchant', pages), async (c) => {
    const q = queryOf(c, AUDIT_PARAMS);
    if (!q) {
      const message = `Unknown parameter: the filters are ${AUDIT_PARAMS.join(', ')}.`;
      return html(c, <MessagePage title="Bad request" message={message} />, 400);
    }
    // Empty fields of the filter form are no filter.
    const query = Object.fromEntries(Object.entries(q).filter(([, v]) => v.trim() !== ''));
    const session = c.get('session')!;
    const result = await part(
      apiOf(c, session.accessToken).GET('/v1/admin/audit', { params: { query: { ...query, limit: 50 } as never } }),
    );
    const status = result.ok ? 200 : result.status === 400 ? 400 : 502;
    return html(c, <AuditPage query={query} result={result} session={session} csrf={await csrfOf(c)} />, status);
  });

  r.get('/ops', requireSession('admin', pages), async (c) => {
    const q = queryOf(c, ['minutes', 'part']);
    const minutes = Number(q?.minutes ?? 60) as WindowMinutes;
    if (!q || !WINDOWS.includes(minutes) || (q.part !== undefined && q.part !== 'figures')) {
      const message = `Unknown parameter or value: minutes is one of ${WINDOWS.join(', ')}, part is "figures".`;
      return html(c, <MessagePage title="Bad request" message={message} />, 400);
    }
    const session = c.get('session')!;
    const data = await loadOps(c, session.accessToken, minutes);
    const at = new Date().toISOString();
    if (q.part) return html(c, <OpsRegion data={data} at={at} />, 200, true);
    const refreshSeconds = consoleConfig(c.env).CONSOLE_REFRESH_SECONDS;
    return html(
      c,
      <OpsPage data={data} at={at} refreshSeconds={refreshSeconds} session={session} csrf={await csrfOf(c)} />,
    );
  });

  r.route('/', productRoutes());

  r.route('/', orderRoutes());
  r.all('*', (c) => html(c, <MessagePage title="Not found" message="There is no such console page." />, 404));
  return r;
}
